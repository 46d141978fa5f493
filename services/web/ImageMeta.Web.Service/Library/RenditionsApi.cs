using ImageMeta.Contracts;
using ImageMeta.Web.Service.Pipeline;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The larger renditions for &lt;img&gt;: <c>GET /thumbnails/{id}/large</c> (the 640 px thumbnail for 2× screens, the
/// store's <c>/images/{id}/thumbnail?scale=2</c>) and <c>GET /previews/{id}</c> (the 1600 px preview the viewer and the
/// detail page show, the store's <c>/images/{id}/preview</c>). The store's ETag and 304 pass through; only image
/// answers pass, anything else is a 404.
/// </summary>
public static class RenditionsApi
{
    public static RouteGroupBuilder MapRenditions(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/");
        group.MapGet("/thumbnails/{id}/large", (string id, HttpContext http, RenditionCalls store, CancellationToken cancellationToken) =>
            ServeAsync(id, "thumbnail?scale=2", http, store, cancellationToken));
        group.MapGet("/previews/{id}", (string id, HttpContext http, RenditionCalls store, CancellationToken cancellationToken) =>
            ServeAsync(id, "preview", http, store, cancellationToken));
        return group;
    }

    private static async Task<IResult> ServeAsync(string id, string rendition, HttpContext http, RenditionCalls store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return TypedResults.NotFound();
        }

        HttpResponseMessage response;
        try
        {
            response = await store.GetAsync(imageId, rendition, http.Request.Headers.IfNoneMatch, cancellationToken);
        }
        catch (PipelineUnavailableException)
        {
            return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        using (response)
        {
            if (response.Headers.ETag is { } etag)
            {
                http.Response.Headers.ETag = etag.ToString();
            }

            if (response.StatusCode == System.Net.HttpStatusCode.NotModified)
            {
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            }

            var type = response.Content.Headers.ContentType?.MediaType;
            if (!response.IsSuccessStatusCode || type is null || !type.StartsWith("image/", StringComparison.Ordinal))
            {
                return TypedResults.NotFound();
            }

            // A rendition is named for its image version, so it never changes: the browser keeps it.
            http.Response.Headers.CacheControl = "private, max-age=86400, immutable";
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            http.Response.ContentType = type;
            http.Response.ContentLength = response.Content.Headers.ContentLength;
            await body.CopyToAsync(http.Response.Body, cancellationToken);
            return TypedResults.Empty;
        }
    }
}

/// <summary>The store's rendition answers (<c>GET /images/{id}/{rendition}</c>), body unread: the caller streams and disposes it.</summary>
public sealed class RenditionCalls(SidecarInvocation store)
{
    public Task<HttpResponseMessage> GetAsync(ImageId id, string rendition, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{DaprTopology.Methods.Images}/{id}/{rendition}");
        if (!string.IsNullOrEmpty(ifNoneMatch))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return store.SendAsync(request, cancellationToken);
    }
}
