using System.Security.Cryptography;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Store.Service;

/// <summary>
/// The summaries of the <c>images</c> resource: <c>GET /images/stats</c> (maintained counts, with an ETag and a short
/// max-age), <c>GET /images/timeline</c> (images per month), <c>GET /images/positions</c> (points or clusters in a box)
/// and <c>GET /images/changes</c> (what was written or removed after a token).
/// </summary>
public static partial class ImagesApi
{
    /// <summary>
    /// How long a client or proxy may keep the stats without asking: a gallery reloading within it costs nothing, and
    /// after it an unchanged answer is a 304. Private: the counts sit behind sign-in.
    /// </summary>
    public const string StatsCacheControl = "private, max-age=5";

    private static async Task<IResult> Stats(HttpContext http, IMetadataStore store, CancellationToken cancellationToken)
    {
        var stats = await store.StatsAsync(cancellationToken);
        var body = JsonSerializer.SerializeToUtf8Bytes(stats, ContractJson.Options);
        // The tag is the answer's own hash: it changes exactly when a count (or the group figures' age) changes.
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"");
        http.Response.Headers.CacheControl = StatsCacheControl;
        http.Response.Headers.ETag = etag.ToString();
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags) && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(body, "application/json");
    }

    private static async Task<Ok<ImageTimeline>> Timeline([AsParameters] TimelineQuery query, IMetadataStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.TimelineAsync(
            string.IsNullOrEmpty(query.Status) ? null : query.Status,
            string.IsNullOrEmpty(query.Format) ? null : query.Format.ToLowerInvariant(),
            cancellationToken));

    private static async Task<Ok<ImagePositions>> Positions([AsParameters] PositionsQuery query, IMetadataStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(await store.PositionsAsync(
            PositionsQuery.TryBox(query.Bbox!)!,
            WholeNumberAttribute.Parse(query.Limit) ?? PositionsQuery.DefaultLimit,
            cancellationToken));

    private static async Task<Results<Ok<ImageChanges>, ProblemHttpResult>> Changes(
        [AsParameters] ChangesQuery query, IMetadataStore store, CancellationToken cancellationToken)
    {
        ChangeToken? after = null;
        if (!string.IsNullOrEmpty(query.After))
        {
            ChangeCursor.TryDecode(query.After, out var token);
            if (store.IsExpired(token))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, title: "Changes token expired",
                    detail: "The token is older than the store keeps removals for; load the images again and start from a new token.");
            }

            after = token;
        }

        return TypedResults.Ok(await store.ChangesAsync(after, WholeNumberAttribute.Parse(query.Limit) ?? ChangesQuery.DefaultLimit, cancellationToken));
    }
}
