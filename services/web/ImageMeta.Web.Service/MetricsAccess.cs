using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>
/// Who may read the web app's <c>/metrics</c> (routes, exception type names, counts, the version): people reach this
/// app, so it is not served to anyone who asks. With <see cref="WebOptions.MetricsPort"/> it is served on that port only
/// (for the scraper; the people-facing port answers 404, and the metrics port serves nothing else); without it, it
/// needs a sign-in like every page when sign-in is on (the open local profile serves it as every other page).
/// </summary>
public sealed class MetricsAccess(RequestDelegate next, IOptions<WebOptions> web, IOptions<AuthOptions> auth)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var metricsPort = web.Value.MetricsPort;
        var signInRequired = auth.Value.Enabled;
        var metrics = context.Request.Path.StartsWithSegments(MetricsEndpoint.Path, StringComparison.OrdinalIgnoreCase);
        if (metricsPort is { } port)
        {
            if (metrics != (context.Connection.LocalPort == port))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
        }
        else if (metrics && signInRequired && context.User.Identity?.IsAuthenticated != true)
        {
            await context.ChallengeAsync();
            return;
        }

        await next(context);
    }
}
