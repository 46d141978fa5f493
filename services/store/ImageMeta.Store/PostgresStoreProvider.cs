using System.Data.Common;
using System.Reflection;
using DbUp;
using Npgsql;

namespace ImageMeta.Store;

/// <summary>
/// PostgreSQL through Npgsql. The upsert is one <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c> statement,
/// so concurrent writers of one id serialize on the row and the newer write wins. Migrations hold a
/// session advisory lock so two instances starting together migrate one after the other.
/// </summary>
public sealed class PostgresStoreProvider(string connectionString, int defaultMaxPoolSize = StoreOptions.DefaultMaxPoolSize) : StoreProvider, IDisposable
{
    // The data source's own ConnectionString leaves the password out, so DbUp gets the original.
    private readonly NpgsqlDataSource _dataSource = new NpgsqlDataSourceBuilder(WithPoolSize(connectionString, defaultMaxPoolSize)).Build();

    private const long MigrationLockKey = 0x494D4147454D4554; // "IMAGEMET"

    private static readonly string UpsertSql =
        $"INSERT INTO images ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => c == "record_json" ? "CAST(@record_json AS jsonb)" : "@" + c))}) " +
        $"ON CONFLICT (id) DO UPDATE SET {string.Join(", ", Columns.Skip(1).Select(c => $"{c} = EXCLUDED.{c}"))} " +
        "WHERE images.write_rank < EXCLUDED.write_rank RETURNING (xmax = 0) AS inserted";

    public override string Name => StoreProviders.Postgres;

    /// <summary>The most connections this provider opens at once.</summary>
    public int MaxPoolSize => new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString).MaxPoolSize;

    /// <summary>The connection string with <c>Maximum Pool Size</c> set to <paramref name="defaultMaxPoolSize"/> unless it names a size itself.</summary>
    public static string WithPoolSize(string connectionString, int defaultMaxPoolSize)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!SetsAny(connectionString, "Maximum Pool Size", "MaxPoolSize"))
        {
            builder.MaxPoolSize = defaultMaxPoolSize;
        }

        return builder.ConnectionString;
    }

    public override DbConnection CreateConnection() => _dataSource.CreateConnection();

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            var result = DeployChanges.To.PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Migrations.postgres.", StringComparison.Ordinal))
                .WithTransactionPerScript()
                .LogToNowhere()
                .Build()
                .PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"PostgreSQL migration failed at {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    public override async Task<UpsertOutcome> UpsertAsync(DbConnection connection, IReadOnlyDictionary<string, object?> row, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = UpsertSql;
        Bind(command, row);
        var inserted = await command.ExecuteScalarAsync(cancellationToken);
        return inserted switch
        {
            true => UpsertOutcome.Inserted,
            false => UpsertOutcome.Updated,
            _ => UpsertOutcome.Unchanged,
        };
    }

    public override string Limit(string selectColumns, string fromAndWhere, string orderBy) =>
        $"SELECT {selectColumns} {fromAndWhere} ORDER BY {orderBy} LIMIT @limit";

    /// <summary><c>#</c> is bigint XOR; <c>bit_count</c> (PostgreSQL 14+) counts the set bits of its two's-complement <c>bit(64)</c> form.</summary>
    public override string HammingDistance(string left, string right) => $"bit_count(({left} # {right})::bit(64))";

    public void Dispose() => _dataSource.Dispose();
}
