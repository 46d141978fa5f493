using Microsoft.AspNetCore.Http;

namespace ImageMeta.ServiceDefaults;

/// <summary>The probe paths every service serves. Liveness checks nothing external; readiness runs the checks tagged <see cref="ReadyTag"/>.</summary>
public static class HealthEndpoints
{
    public const string Liveness = "/healthz";
    public const string Readiness = "/readyz";

    /// <summary>Tag a health check with this to make it part of readiness (a database, for example).</summary>
    public const string ReadyTag = "ready";

    public static bool IsHealthPath(PathString path) =>
        path.Equals(Liveness, StringComparison.OrdinalIgnoreCase) ||
        path.Equals(Readiness, StringComparison.OrdinalIgnoreCase);
}
