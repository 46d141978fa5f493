using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Calls;

/// <summary>The similar strip's content, or why there is none (no perceptual hash for this image, a store without the search).</summary>
public sealed record SimilarAnswer(IReadOnlyList<SimilarImage> Items, string? WhyNone);

/// <summary>A record lookup: the record, or whether the image was deleted (the store's tombstone) when there is none.</summary>
public sealed record RecordLookup(ImageRecord? Record, bool Deleted);

/// <summary>The store refused a query as malformed (400); the detail is the store's sentence.</summary>
public sealed class QueryRejectedException(string detail) : Exception(detail);

/// <summary>
/// The store's JSON answers the pages need, through Dapr service invocation (<see cref="AppCalls"/>, app id
/// <c>store</c>). Thumbnails and originals are not read here: <see cref="StoreForwarding"/> streams them through.
/// Each call throws <see cref="AppUnavailableException"/> when there is no usable answer.
/// </summary>
public sealed class StoreCalls(IHttpClientFactory clients, IOptions<WebOptions> options)
{
    private HttpClient Store => clients.CreateClient(DaprTopology.AppIds.Store);

    public Task<ImagePage> QueryAsync(GalleryFilter filter, string? cursor, CancellationToken cancellationToken) =>
        QueryAsync(filter.ToStoreQuery(options.Value.PageSize, cursor), cancellationToken);

    /// <summary>One page of <c>GET /images</c> for a store query string (starting with <c>?</c>).</summary>
    public async Task<ImagePage> QueryAsync(string query, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}{query}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest && await AppProblem.ReadAsync(response, cancellationToken) is { FromSidecar: false } refused)
        {
            throw new QueryRejectedException(refused.Detail ?? "The store refused these filters.");
        }

        return await AppAnswer.ReadAsync<ImagePage>(response, cancellationToken);
    }

    public async Task<ImageStats> StatsAsync(CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/stats", cancellationToken);
        return await AppAnswer.ReadAsync<ImageStats>(response, cancellationToken);
    }

    /// <summary>The record, or null with <see cref="RecordLookup.Deleted"/> when the store keeps the image's tombstone (410), or null when it knows nothing.</summary>
    public async Task<RecordLookup> LookUpAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone && await AppProblem.ReadAsync(response, cancellationToken) is { FromSidecar: false } problem)
        {
            return new RecordLookup(null, problem.Status == StatusCodes.Status410Gone);
        }

        return new RecordLookup(await AppAnswer.ReadAsync<ImageRecord>(response, cancellationToken), false);
    }

    /// <summary>The record, or null when the store has none.</summary>
    public async Task<ImageRecord?> FindAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar
            ? null
            : await AppAnswer.ReadAsync<ImageRecord>(response, cancellationToken);
    }

    /// <summary>Images whose thumbnails look alike, nearest first, or the store's reason there are none.</summary>
    public async Task<SimilarAnswer> SimilarAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/{id}/similar?limit={options.Value.SimilarCount}", cancellationToken);
        var problem = response.IsSuccessStatusCode ? null : await AppProblem.ReadAsync(response, cancellationToken);
        if (problem is { Status: 409, FromSidecar: false })
        {
            // 409: the image has no perceptual hash; the detail says why (its thumbnail failure, or an older record).
            return new SimilarAnswer([], problem.Detail ?? "This image has no perceptual hash.");
        }

        if (problem is { Status: 404 or 405, FromSidecar: false })
        {
            return new SimilarAnswer([], "This store does not offer similar images.");
        }

        // A body without items (a store of another version) is an empty strip, not a page that fails.
        return new SimilarAnswer((await AppAnswer.ReadAsync<SimilarImages>(response, cancellationToken)).Items ?? [], null);
    }
}
