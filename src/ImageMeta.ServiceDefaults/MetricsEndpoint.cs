using Microsoft.AspNetCore.Http;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Where every service serves its metrics in Prometheus's text format, on the app port. Like the health probes it
/// is open without the app API token: scrapers (Azure Monitor managed Prometheus, kube-prometheus-stack) call the
/// pod directly, not through the sidecar, and the answer holds only counts and durations with low-cardinality labels.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static bool IsMetricsPath(PathString path) => path.Equals(Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>Probes and scrapes: open without the token, and not traced (they would drown the traces people read).</summary>
    public static bool IsOperatorPath(PathString path) => IsMetricsPath(path) || HealthEndpoints.IsHealthPath(path);
}
