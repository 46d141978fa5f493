using ImageMeta.Web.Service.Library;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>
/// Headers on every answer: a Content-Security-Policy that allows only this origin's own scripts, styles and images
/// (no inline script or style, no frames), <c>X-Content-Type-Options: nosniff</c>, frame denial and no referrer
/// leaving the site. The sign-in provider's origin joins <c>form-action</c>, because Chromium applies it to the
/// redirect that follows the sign-out form; the map tiles' origin joins <c>img-src</c> only while maps are on.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next, string signInOrigin, IOptions<MapTilesOptions> tiles)
{
    private readonly string _policy =
        $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{(tiles.Value.TileOrigin is { } origin ? " " + origin : string.Empty)}; connect-src 'self'; " +
        $"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'{(signInOrigin.Length > 0 ? " " + signInOrigin : string.Empty)}";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = _policy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        return next(context);
    }
}
