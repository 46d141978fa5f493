using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Web.Service.Library;

/// <summary>The changes feed said the token is older than its retention: the page must load afresh.</summary>
public sealed class ChangesTokenExpiredException() : Exception("The changes token has expired.");

/// <summary>
/// The store's answers the live pages need beyond the gallery query: the changes feed (records written and ids removed
/// after a token), through Dapr service invocation (app id <c>store</c>).
/// </summary>
public sealed class LibraryCalls(IHttpClientFactory clients)
{
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

        using var response = await clients.CreateClient(DaprTopology.AppIds.Store).GetAsync(query, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Gone or HttpStatusCode.BadRequest)
        {
            // 410: older than the tombstone retention; 400: not a token the store issued. Either way, start again.
            throw new ChangesTokenExpiredException();
        }

        return await AppAnswer.ReadAsync<ImageChanges>(response, cancellationToken);
    }
}
