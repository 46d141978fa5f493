using System.Data.Common;
using System.Reflection;
using DbUp;
using Microsoft.Data.SqlClient;

namespace ImageMeta.Store;

/// <summary>
/// SQL Server / Azure SQL through Microsoft.Data.SqlClient. The upsert is a <c>MERGE … WITH (HOLDLOCK)</c>
/// (serializable on the key range, so two writers of a new id cannot both insert) whose update branch
/// only fires for a newer <c>write_rank</c>; <c>OUTPUT $action</c> says what happened. Migrations hold an
/// exclusive session application lock (<c>sp_getapplock</c>).
/// </summary>
public sealed class SqlServerStoreProvider(string connectionString, int defaultMaxPoolSize = StoreOptions.DefaultMaxPoolSize) : StoreProvider
{
    private readonly string _connectionString = WithPoolSize(connectionString, defaultMaxPoolSize);

    private static readonly string MergeSql =
        $"MERGE images WITH (HOLDLOCK) AS t USING (SELECT {string.Join(", ", Columns.Select(c => $"@{c} AS {c}"))}) AS s ON t.id = s.id " +
        $"WHEN MATCHED AND t.write_rank < s.write_rank THEN UPDATE SET {string.Join(", ", Columns.Skip(1).Select(c => $"{c} = s.{c}"))} " +
        $"WHEN NOT MATCHED THEN INSERT ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "s." + c))}) " +
        "OUTPUT $action;";

    public override string Name => StoreProviders.SqlServer;

    /// <summary>The most connections this provider opens at once.</summary>
    public int MaxPoolSize => new SqlConnectionStringBuilder(_connectionString).MaxPoolSize;

    /// <summary>The connection string with <c>Max Pool Size</c> set to <paramref name="defaultMaxPoolSize"/> unless it names a size itself.</summary>
    public static string WithPoolSize(string connectionString, int defaultMaxPoolSize)
    {
        var builder = new SqlConnectionStringBuilder(connectionString);
        if (!SetsAny(connectionString, "Max Pool Size"))
        {
            builder.MaxPoolSize = defaultMaxPoolSize;
        }

        return builder.ConnectionString;
    }

    public override DbConnection CreateConnection() => new SqlConnection(_connectionString);

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var take = new SqlCommand("EXEC sp_getapplock @Resource = N'imagemeta-migrations', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 120000", connection))
        {
            take.CommandTimeout = 130;
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var result = DeployChanges.To.SqlDatabase(_connectionString)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Migrations.sqlserver.", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogToNowhere()
                .Build()
                .PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"SQL Server migration failed at {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
            }
        }
        finally
        {
            await using var release = new SqlCommand("EXEC sp_releaseapplock @Resource = N'imagemeta-migrations', @LockOwner = 'Session'", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public override async Task<UpsertOutcome> UpsertAsync(DbConnection connection, IReadOnlyDictionary<string, object?> row, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = MergeSql;
        Bind(command, row);
        var action = (string?)await command.ExecuteScalarAsync(cancellationToken);
        return action switch
        {
            "INSERT" => UpsertOutcome.Inserted,
            "UPDATE" => UpsertOutcome.Updated,
            _ => UpsertOutcome.Unchanged,
        };
    }

    public override string Limit(string selectColumns, string fromAndWhere, string orderBy) =>
        $"SELECT TOP (@limit) {selectColumns} {fromAndWhere} ORDER BY {orderBy}";

    /// <summary><c>^</c> is BIGINT XOR; the bits are counted by <see cref="PortablePopCount"/> (BIT_COUNT exists only from SQL Server 2022).</summary>
    public override string HammingDistance(string left, string right) => PortablePopCount($"({left} ^ {right})");

    /// <summary>
    /// SQL that counts the set bits of a signed 64-bit integer expression with nothing but <c>&amp;</c>, <c>/</c>,
    /// <c>%</c>, <c>+</c>, <c>-</c> and CASE, so it runs on every SQL Server version (and on SQLite, where the tests
    /// check it against <see cref="System.Numerics.BitOperations.PopCount(ulong)"/>). The sign bit is counted
    /// apart and cleared, so every step works on a non-negative number where <c>/ 2^k</c> is a right shift and no
    /// sum can overflow; the classic SWAR steps then leave one count per byte, and <c>% 255</c> adds the bytes
    /// (256 ≡ 1 mod 255, and the sum is at most 63).
    /// </summary>
    public static string PortablePopCount(string operand)
    {
        static string Big(string digits) => $"CAST({digits} AS BIGINT)";
        var positive = $"({operand} & {Big("9223372036854775807")})";
        var pairs = $"({positive} - (({positive} / 2) & {Big("6148914691236517205")}))";
        var nibbles = $"(({pairs} & {Big("3689348814741910323")}) + (({pairs} / 4) & {Big("3689348814741910323")}))";
        var bytes = $"(({nibbles} + {nibbles} / 16) & {Big("1085102592571150095")})";
        return $"({bytes} % 255 + CASE WHEN {operand} < 0 THEN 1 ELSE 0 END)";
    }
}
