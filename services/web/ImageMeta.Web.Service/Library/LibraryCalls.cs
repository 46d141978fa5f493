using System.Globalization;
using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Calls;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Library;

/// <summary>The changes feed said the token is older than its retention: the page must load afresh.</summary>
public sealed class ChangesTokenExpiredException() : Exception("The changes token has expired.");

/// <summary>
/// The store's answers the live pages need beyond the gallery query: the changes feed (records written and ids removed
/// after a token), the timeline (pages by date taken, counts per month) and the map's positions, through Dapr service invocation (<see cref="AppCalls"/>, app id <c>store</c>). Each call throws
/// <see cref="AppUnavailableException"/> when there is no usable answer.
/// </summary>
public sealed class LibraryCalls(IHttpClientFactory clients, StoreCalls store, IOptions<WebOptions> options)
{
    /// <summary>Most positions the map asks for as points; beyond it the store answers clusters.</summary>
    public const int PositionsLimit = 500;

    private HttpClient Store => clients.CreateClient(DaprTopology.AppIds.Store);

    /// <summary>Most changes one poll takes; more wait for the next poll (the token moves only past what was answered).</summary>
    public const int ChangesPerPoll = 100;

    /// <summary>
    /// <c>GET /images/changes?after=</c>: what changed after <paramref name="after"/>; without a token, nothing and the
    /// token of "now". Throws <see cref="ChangesTokenExpiredException"/> on the store's 410.
    /// </summary>
    public async Task<ImageChanges> ChangesAsync(string? after, CancellationToken cancellationToken)
    {
        var query = $"{DaprTopology.Methods.Images}/changes?limit={ChangesPerPoll}";
        if (!string.IsNullOrEmpty(after))
        {
            query += "&after=" + Uri.EscapeDataString(after);
        }

        using var response = await Store.GetAsync(query, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Gone or HttpStatusCode.BadRequest && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar)
        {
            // 410: older than the tombstone retention; 400: not a token the store issued. Either way, start again.
            throw new ChangesTokenExpiredException();
        }

        return await AppAnswer.ReadAsync<ImageChanges>(response, cancellationToken);
    }

    /// <summary>
    /// One page of the timeline: <c>GET /images?order=taken</c> with the filters, newest date first, from
    /// <paramref name="cursor"/> (a taken-order cursor) or else from the start of <paramref name="month"/>
    /// (<c>yyyy-MM</c>, the store's <c>startAt</c>). Throws <see cref="QueryRejectedException"/> on the store's 400.
    /// </summary>
    public Task<ImagePage> TimelinePageAsync(GalleryFilter filter, string? cursor, string? month, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = filter.ToStoreQuery(options.Value.PageSize, cursor) + "&order=taken";
        if (cursor is null && !string.IsNullOrEmpty(month))
        {
            query += "&startAt=" + Uri.EscapeDataString(month);
        }

        return store.QueryAsync(query, cancellationToken);
    }

    /// <summary><c>GET /images/timeline</c>: images per month, newest first (status and format narrow the counts).</summary>
    public async Task<ImageTimeline> MonthsAsync(GalleryFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = $"{DaprTopology.Methods.Images}/timeline?status={Uri.EscapeDataString(filter.Status ?? string.Empty)}&format={Uri.EscapeDataString(filter.Format ?? string.Empty)}";
        using var response = await Store.GetAsync(query, cancellationToken);
        return await AppAnswer.ReadAsync<ImageTimeline>(response, cancellationToken);
    }

    /// <summary><c>GET /images/positions</c>: the geotagged images in a box (points up to <see cref="PositionsLimit"/>, else clusters).</summary>
    public async Task<ImagePositions> PositionsAsync(double minLon, double minLat, double maxLon, double maxLat, CancellationToken cancellationToken)
    {
        var box = string.Join(',', new[] { minLon, minLat, maxLon, maxLat }.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/positions?bbox={box}&limit={PositionsLimit}", cancellationToken);
        return await AppAnswer.ReadAsync<ImagePositions>(response, cancellationToken);
    }
}
