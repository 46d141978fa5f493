using ImageMeta.Dapr;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImageMeta.Web.Service;

/// <summary>
/// Readiness of the web app: every page and call goes through its sidecar, so the app is ready when the sidecar's
/// outbound APIs are (<c>GET /v1.0/healthz/outbound</c> answers 204, docs.dapr.io "Health API"). Ingest or the store
/// being down does not make the app unready: the pages say so in a sentence and the rest keeps working.
/// </summary>
public sealed class SidecarReadiness(IHttpClientFactory clients, IConfiguration configuration) : IHealthCheck
{
    public const string ClientName = "sidecar-health";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = clients.CreateClient(ClientName);
            using var answer = await client.GetAsync(new Uri(new Uri(DaprSidecar.HttpEndpoint(configuration)), "v1.0/healthz/outbound"), cancellationToken);
            return answer.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"The sidecar's outbound health answered {(int)answer.StatusCode}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy("The sidecar does not answer.");
        }
    }
}
