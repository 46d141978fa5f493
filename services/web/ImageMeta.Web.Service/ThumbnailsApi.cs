using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Service;

/// <summary>
/// <c>GET /thumbnails/{id}</c>: the store's thumbnail for &lt;img&gt;, streamed through (<see cref="StoreForwarding"/>),
/// with its ETag, so a browser that has it gets 304. No thumbnail is a 404; the store not answering is a 503.
/// </summary>
public static class ThumbnailsApi
{
    /// <summary>The sentence of a 503: the store (or its sidecar) did not answer.</summary>
    public const string StoreDownSentence = "The store is not answering.";

    private static readonly string[] RequestHeaders = ["If-None-Match"];

    public static RouteGroupBuilder MapThumbnailsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/thumbnails");
        group.MapGet("/{id}", ThumbnailAsync);
        return group;
    }

    private static Task<IResult> ThumbnailAsync(string id, HttpContext http, StoreForwarding store) => RenditionAsync(id, "thumbnail", http, store);

    /// <summary>
    /// One of the store's WebPs of an image (<c>GET /images/{id}/{rendition}</c>: <c>thumbnail</c>,
    /// <c>thumbnail?scale=2</c>, <c>preview</c>), streamed through with its ETag; the pages' rendition routes share it.
    /// </summary>
    public static async Task<IResult> RenditionAsync(string id, string rendition, HttpContext http, StoreForwarding store)
    {
        ArgumentNullException.ThrowIfNull(http);
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
                headers.CacheControl = "private, max-age=300";
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
