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

    /// <summary>Largest page a query may ask for.</summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = 500;
}

/// <summary>The provider names <see cref="StoreOptions.Provider"/> accepts.</summary>
public static class StoreProviders
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string SqlServer = "sqlserver";
}
