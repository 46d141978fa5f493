namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>Which SQL database the store service writes to.</summary>
public enum MetadataDatabase
{
    Sqlite,
    Postgres,
}

/// <summary>How to start the three services (and, when asked, the web app) against sidecar doubles.</summary>
public sealed class PipelineSettings
{
    /// <summary>The build configuration the services were built in (the caller's own).</summary>
    public required string Configuration { get; init; }

    /// <summary>Makes the Durable Task engine double for ingest's sidecar (one per pipeline).</summary>
    public required Func<IWorkflowEngineDouble> WorkflowEngine { get; init; }

    public MetadataDatabase Database { get; init; } = MetadataDatabase.Sqlite;

    /// <summary>For <see cref="MetadataDatabase.Postgres"/>: the connection string of a database the caller created.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Whether to start the web app (app id <c>web</c>) with its own sidecar double as a fourth app.</summary>
    public bool Web { get; init; }

    /// <summary>Whether to start the in-test Zipkin receiver and point the services at it.</summary>
    public bool Tracing { get; init; } = true;

    /// <summary>daprd <c>--max-body-size</c> for the doubles; the local profile raises the 4Mi default.</summary>
    public long SidecarMaxBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>App token for all three apps (<c>APP_API_TOKEN</c>), or null for none.</summary>
    public string? AppApiToken { get; init; }

    /// <summary>Dapr API token for all three sidecars (<c>DAPR_API_TOKEN</c>), or null for none.</summary>
    public string? DaprApiToken { get; init; }

    /// <summary>Extra environment per app id, applied after the harness's own (tests shorten retry intervals here).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Environment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Minimum log level of the services (Warning keeps the 2-core machine on the work, not the console).</summary>
    public string LogLevel { get; init; } = "Warning";

    /// <summary>Bound on one service's start-up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
