using System.Security.Cryptography;
using System.Text;
using ImageMeta.Dapr;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.ServiceDefaults;

/// <summary>
/// Honours Dapr's app API token: when <c>APP_API_TOKEN</c> is set, the sidecar adds it to every call
/// it makes to the app as the <c>dapr-api-token</c> header, so a request without the matching header
/// did not come through our sidecar and is refused. Health endpoints stay open for the kubelet, and
/// <c>/metrics</c> for the Prometheus scraper.
/// </summary>
public sealed class ApiTokenMiddleware(RequestDelegate next, string token)
{
    /// <summary>The header Dapr uses for both the app token and the Dapr API token.</summary>
    public const string HeaderName = DaprSidecar.ApiTokenHeader;

    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    public Task InvokeAsync(HttpContext context)
    {
        if (MetricsEndpoint.IsOperatorPath(context.Request.Path) || Matches(context.Request.Headers[HeaderName]))
        {
            return next(context);
        }

        return Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Missing or wrong dapr-api-token",
            detail: "This app only accepts calls that carry its app API token in the dapr-api-token header.")
            .ExecuteAsync(context);
    }

    private bool Matches(string? presented) =>
        presented is not null &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected);
}
