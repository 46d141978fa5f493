using System.Data.Common;

namespace ImageMeta.Store;

/// <summary>
/// What differs between databases: connections, the atomic "newer wins" upsert, how a page is limited,
/// and how migrations are serialized. Everything else (validation, filters, paging) is shared in
/// <see cref="SqlMetadataStore"/>. One small subclass per database.
/// </summary>
public abstract class StoreProvider
{
    /// <summary>The columns written on upsert, in order; every provider uses the same parameter names (<c>@column</c>).</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "container", "name", "version", "status", "format", "width", "height", "byte_size", "sha256",
        "camera_make", "camera_model", "taken_local", "gps_latitude", "gps_longitude", "failure_class",
        "processed_at", "write_rank", "record_json", "perceptual_hash",
    ];

    public abstract string Name { get; }

    public abstract DbConnection CreateConnection();

    /// <summary>Runs the DbUp migrations for this database while holding a database-wide lock.</summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Writes the row if absent or older (by <c>write_rank</c>), atomically; reports what happened.</summary>
    public abstract Task<UpsertOutcome> UpsertAsync(DbConnection connection, IReadOnlyDictionary<string, object?> row, CancellationToken cancellationToken);

    /// <summary>Wraps a SELECT so it returns at most the row count in parameter <c>@limit</c>.</summary>
    public abstract string Limit(string selectColumns, string fromAndWhere, string orderBy);

    /// <summary>
    /// SQL for the number of bits in which two signed 64-bit perceptual hashes (<paramref name="left"/> and
    /// <paramref name="right"/>, column names or parameters) differ: 0 to 64, NULL when either is NULL.
    /// </summary>
    public abstract string HammingDistance(string left, string right);

    /// <summary>How a text parameter becomes the JSON column's type.</summary>
    public virtual string JsonValue(string parameter) => parameter;

    /// <summary>Converts a processed-at time to what the column stores.</summary>
    public virtual object ProcessedAtValue(DateTimeOffset value) => value.ToUniversalTime();

    /// <summary>
    /// Makes the provider <paramref name="options"/> name. SQLite without a connection string keeps
    /// <c>metadata.db</c> in <see cref="StoreOptions.DataDirectory"/> (relative to <paramref name="contentRoot"/>).
    /// </summary>
    public static StoreProvider Create(StoreOptions options, string? connectionString, string contentRoot)
    {
        switch (options.Provider)
        {
            case StoreProviders.Postgres:
                return new PostgresStoreProvider(connectionString ?? throw new ArgumentException("PostgreSQL needs a connection string.", nameof(connectionString)), options.MaxPoolSize);
            case StoreProviders.SqlServer:
                return new SqlServerStoreProvider(connectionString ?? throw new ArgumentException("SQL Server needs a connection string.", nameof(connectionString)), options.MaxPoolSize);
            default:
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    var folder = Path.GetFullPath(options.DataDirectory, contentRoot);
                    Directory.CreateDirectory(folder);
                    connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "metadata.db"), DefaultTimeout = 30 }.ToString();
                }

                return new SqliteStoreProvider(connectionString);
        }
    }

    /// <summary>Whether the connection string sets one of these keys (matched case- and space-insensitively, as the drivers do).</summary>
    protected static bool SetsAny(string connectionString, params string[] keys)
    {
        static string Normal(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        var present = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().Select(Normal).ToHashSet(StringComparer.Ordinal);
        return keys.Any(k => present.Contains(Normal(k)));
    }

    protected static void Bind(DbCommand command, IReadOnlyDictionary<string, object?> row)
    {
        foreach (var (name, value) in row)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
    }

    /// <summary>Retries until the lock is had or the deadline passes; used where a migration lock is a file.</summary>
    protected static async Task<T> WithRetryAsync<T>(Func<T> attempt, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + deadline;
        while (true)
        {
            try
            {
                return attempt();
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }
}
