using Dapr;
using Microsoft.Extensions.Configuration;

namespace ImageMeta.Dapr;

/// <summary>
/// Where this app's sidecar listens and the token it demands. The SDK's own rules decide (<see cref="DaprDefaults"/>:
/// <c>DAPR_{HTTP|GRPC}_ENDPOINT</c>, else <c>DAPR_{HTTP|GRPC}_PORT</c> on localhost, else Dapr's default ports; and
/// <c>DAPR_API_TOKEN</c>), read from configuration first and the environment second, so an in-process test host can
/// point an app at its sidecar double without touching the environment of the test run.
/// </summary>
public static class DaprSidecar
{
    /// <summary>The header daprd reads its API token from, and the one it sends the app token in (docs.dapr.io, "Enable API token authentication in Dapr").</summary>
    public const string ApiTokenHeader = "dapr-api-token";

    /// <summary>The variable that holds the token the sidecar demands on every call to its API.</summary>
    public const string ApiTokenVariable = "DAPR_API_TOKEN";

    /// <summary>The sidecar API token, or null when none is set.</summary>
    public static string? ApiToken(IConfiguration configuration) =>
        DaprDefaults.GetDefaultDaprApiToken(configuration) is { Length: > 0 } token ? token : null;

    /// <summary>The sidecar's HTTP endpoint (Dapr's default <c>http://localhost:3500/</c> when none is configured).</summary>
    public static string HttpEndpoint(IConfiguration configuration) => DaprDefaults.GetDefaultHttpEndpoint(configuration);

    /// <summary>The sidecar's gRPC endpoint (Dapr's default <c>http://localhost:50001/</c> when none is configured).</summary>
    public static string GrpcEndpoint(IConfiguration configuration) => DaprDefaults.GetDefaultGrpcEndpoint(configuration);
}
