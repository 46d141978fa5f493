using System.Net;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pipeline;

/// <summary>One page of the store's keyset query (<c>GET /images</c>).</summary>
public sealed record ImagePage(IReadOnlyList<ImageRecord> Items, string? NextCursor);

/// <summary>The store's <c>GET /images/stats</c>.</summary>
public sealed record ImageStats(long Total, IReadOnlyDictionary<string, long> ByFormat, IReadOnlyDictionary<string, long> ByStatus, decimal TotalBytes);

/// <summary>One entry of the store's <c>GET /images/{id}/similar</c>: the perceptual-hash distance and the record.</summary>
public sealed record SimilarImage(int Distance, ImageRecord Image);

/// <summary>The similar strip's content, or why there is none (no perceptual hash for this image, a store without the search).</summary>
public sealed record SimilarAnswer(IReadOnlyList<SimilarImage> Items, string? WhyNone);

/// <summary>The store's answers the pages need, originals included, through Dapr service invocation (app id <c>store</c>).</summary>
public sealed class StoreCalls(SidecarInvocation store, IOptions<WebOptions> options)
{
    private sealed record SimilarPage(IReadOnlyList<SimilarImage> Items);

    public async Task<ImagePage> QueryAsync(GalleryFilter filter, string? cursor, CancellationToken cancellationToken)
    {
        var query = filter.ToStoreQuery(options.Value.PageSize, cursor);
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}{query}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new QueryRejectedException(await ProblemDetailAsync(response, cancellationToken) ?? "The store refused these filters.");
        }

        return await ReadAsync<ImagePage>(response, cancellationToken);
    }

    public async Task<ImageStats> StatsAsync(CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/stats", cancellationToken);
        return await ReadAsync<ImageStats>(response, cancellationToken);
    }

    /// <summary>The record, or null when the store has none.</summary>
    public async Task<ImageRecord?> FindAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync<ImageRecord>(response, cancellationToken);
    }

    /// <summary>Images whose thumbnails look alike, nearest first, or the store's reason there are none.</summary>
    public async Task<SimilarAnswer> SimilarAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await store.GetAsync($"{DaprTopology.Methods.Images}/{id}/similar?limit={options.Value.SimilarCount}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            // 409: the image has no perceptual hash; the detail says why (its thumbnail failure, or an older record).
            return new SimilarAnswer([], await ProblemDetailAsync(response, cancellationToken) ?? "This image has no perceptual hash.");
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return new SimilarAnswer([], "This store does not offer similar images.");
        }

        return new SimilarAnswer((await ReadAsync<SimilarPage>(response, cancellationToken)).Items, null);
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

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new PipelineUnavailableException(store.AppId, $"answered {(int)response.StatusCode}");
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken)
                ?? throw new PipelineUnavailableException(store.AppId, "answered an empty body");
        }
        catch (JsonException e)
        {
            throw new PipelineUnavailableException(store.AppId, "answered something that is not the expected JSON", e);
        }
    }

    internal static async Task<string?> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var problem = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String
                ? detail.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
