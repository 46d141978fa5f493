using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Service;

/// <summary>
/// The store's images for &lt;img&gt;, streamed through (<see cref="StoreForwarding"/>) with their ETag, so a browser
/// that has one gets 304: <c>GET /thumbnails/{id}</c> (320 px), <c>GET /thumbnails/{id}/large</c> (the 640 px
/// rendition for 2× screens, the store's <c>thumbnail?scale=2</c>) and <c>GET /previews/{id}</c> (the 1600 px preview
/// the viewer shows). Nothing there is a 404; the store not answering is a 503. Only image answers pass.
/// </summary>
public static class ThumbnailsApi
{
    /// <summary>The sentence of a 503: the store (or its sidecar) did not answer.</summary>
    public const string StoreDownSentence = "The store is not answering.";

    private static readonly string[] RequestHeaders = ["If-None-Match"];

    public static RouteGroupBuilder MapThumbnailsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/thumbnails");
        group.MapGet("/{id}", (string id, HttpContext http, StoreForwarding store) => ForwardAsync(id, "thumbnail", "private, max-age=300", http, store));
        // A rendition is named for its image version, so it never changes: the browser keeps it.
        group.MapGet("/{id}/large", (string id, HttpContext http, StoreForwarding store) => ForwardAsync(id, "thumbnail?scale=2", Immutable, http, store));
        return group;
    }

    /// <summary><c>GET /previews/{id}</c>: the 1600 px preview.</summary>
    public static RouteGroupBuilder MapPreviewsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/previews");
        group.MapGet("/{id}", (string id, HttpContext http, StoreForwarding store) => ForwardAsync(id, "preview", Immutable, http, store));
        return group;
    }

    private const string Immutable = "private, max-age=86400, immutable";

    private static async Task<IResult> ForwardAsync(string id, string rendition, string cacheControl, HttpContext http, StoreForwarding store)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return WebProblems.InvalidId();
        }

        var unavailable = false;
        var answered = await store.ForwardAsync(http, $"{DaprTopology.Methods.Images}/{imageId}/{rendition}", RequestHeaders, (context, response) =>
        {
            var headers = context.Response.Headers;
            if (response.Headers.ETag is { } etag)
            {
                headers.ETag = etag.ToString();
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
                headers.CacheControl = cacheControl;
                return true;
            }

            headers.ETag = default;
            if ((int)response.StatusCode >= 500)
            {
                StoreForwarding.CopyRetryAfter(response, context.Response);
                unavailable = true;
                return false;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return false;
        });

        if (!answered || unavailable)
        {
            return WebProblems.Of(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, StoreDownSentence);
        }

        return http.Response.StatusCode == StatusCodes.Status404NotFound ? TypedResults.NotFound() : TypedResults.Empty;
    }
}
