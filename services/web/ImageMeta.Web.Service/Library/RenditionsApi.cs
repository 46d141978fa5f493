using ImageMeta.Web.Service.Calls;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The larger renditions for &lt;img&gt;, streamed like the thumbnail (<see cref="ThumbnailsApi.RenditionAsync"/>):
/// <c>GET /thumbnails/{id}/large</c> (the 640 px thumbnail for 2× screens, the store's
/// <c>/images/{id}/thumbnail?scale=2</c>) and <c>GET /previews/{id}</c> (the 1600 px preview the viewer shows, the
/// store's <c>/images/{id}/preview</c>).
/// </summary>
public static class RenditionsApi
{
    public static RouteGroupBuilder MapRenditions(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/");
        group.MapGet("/thumbnails/{id}/large", (string id, HttpContext http, StoreForwarding store) => ThumbnailsApi.RenditionAsync(id, "thumbnail?scale=2", http, store));
        group.MapGet("/previews/{id}", (string id, HttpContext http, StoreForwarding store) => ThumbnailsApi.RenditionAsync(id, "preview", http, store));
        return group;
    }
}
