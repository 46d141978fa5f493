using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The larger renditions for &lt;img&gt;: <c>GET /thumbnails/{id}/large</c> (the 640 px thumbnail for 2× screens, the
/// store's <c>/images/{id}/thumbnail?scale=2</c>) and <c>GET /previews/{id}</c> (the 1600 px preview the viewer and the
/// detail page show, the store's <c>/images/{id}/preview</c>), streamed through (<see cref="StoreForwarding"/>). The
/// store's ETag and 304 pass through; only image answers pass, anything else is a 404; the store not answering is a 503.
/// </summary>
public static class RenditionsApi
{
    private static readonly string[] RequestHeaders = ["If-None-Match"];

    public static RouteGroupBuilder MapRenditions(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/");
        group.MapGet("/thumbnails/{id}/large", (string id, HttpContext http, StoreForwarding store) => ServeAsync(id, "thumbnail?scale=2", http, store));
        group.MapGet("/previews/{id}", (string id, HttpContext http, StoreForwarding store) => ServeAsync(id, "preview", http, store));
        return group;
    }

    private static async Task<IResult> ServeAsync(string id, string rendition, HttpContext http, StoreForwarding store)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return TypedResults.NotFound();
        }

        var unavailable = false;
        var answered = await store.ForwardAsync(http, $"{DaprTopology.Methods.Images}/{imageId}/{rendition}", RequestHeaders, (context, response) =>
        {
            if (response.Headers.ETag is { } etag && (int)response.StatusCode < 400)
            {
                context.Response.Headers.ETag = etag.ToString();
            }

            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return false;
            }

            if (StoreForwarding.IsImage(response))
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = response.Content.Headers.ContentType!.ToString();
                context.Response.ContentLength = response.Content.Headers.ContentLength;
                // A rendition is named for its image version, so it never changes: the browser keeps it.
                context.Response.Headers.CacheControl = "private, max-age=86400, immutable";
                return true;
            }

            if ((int)response.StatusCode >= 500)
            {
                StoreForwarding.CopyRetryAfter(response, context.Response);
                unavailable = true;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return false;
        });

        if (!answered || unavailable)
        {
            return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        return http.Response.StatusCode == StatusCodes.Status404NotFound ? TypedResults.NotFound() : TypedResults.Empty;
    }
}
