using System.Data.Common;
using System.Reflection;
using DbUp;
using Microsoft.Data.Sqlite;

namespace ImageMeta.Store;

/// <summary>
/// The embedded default. SQLite serializes writers, so the upsert is a read-compare-write inside one
/// <c>BEGIN IMMEDIATE</c> transaction (the write lock is taken first). Migrations are serialized by an
/// exclusive lock file next to the database, since SQLite has no advisory locks.
/// </summary>
public sealed class SqliteStoreProvider(string connectionString) : StoreProvider
{
    public override string Name => StoreProviders.Sqlite;

    /// <summary>The SQL function every connection of this provider has: the Hamming distance of two 64-bit integers.</summary>
    public const string HammingFunction = "hamming";

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

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (!string.IsNullOrEmpty(Path.GetDirectoryName(Path.GetFullPath(file))))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        }

        await using var migrationLock = await WithRetryAsync(
            () => new FileStream(file + ".migrate.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose),
            TimeSpan.FromMinutes(2), cancellationToken);

        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var wal = connection.CreateCommand();
            // WAL lets readers proceed while a writer writes.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = DeployChanges.To.SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Migrations.sqlite.", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"SQLite migration failed at {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
        }
    }

    public override async Task<UpsertOutcome> UpsertAsync(DbConnection connection, IReadOnlyDictionary<string, object?> row, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT write_rank FROM images WHERE id = @id";
        read.Parameters.Add(new SqliteParameter("@id", row["id"]));
        var stored = (string?)await read.ExecuteScalarAsync(cancellationToken);
        if (stored is not null && string.CompareOrdinal(stored, (string)row["write_rank"]!) >= 0)
        {
            return UpsertOutcome.Unchanged;
        }

        await using var write = connection.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = stored is null
            ? $"INSERT INTO images ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "@" + c))})"
            : $"UPDATE images SET {string.Join(", ", Columns.Skip(1).Select(c => $"{c} = @{c}"))} WHERE id = @id";
        Bind(write, row);
        await write.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored is null ? UpsertOutcome.Inserted : UpsertOutcome.Updated;
    }

    public override string Limit(string selectColumns, string fromAndWhere, string orderBy) =>
        $"SELECT {selectColumns} {fromAndWhere} ORDER BY {orderBy} LIMIT @limit";

    public override object ProcessedAtValue(DateTimeOffset value) => value.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
