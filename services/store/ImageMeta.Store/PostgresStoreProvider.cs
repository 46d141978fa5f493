using System.Data.Common;
using DbUp;
using Npgsql;

namespace ImageMeta.Store;

/// <summary>
/// PostgreSQL through Npgsql. Writers of one image id or blob name serialize on transaction-scoped advisory locks
/// (<see cref="LockAsync"/>), so the newer write wins and one version of a name stays current. Migrations hold a
/// session advisory lock so two instances starting together migrate one after the other.
/// </summary>
public sealed class PostgresStoreProvider(string connectionString, int defaultMaxPoolSize = StoreOptions.DefaultMaxPoolSize) : StoreProvider, IDisposable
{
    // The data source's own ConnectionString leaves the password out, so DbUp gets the original.
    private readonly NpgsqlDataSource _dataSource = new NpgsqlDataSourceBuilder(WithPoolSize(connectionString, defaultMaxPoolSize)).Build();

    private const long MigrationLockKey = 0x494D4147454D4554; // "IMAGEMET"

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

    public override async Task MigrateAsync(string? through, Func<Task> afterScripts, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", connection))
        {
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            Upgrade(WithScripts(DeployChanges.To.PostgresqlDatabase(connectionString), "postgres", through).Build(), "PostgreSQL");
            await afterScripts();
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigrationLockKey})", connection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Transaction-scoped advisory locks: released at commit or rollback, never left behind by a dropped connection.</summary>
    public override async Task LockAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(string.Concat(keys.Select((_, i) => $"SELECT pg_advisory_xact_lock(@key{i});")), (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        for (var i = 0; i < keys.Count; i++)
        {
            command.Parameters.AddWithValue("key" + i, keys[i]);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An array parameter: <c>= ANY</c> is an index scan per element.</summary>
    public override string InList(string column, string parameter, ListType type) => $"{column} = ANY({parameter})";

    public override object ListValue<T>(IReadOnlyList<T> values) => values.ToArray();

    /// <summary>Through the expression index on <c>md5(name)</c> (a 1024-character name can exceed a B-tree entry).</summary>
    public override string SameName => "md5(name) = md5(@name) AND container = @container AND name = @name";

    /// <summary>
    /// Through <c>ix_images_current_name</c> (migration 0009): the 200-character prefix bounds the range, the whole name
    /// decides; both in <c>"C"</c>, byte order, whatever the database's locale.
    /// </summary>
    public override NameOrderSql NameOrder { get; } = new(
        "left(name, 200) COLLATE \"C\" >= left(@after, 200) AND name COLLATE \"C\" > @after",
        "left(name, 200) COLLATE \"C\" <= left(@through, 200) AND name COLLATE \"C\" <= @through",
        "left(name, 200) COLLATE \"C\", name COLLATE \"C\"");

    public override string Floor(string expression) => $"floor({expression})::integer";

    /// <summary>
    /// The writing transaction's id (<c>pg_current_xact_id</c>, PostgreSQL 13+) and a sequence. Transaction ids are handed
    /// out before commit, in no fixed relation to commit order, so readers stop below the oldest transaction still
    /// running (<c>pg_snapshot_xmin</c>): everything below it has committed or rolled back. A long-running transaction
    /// anywhere on the server holds the feed back until it ends.
    /// </summary>
    public override ChangeStampSql ChangeStamp { get; } = new(
        string.Empty,
        [("change_tx", "pg_current_xact_id()::text::bigint"), ("change_seq", "nextval('image_change_seq')")],
        "change_tx, change_seq",
        "(change_tx > @afterTx OR (change_tx = @afterTx AND change_seq > @afterSeq))",
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
        "change_tx < @visibleBelow",
        "change_tx, change_seq",
        bound => (bound - 1, long.MaxValue));

    /// <summary><c>#</c> is bigint XOR; <c>bit_count</c> (PostgreSQL 14+) counts the set bits of its two's-complement <c>bit(64)</c> form.</summary>
    public override string HammingDistance(string left, string right) => $"bit_count(({left} # {right})::bit(64))";

    public override string SubqueryFence => " OFFSET 0";

    public override string JsonValue(string parameter) => $"CAST({parameter} AS jsonb)";

    public void Dispose() => _dataSource.Dispose();
}
