using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Testing.Dapr;

/// <summary>How one sidecar double is set up: the daprd flags and environment that matter to our apps.</summary>
public sealed record SidecarOptions
{
    /// <summary>daprd's default <c>--max-body-size</c> (4Mi), for HTTP bodies and gRPC messages alike.</summary>
    public const long DaprdDefaultMaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>daprd <c>--app-id</c>.</summary>
    public required string AppId { get; init; }

    /// <summary>daprd <c>--app-port</c>: where the app listens on loopback (HTTP).</summary>
    public required int AppPort { get; init; }

    /// <summary>The <c>APP_API_TOKEN</c> both the sidecar and the app see; the sidecar sends it to the app as <c>dapr-api-token</c>.</summary>
    public string? AppApiToken { get; init; }

    /// <summary>The <c>DAPR_API_TOKEN</c> the sidecar demands from the app on every call (health endpoints excepted).</summary>
    public string? DaprApiToken { get; init; }

    /// <summary>daprd <c>--max-body-size</c> in bytes (the local profile raises it for large images).</summary>
    public long MaxBodyBytes { get; init; } = DaprdDefaultMaxBodyBytes;

    /// <summary>Fixed HTTP API port, or 0 for a dynamic one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Fixed gRPC API port, or 0 for a dynamic one.</summary>
    public int GrpcPort { get; init; }

    /// <summary>The workflow engine behind the workflow management API (only the ingest sidecar has one).</summary>
    public IWorkflowManagement? Workflows { get; init; }

    /// <summary>Extra gRPC services on the gRPC port (the Durable Task sidecar service double): registration.</summary>
    public Action<IServiceCollection>? ConfigureExtraServices { get; init; }

    /// <summary>Extra gRPC services on the gRPC port: endpoint mapping (for example <c>MapGrpcService&lt;T&gt;()</c>).</summary>
    public Action<IEndpointRouteBuilder>? MapExtraEndpoints { get; init; }

    /// <summary>daprd's tracing configuration (<c>tracing.zipkin.endpointAddress</c>): where the sidecar's own spans go.</summary>
    public string? ZipkinEndpoint { get; init; }

    /// <summary>Component names this sidecar reports in its metadata (the local profile's components).</summary>
    public IReadOnlyList<(string Name, string Type)> Components { get; init; } =
    [
        ("images", "bindings.localstorage"),
        ("sweep", "bindings.cron"),
        ("workflowstate", "state.sqlite"),
        ("sweepstate", "state.sqlite"),
    ];
}
