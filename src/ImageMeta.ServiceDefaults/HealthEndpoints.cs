using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// The probe paths every service serves. Liveness checks nothing external and answers
/// <c>{"status":"Healthy","version":"…"}</c>, the version being the one the build stamped from git (MinVer);
/// readiness runs the checks tagged <see cref="ReadyTag"/>.
/// </summary>
public static class HealthEndpoints
{
    public const string Liveness = "/healthz";
    public const string Readiness = "/readyz";

    /// <summary>Tag a health check with this to make it part of readiness (a database, for example).</summary>
    public const string ReadyTag = "ready";

    public static bool IsHealthPath(PathString path) =>
        path.Equals(Liveness, StringComparison.OrdinalIgnoreCase) ||
        path.Equals(Readiness, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An assembly's informational version: MinVer's version from the nearest <c>vX.Y.Z</c> tag plus the commit
    /// the SDK appends (<c>1.2.4-alpha.0.3+&lt;sha&gt;</c>).
    /// </summary>
    public static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The service's version: its application assembly (the host's ApplicationName), else this library's.</summary>
    internal static string ApplicationVersion(string applicationName)
    {
        try
        {
            return VersionOf(Assembly.Load(new AssemblyName(applicationName)));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException)
        {
            return VersionOf(typeof(HealthEndpoints).Assembly);
        }
    }

    internal static Func<HttpContext, HealthReport, Task> LivenessWriter(string version) =>
        (context, report) => context.Response.WriteAsJsonAsync(new LivenessAnswer(report.Status.ToString(), version));

    private sealed record LivenessAnswer(string Status, string Version);
}
