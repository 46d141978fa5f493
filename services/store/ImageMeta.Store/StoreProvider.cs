using System.Data.Common;
using System.Reflection;
using DbUp.Builder;
using DbUp.Engine;

namespace ImageMeta.Store;

/// <summary>
/// What differs between databases: connections, how a write transaction serializes the writers of one image, how a
/// page is limited, list parameters, the changes feed's ordering, the summary rows' upsert, and how migrations are
/// serialized. Everything else (validation, filters, paging, what a write changes) is shared in
/// <see cref="SqlMetadataStore"/>. One small subclass per database.
/// </summary>
public abstract class StoreProvider
{
    /// <summary>
    /// The image columns every write sets, in order; every provider uses the same parameter names (<c>@column</c>).
    /// The changes feed's columns come on top (<see cref="ChangeStamp"/>).
    /// </summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "container", "name", "version", "status", "format", "width", "height", "byte_size", "sha256",
        "camera_make", "camera_model", "taken_local", "gps_latitude", "gps_longitude", "failure_class",
        "processed_at", "write_rank", "record_json", "perceptual_hash",
        "lens_model", "iso", "focal_length", "focal_length_35mm", "flash_fired", "exposure_program", "white_balance",
        "artist", "copyright", "software", "color_profile", "extractor_version", "extractor_build",
        "camera_key", "lens_key", "is_current", "sort_time",
        "hash_band0", "hash_band1", "hash_band2",
    ];

    public abstract string Name { get; }

    public abstract DbConnection CreateConnection();

    /// <summary>Runs the DbUp migrations for this database while holding a database-wide lock, then <paramref name="afterScripts"/> under the same lock.</summary>
    public abstract Task MigrateAsync(string? through, Func<Task> afterScripts, CancellationToken cancellationToken);

    /// <summary>
    /// Begins the transaction of one write. SQLite takes the database's write lock at once (<c>BEGIN IMMEDIATE</c>), which
    /// serializes every writer; the servers use read committed and <see cref="LockAsync"/>.
    /// </summary>
    public virtual async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);

    /// <summary>
    /// Takes exclusive locks on these keys until the transaction ends, in the order given (callers always take an image
    /// id's key before its blob name's, so two writers never wait on each other in a circle). SQLite needs none: its
    /// write transaction already excludes every other writer.
    /// </summary>
    public abstract Task LockAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> keys, CancellationToken cancellationToken);

    /// <summary>Wraps a SELECT so it returns at most the row count in parameter <c>@limit</c> (in no particular order when <paramref name="orderBy"/> is null).</summary>
    public virtual string Limit(string selectColumns, string fromAndWhere, string? orderBy) =>
        $"SELECT {selectColumns} {fromAndWhere}{OrderBy(orderBy)} LIMIT @limit";

    /// <summary>The ORDER BY clause of <see cref="Limit"/>, with its leading space; nothing when there is no order.</summary>
    protected static string OrderBy(string? orderBy) => orderBy is null ? string.Empty : " ORDER BY " + orderBy;

    /// <summary>
    /// SQL for the number of bits in which two signed 64-bit perceptual hashes (<paramref name="left"/> and
    /// <paramref name="right"/>, column names or parameters) differ: 0 to 64, NULL when either is NULL.
    /// </summary>
    public abstract string HammingDistance(string left, string right);

    /// <summary>
    /// A condition that <paramref name="column"/> is one of the values in parameter <paramref name="parameter"/>, whose value
    /// <see cref="ListValue{T}"/> makes: PostgreSQL an array, the others a JSON array (one parameter whatever the count, where
    /// SQL Server allows at most 2,100).
    /// </summary>
    public abstract string InList(string column, string parameter, ListType type);

    /// <summary>The parameter value <see cref="InList"/> reads.</summary>
    public virtual object ListValue<T>(IReadOnlyList<T> values) => System.Text.Json.JsonSerializer.Serialize(values);

    /// <summary>A condition selecting the rows of one blob name: parameters <c>@container</c> and <c>@name</c>, through the provider's name index.</summary>
    public virtual string SameName => "container = @container AND name = @name";

    /// <summary>
    /// The blob-name order of <c>POST images/names</c>: the conditions that a row's name is after parameter <c>@after</c>
    /// and at most <c>@through</c>, and the ORDER BY, all through the provider's name index. SQLite compares text as
    /// bytes (UTF-8: Unicode code points) and indexes <c>(container, name)</c> whole; the servers override these.
    /// </summary>
    public virtual NameOrderSql NameOrder { get; } = new("name > @after", "name <= @through", "name");

    /// <summary>The first <paramref name="length"/> characters of a text expression.</summary>
    public virtual string Prefix(string expression, int length) => $"substr({expression}, 1, {length})";

    /// <summary>The largest whole number not above a non-negative floating-point expression.</summary>
    public abstract string Floor(string expression);

    /// <summary>How a row's place in the changes feed is written: see <see cref="ChangeStampSql"/>.</summary>
    public abstract ChangeStampSql ChangeStamp { get; }

    /// <summary>
    /// Appended to a subquery the planner must run on its own (PostgreSQL: <c>OFFSET 0</c>). Without it PostgreSQL
    /// guesses a third of the rows pass a distance condition and walks the whole table newest first for a page of
    /// near duplicates, instead of scanning the narrow hash index.
    /// </summary>
    public virtual string SubqueryFence => string.Empty;

    /// <summary>How a text parameter becomes the JSON column's type.</summary>
    public virtual string JsonValue(string parameter) => parameter;

    /// <summary>Converts a processed-at time to what the column stores.</summary>
    public virtual object ProcessedAtValue(DateTimeOffset value) => value.ToUniversalTime();

    /// <summary>
    /// Into how many shards each summary row is split (<c>image_summary.shard</c>): writers add to a random one, so that
    /// concurrent transactions rarely wait for the same row until commit. SQLite has one writer at a time: one shard.
    /// </summary>
    public virtual int SummaryShards => 16;

    /// <summary>
    /// Adds the count and byte changes of one write to the summary rows of one shard, creating rows as needed. The rows
    /// come sorted (so two transactions lock shared rows in one order); parameters <c>@kN</c>, <c>@bN</c>, <c>@iN</c>,
    /// <c>@hN</c>, <c>@lN</c> per row and <c>@shard</c>.
    /// </summary>
    public virtual string SummaryUpsert(int rows) =>
        "INSERT INTO image_summary (kind, bucket, shard, images, bytes_high, bytes_low) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@k{i}, @b{i}, @shard, @i{i}, @h{i}, @l{i})")) +
        " ON CONFLICT (kind, bucket, shard) DO UPDATE SET images = image_summary.images + excluded.images, " +
        "bytes_high = image_summary.bytes_high + excluded.bytes_high, bytes_low = image_summary.bytes_low + excluded.bytes_low";

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
                    // The folder is created by MigrateAsync, where a refusal becomes a StoreStartupException that names it.
                    var folder = Path.GetFullPath(options.DataDirectory, contentRoot);
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

    /// <summary>
    /// The embedded scripts of one database's folder, those numbered up to <paramref name="through"/> when it is given
    /// (the tests replay a migration over rows an older schema holds), each in its own transaction.
    /// </summary>
    protected static UpgradeEngineBuilder WithScripts(UpgradeEngineBuilder builder, string folder, string? through) =>
        builder
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name =>
                name.Contains($".Migrations.{folder}.", StringComparison.Ordinal)
                && (through is null || string.CompareOrdinal(ScriptNumber(name), through) <= 0))
            .WithTransactionPerScript()
            .LogToNowhere();

    /// <summary>Runs a built upgrade and throws with the failing script's name.</summary>
    protected static void Upgrade(UpgradeEngine engine, string database)
    {
        var result = engine.PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"{database} migration failed at {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
        }
    }

    /// <summary>The four-digit number of an embedded script (<c>…Migrations.sqlite.0004_photo_fields.sql</c> → <c>0004</c>).</summary>
    private static string ScriptNumber(string resourceName)
    {
        var file = resourceName[(resourceName.LastIndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
        file = file[(file.IndexOf('.', StringComparison.Ordinal) + 1)..];
        return file.Length >= 4 ? file[..4] : file;
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

/// <summary>The element type of an <see cref="StoreProvider.InList"/> parameter.</summary>
public enum ListType
{
    /// <summary>Image ids and other short ASCII keys.</summary>
    Key,

    /// <summary>32-bit integers.</summary>
    Number,
}

/// <summary>
/// How a provider orders written rows for <c>GET /images/changes</c>. Each written image row and each removal gets a key
/// of two integers (<see cref="KeyColumns"/>), unique across both tables and increasing in the order the feed must return
/// them. A reader first reads a bound (<see cref="Bound"/>) below which every key belongs to a finished transaction, and
/// returns only keys below it (<see cref="Visible"/>), so a transaction that commits late is never skipped.
/// </summary>
/// <param name="Prefix">A statement to run before each written row (SQLite bumps its counter), or empty.</param>
/// <param name="Assignments">Column and value pairs every written row sets, or none where the database stamps rows itself.</param>
/// <param name="KeyColumns">Two integer expressions that select a row's key.</param>
/// <param name="After">The condition that a row's key is after parameters <c>@afterTx</c>, <c>@afterSeq</c>.</param>
/// <param name="Bound">A SELECT of one integer: the bound of this read.</param>
/// <param name="Visible">The condition that a row's key lies below parameter <c>@visibleBelow</c> (the bound).</param>
/// <param name="Order">The ORDER BY of keys.</param>
/// <param name="Start">The key just before everything at or above a bound (where a client without a token starts).</param>
public sealed record ChangeStampSql(
    string Prefix,
    IReadOnlyList<(string Column, string Value)> Assignments,
    string KeyColumns,
    string After,
    string Bound,
    string Visible,
    string Order,
    Func<long, (long Tx, long Seq)> Start);

/// <summary>How a provider pages records by blob name (<see cref="StoreProvider.NameOrder"/>).</summary>
/// <param name="After">The condition that a row's name comes after parameter <c>@after</c>.</param>
/// <param name="Through">The condition that a row's name is at most parameter <c>@through</c>.</param>
/// <param name="Order">The ORDER BY.</param>
public sealed record NameOrderSql(string After, string Through, string Order);
