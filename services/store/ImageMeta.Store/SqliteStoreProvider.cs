using System.Data.Common;
using DbUp;
using Microsoft.Data.Sqlite;

namespace ImageMeta.Store;

/// <summary>
/// The embedded default. SQLite serializes writers, so a write is a read-compare-write inside one <c>BEGIN IMMEDIATE</c>
/// transaction (the write lock is taken first) and needs no other lock. Migrations are serialized by an exclusive lock
/// file next to the database, since SQLite has no advisory locks.
/// </summary>
public sealed class SqliteStoreProvider(string connectionString) : StoreProvider
{
    public override string Name => StoreProviders.Sqlite;

    /// <summary>The SQL function every connection of this provider has: the Hamming distance of two 64-bit integers.</summary>
    public const string HammingFunction = "hamming";

    /// <summary>The database file.</summary>
    public string DataSource => new SqliteConnectionStringBuilder(connectionString).DataSource;

    public override DbConnection CreateConnection()
    {
        var connection = new SqliteConnection(connectionString);
        // SQLite has no XOR operator and no popcount; Microsoft.Data.Sqlite keeps functions created before Open
        // and registers them when the connection opens.
        connection.CreateFunction<long?, long?, long?>(
            HammingFunction,
            (a, b) => a is { } x && b is { } y ? System.Numerics.BitOperations.PopCount(unchecked((ulong)(x ^ y))) : null,
            isDeterministic: true);
        return connection;
    }

    public override string HammingDistance(string left, string right) => $"{HammingFunction}({left}, {right})";

    public override async Task MigrateAsync(string? through, Func<Task> afterScripts, CancellationToken cancellationToken)
    {
        var file = DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        FileStream migrationLock;
        try
        {
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
                // A file of our own first: the lock below is retried while another instance holds it, and a folder that
                // refuses every file must fail at once, not after the lock's deadline.
                using var probe = new FileStream(Path.Combine(folder, $".write-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            }

            migrationLock = await WithRetryAsync(
                () => new FileStream(file + ".migrate.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose),
                TimeSpan.FromMinutes(2), cancellationToken);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // The usual cause: a read-only volume or a folder the service's user may not write (SQLite keeps its
            // journal, WAL and lock files beside the database, so the folder must be writable, not only the file).
            throw new StoreStartupException($"The SQLite data folder '{folder}' is not writable: {e.Message} Give the store's user write access to it (Store:DataDirectory).", e);
        }

        await using var heldLock = migrationLock;

        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var wal = connection.CreateCommand();
            // WAL lets readers proceed while a writer writes.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        Upgrade(WithScripts(DeployChanges.To.SqliteDatabase(connectionString), "sqlite", through).Build(), "SQLite");
        await afterScripts();
    }

    public override Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // BEGIN IMMEDIATE (not deferred): the write lock is held from the first read, so no other writer interleaves.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public override Task LockAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> keys, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>json_each is built into the SQLite that Microsoft.Data.Sqlite bundles.</summary>
    public override string InList(string column, string parameter, ListType type) => $"{column} IN (SELECT value FROM json_each({parameter}))";

    /// <summary>The operand is never negative where it is used, so truncation is the floor.</summary>
    public override string Floor(string expression) => $"CAST({expression} AS INTEGER)";

    /// <summary>One writer at a time: a counter row bumped before each written row gives keys in commit order.</summary>
    public override ChangeStampSql ChangeStamp { get; } = new(
        "UPDATE change_counter SET value = value + 1;",
        [("change_tx", "0"), ("change_seq", "(SELECT value FROM change_counter)")],
        "change_tx, change_seq",
        "(change_tx > @afterTx OR (change_tx = @afterTx AND change_seq > @afterSeq))",
        "SELECT value + 1 FROM change_counter",
        "change_seq < @visibleBelow",
        "change_tx, change_seq",
        bound => (0, bound - 1));

    public override int SummaryShards => 1;

    public override object ProcessedAtValue(DateTimeOffset value) => value.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
