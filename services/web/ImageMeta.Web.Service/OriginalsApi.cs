using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Calls;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Web.Service;

/// <summary>
/// <c>GET /originals/{id}</c>: the store's copy of the original blob, streamed through (<see cref="StoreForwarding"/>;
/// never buffered: it may be hundreds of MiB). A status without a body becomes the error page's sentence: 404 unknown
/// image or blob deleted, 410 blob replaced since it was stored, 503 store or storage not answering (with the store's
/// Retry-After).
/// </summary>
public static class OriginalsApi
{
    /// <summary>The Content-Security-Policy of an original: stricter than the pages' (nothing loads, no script, no frame).</summary>
    public const string OriginalPolicy = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

    public static RouteGroupBuilder MapOriginalsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/originals");
        group.MapGet("/{id}", OriginalAsync);
        return group;
    }

    private static async Task<IResult> OriginalAsync(string id, HttpContext http, StoreForwarding store)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return TypedResults.StatusCode(StatusCodes.Status400BadRequest);
        }

        var answered = await store.ForwardAsync(http, $"{DaprTopology.Methods.Images}/{imageId}/original", [], (context, response) => Answer(context, response, imageId));
        if (!answered)
        {
            return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        return http.Response.HasStarted ? TypedResults.Empty : TypedResults.StatusCode(http.Response.StatusCode);
    }

    /// <summary>The browser's answer from the store's: the file with its type and name, or a status the error page explains.</summary>
    private static bool Answer(HttpContext context, HttpResponseMessage response, ImageId imageId)
    {
        var type = response.Content.Headers.ContentType?.MediaType;
        if (!response.IsSuccessStatusCode || type is null)
        {
            StoreForwarding.CopyRetryAfter(response, context.Response);
            context.Response.StatusCode = response.StatusCode switch
            {
                HttpStatusCode.NotFound => StatusCodes.Status404NotFound,
                HttpStatusCode.Gone => StatusCodes.Status410Gone,
                HttpStatusCode.RequestEntityTooLarge => StatusCodes.Status413PayloadTooLarge,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
            return false;
        }

        // Only the types the contract shows inline (the store's own rule) are shown; anything else is a download.
        var shown = ImageFormats.IsShownMediaType(type);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = shown ? type : "application/octet-stream";
        context.Response.ContentLength = response.Content.Headers.ContentLength;
        var disposition = new ContentDispositionHeaderValue(shown ? "inline" : "attachment");
        disposition.SetHttpFileName(response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? imageId.ToString());
        var headers = context.Response.Headers;
        headers.ContentDisposition = disposition.ToString();
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "private, no-cache";
        // Not a page: whatever the file holds, opened on its own it may load nothing and runs sandboxed.
        headers.ContentSecurityPolicy = OriginalPolicy;
        return true;
    }
}
