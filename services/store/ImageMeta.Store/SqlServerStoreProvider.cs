using System.Data.Common;
using DbUp;
using Microsoft.Data.SqlClient;

namespace ImageMeta.Store;

/// <summary>
/// SQL Server / Azure SQL through Microsoft.Data.SqlClient. Writers of one image id or blob name serialize on
/// transaction-owned application locks (<see cref="LockAsync"/>), so the newer write wins and one version of a name
/// stays current. Migrations hold an exclusive session application lock (<c>sp_getapplock</c>).
/// </summary>
public sealed class SqlServerStoreProvider(string connectionString, int defaultMaxPoolSize = StoreOptions.DefaultMaxPoolSize) : StoreProvider
{
    private readonly string _connectionString = WithPoolSize(connectionString, defaultMaxPoolSize);

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

    public override async Task MigrateAsync(string? through, Func<Task> afterScripts, CancellationToken cancellationToken)
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
            Upgrade(WithScripts(DeployChanges.To.SqlDatabase(_connectionString), "sqlserver", through).Build(), "SQL Server");
            await afterScripts();
        }
        finally
        {
            await using var release = new SqlCommand("EXEC sp_releaseapplock @Resource = N'imagemeta-migrations', @LockOwner = 'Session'", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Transaction-owned application locks (<c>sp_getapplock</c>), released at commit or rollback; 30 s at most per lock, then an error the caller retries.</summary>
    public override async Task LockAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> keys, CancellationToken cancellationToken)
    {
        var sql = new System.Text.StringBuilder("DECLARE @granted INT;");
        for (var i = 0; i < keys.Count; i++)
        {
            sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"EXEC @granted = sp_getapplock @Resource = @key{i}, @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000;")
                .Append("IF @granted < 0 THROW 51000, 'A write lock of the metadata store was not granted in time.', 1;");
        }

        await using var command = new SqlCommand(sql.ToString(), (SqlConnection)connection, (SqlTransaction)transaction) { CommandTimeout = 40 };
        for (var i = 0; i < keys.Count; i++)
        {
            command.Parameters.AddWithValue("@key" + i, "imagemeta:" + keys[i].ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override string Limit(string selectColumns, string fromAndWhere, string? orderBy) =>
        $"SELECT TOP (@limit) {selectColumns} {fromAndWhere}{OrderBy(orderBy)}";

    /// <summary>OPENJSON with a typed column (compatibility level 130, SQL Server 2016), so the key compares in the column's own type and collation.</summary>
    public override string InList(string column, string parameter, ListType type) =>
        $"{column} IN (SELECT v FROM OPENJSON({parameter}) WITH (v {(type == ListType.Number ? "INT" : "VARCHAR(64)")} '$'))";

    /// <summary>Through the persisted hash column <c>name_hash</c> (NVARCHAR(1024) exceeds an index key's 1,700 bytes).</summary>
    public override string SameName => "name_hash = CAST(HASHBYTES('SHA2_256', @container + N'|' + @name) AS BINARY(32)) AND container = @container AND name = @name";

    /// <summary>Through <c>ix_images_current_name</c> on the persisted binary-collated <c>name_prefix</c> (migration 0009); the whole name decides.</summary>
    public override NameOrderSql NameOrder { get; } = new(
        "name_prefix >= LEFT(@after, 200) AND name COLLATE Latin1_General_100_BIN2 > @after",
        "name_prefix <= LEFT(@through, 200) AND name COLLATE Latin1_General_100_BIN2 <= @through",
        "name_prefix, name COLLATE Latin1_General_100_BIN2");

    public override string Prefix(string expression, int length) => $"LEFT({expression}, {length})";

    public override string Floor(string expression) => $"CAST(FLOOR({expression}) AS INT)";

    /// <summary>
    /// <c>rowversion</c>: the database stamps every written row with a value that increases across all tables;
    /// <c>MIN_ACTIVE_ROWVERSION()</c> is the lowest value a running transaction still holds, so readers stop below it.
    /// </summary>
    public override ChangeStampSql ChangeStamp { get; } = new(
        string.Empty,
        [],
        "CAST(row_version AS BIGINT), CAST(0 AS BIGINT)",
        "row_version > CAST(@afterTx AS BINARY(8))",
        "SELECT CAST(MIN_ACTIVE_ROWVERSION() AS BIGINT)",
        "row_version < CAST(@visibleBelow AS BINARY(8))",
        "row_version",
        bound => (bound - 1, 0));

    /// <summary>MERGE with HOLDLOCK, so two writers of a new summary row cannot both insert it.</summary>
    public override string SummaryUpsert(int rows) =>
        "MERGE image_summary WITH (HOLDLOCK) AS t USING (VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@k{i}, @b{i}, @i{i}, @h{i}, @l{i})")) +
        ") AS s (kind, bucket, images, bytes_high, bytes_low) ON t.kind = s.kind AND t.bucket = s.bucket AND t.shard = @shard " +
        "WHEN MATCHED THEN UPDATE SET images = t.images + s.images, bytes_high = t.bytes_high + s.bytes_high, bytes_low = t.bytes_low + s.bytes_low " +
        "WHEN NOT MATCHED THEN INSERT (kind, bucket, shard, images, bytes_high, bytes_low) VALUES (s.kind, s.bucket, @shard, s.images, s.bytes_high, s.bytes_low);";

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
