using System.Net;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pipeline;

/// <summary>The similar strip's content, or why there is none (no perceptual hash for this image, a store without the search).</summary>
public sealed record SimilarAnswer(IReadOnlyList<SimilarImage> Items, string? WhyNone);

/// <summary>The store's answers the pages need, originals included, through Dapr service invocation (app id <c>store</c>).</summary>
public sealed class StoreCalls(SidecarInvocation store, IOptions<WebOptions> options)
{
    public async Task<ImagePage> QueryAsync(GalleryFilter filter, string? cursor, CancellationToken cancellationToken)
    {
        var query = filter.ToStoreQuery(options.Value.PageSize, cursor);
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}{query}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new QueryRejectedException((await SidecarInvocation.ProblemAsync(response, cancellationToken)).Detail ?? "The store refused these filters.");
        }

        return await store.ReadAsync<ImagePage>(response, cancellationToken);
    }

    public async Task<ImageStats> StatsAsync(CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/stats", cancellationToken);
        return await store.ReadAsync<ImageStats>(response, cancellationToken);
    }

    /// <summary>The record, or null when the store has none.</summary>
    public async Task<ImageRecord?> FindAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await store.ReadAsync<ImageRecord>(response, cancellationToken);
    }

    /// <summary>Images whose thumbnails look alike, nearest first, or the store's reason there are none.</summary>
    public async Task<SimilarAnswer> SimilarAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/{id}/similar?limit={options.Value.SimilarCount}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            // 409: the image has no perceptual hash; the detail says why (its thumbnail failure, or an older record).
            return new SimilarAnswer([], (await SidecarInvocation.ProblemAsync(response, cancellationToken)).Detail ?? "This image has no perceptual hash.");
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return new SimilarAnswer([], "This store does not offer similar images.");
        }

        return new SimilarAnswer((await store.ReadAsync<SimilarImages>(response, cancellationToken)).Items, null);
    }

    /// <summary>The thumbnail answer as the store gives it (the caller streams it and disposes it).</summary>
    public Task<HttpResponseMessage> ThumbnailAsync(ImageId id, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{DaprTopology.Methods.Images}/{id}/thumbnail");
        if (!string.IsNullOrEmpty(ifNoneMatch))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return store.SendAsync(request, cancellationToken);
    }

    /// <summary>The store's answer for the original blob (<c>GET /images/{id}/original</c>), body unread: the caller streams it and disposes it.</summary>
    public Task<HttpResponseMessage> OriginalAsync(ImageId id, CancellationToken cancellationToken) =>
        store.GetAsync($"{DaprTopology.Methods.Images}/{id}/original", cancellationToken);
}
