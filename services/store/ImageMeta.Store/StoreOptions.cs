using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Store;

/// <summary>Which database holds the metadata. Bound from <c>Store</c>; the connection string is <c>ConnectionStrings:Metadata</c>.</summary>
public sealed class StoreOptions
{
    public const string SectionName = "Store";
    public const string ConnectionStringName = "Metadata";

    /// <summary><c>sqlite</c> (default, embedded), <c>postgres</c> or <c>sqlserver</c>.</summary>
    [Required]
    [RegularExpression("^(sqlite|postgres|sqlserver)$", ErrorMessage = "Store:Provider must be 'sqlite', 'postgres' or 'sqlserver'.")]
    public string Provider { get; set; } = StoreProviders.Sqlite;

    /// <summary>SQLite without a connection string: the folder that holds <c>metadata.db</c> (relative to the content root).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Most connections one store instance opens to PostgreSQL or SQL Server, when the connection string
    /// does not say (<c>Maximum Pool Size</c> there wins). Npgsql's own default of 100 equals PostgreSQL's
    /// default <c>max_connections</c>, so a burst of writes would exhaust the server ("too many clients");
    /// requests beyond the pool wait for a free connection instead. Keep instances × this below the server's limit.
    /// </summary>
    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = DefaultMaxPoolSize;

    /// <summary>The default of <see cref="MaxPoolSize"/>: well below PostgreSQL's default <c>max_connections</c> of 100, leaving room for a second instance and for administrators.</summary>
    public const int DefaultMaxPoolSize = 30;

    /// <summary>Largest page a query may ask for.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;

    /// <summary>
    /// Whether a blob name's replaced versions keep their records (shown with <c>versions=all</c>) when a newer version is
    /// stored. Either way their thumbnails are deleted: their blob version is gone from storage.
    /// </summary>
    public bool KeepReplacedVersions { get; set; }

    /// <summary>
    /// How long a deleted id's tombstone is kept: meanwhile a late save of that version is refused (409) and
    /// <c>GET /images/{id}</c> answers 410. Also how long <c>GET /images/changes</c> can report deletions.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often expired tombstones are purged and thumbnail deletions still due are retried.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How old the near-duplicate figures of <c>GET /images/stats</c> may be (0: computed for every answer). They need
    /// every hash, so they are recomputed in the background once older than this, and the answer says when they were
    /// computed (<c>nearDuplicateGroupsAsOf</c>); the counts and bytes are always exact.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan NearDuplicateGroupsRefresh { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The most hashed images the near-duplicate groups are counted over (about 20 bytes of memory each while counting,
    /// and work that grows with their square). Above it, <c>GET /images/stats</c> leaves both figures null and says why
    /// (<c>nearDuplicateGroupsNotCounted</c>); similar images and <c>duplicatesOf</c> use the indexes and have no limit.
    /// </summary>
    [Range(0, 50_000_000)]
    public int NearDuplicateGroupsMaxImages { get; set; } = 1_000_000;
}

/// <summary>The provider names <see cref="StoreOptions.Provider"/> accepts.</summary>
public static class StoreProviders
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string SqlServer = "sqlserver";
}
