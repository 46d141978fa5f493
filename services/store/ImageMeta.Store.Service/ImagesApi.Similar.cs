using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Store.Service;

/// <summary>
/// The per-image views of the <c>images</c> resource that thumbnails brought: <c>GET /images/{id}/thumbnail</c>
/// (the WebP, read through the <c>thumbnails</c> binding, cacheable for good) and <c>GET /images/{id}/similar</c>
/// (records whose perceptual hash lies within a few bits), plus the lookup <c>duplicatesOf</c> shares.
/// </summary>
public static partial class ImagesApi
{
    /// <summary>Largest <c>maxDistance</c>: beyond half the bits, hashes of unrelated photos match as often as not.</summary>
    public const int MaxSimilarDistance = 32;

    /// <summary>Default and largest <c>limit</c> of <c>/similar</c>.</summary>
    public const int DefaultSimilarLimit = 20, MaxSimilarLimit = 100;

    /// <summary>
    /// The thumbnail of an image version never changes (a new version is a new id), so clients may keep it a year
    /// without asking again. Private: the images sit behind sign-in, so shared caches must not keep them.
    /// </summary>
    public const string ThumbnailCacheControl = "private, max-age=31536000, immutable";

    private static async Task<IResult> Thumbnail(
        string id, HttpContext http, IMetadataStore store, [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var (record, problem) = await FindAsync(id, store, cancellationToken);
        if (record is null)
        {
            return problem!;
        }

        if (record.Thumbnail is not { } thumbnail)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No thumbnail", detail: WhyNoThumbnail(record));
        }

        var etag = new EntityTagHeaderValue(ThumbnailETag(record.Id, thumbnail));
        http.Response.Headers.CacheControl = ThumbnailCacheControl;
        http.Response.Headers.ETag = etag.ToString();
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags) && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        try
        {
            var content = await thumbnails.GetAsync(thumbnail.Name, cancellationToken);
            return TypedResults.Bytes(content.Content, "image/webp");
        }
        catch (BlobNotFoundException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Thumbnail blob missing",
                detail: $"The record names thumbnail '{thumbnail.Name}', but the thumbnails container has no such blob.");
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or BindingOperationException or BlobTooLargeException)
        {
            // The sidecar's or storage's message can name hosts: log it, answer a fixed detail.
            logs.CreateLogger(typeof(ImagesApi)).LogWarning(e, "Reading thumbnail {Name} through the {Binding} binding failed", thumbnail.Name, DaprTopology.Components.Thumbnails);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Thumbnails unavailable",
                detail: "The thumbnails binding could not be read; retry later.");
        }
    }

    private static async Task<Results<Ok<SimilarImages>, ValidationProblem, ProblemHttpResult>> Similar(
        string id, HttpRequest request, IMetadataStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var maxDistance = QueryInt(request, "maxDistance", 0, MaxSimilarDistance, errors) ?? PerceptualHash.NearDuplicateDistance;
        var limit = Math.Min(QueryInt(request, "limit", 1, int.MaxValue, errors) ?? DefaultSimilarLimit, MaxSimilarLimit);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid query");
        }

        var (near, problem) = await NeighbourhoodAsync(id, maxDistance, store, cancellationToken);
        return near is null ? problem! : TypedResults.Ok(new SimilarImages(await store.SimilarAsync(near, limit, cancellationToken)));
    }

    /// <summary>The image's hash neighbourhood, or the problem that says why there is none: 400 malformed id, 404 unknown image, 409 no hash.</summary>
    private static async Task<(HashNeighbourhood? Near, ProblemHttpResult? Problem)> NeighbourhoodAsync(string id, int maxDistance, IMetadataStore store, CancellationToken cancellationToken)
    {
        var (record, problem) = await FindAsync(id, store, cancellationToken);
        if (record is null)
        {
            return (null, problem);
        }

        return record.Thumbnail is { } t && PerceptualHash.TryParse(t.PerceptualHash, out var hash)
            ? (new HashNeighbourhood(hash, maxDistance, record.Id), null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Image has no perceptual hash", detail: WhyNoThumbnail(record)));
    }

    private static async Task<(ImageRecord? Record, ProblemHttpResult? Problem)> FindAsync(string id, IMetadataStore store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid image id", detail: $"An image id is {ImageId.Length} lowercase hexadecimal characters."));
        }

        return await store.GetAsync(imageId, cancellationToken) is { } record
            ? (record, null)
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown image", detail: $"No record has the id '{imageId}'."));
    }

    private static string WhyNoThumbnail(ImageRecord record) => record.ThumbnailFailure is { } failure
        ? $"No thumbnail could be made ({failure.Class}): {failure.Message}"
        : "The record has no thumbnail: it was stored before thumbnails existed.";

    /// <summary>Strong: it names the image version, the pixels' hash and the length, which together fix the WebP the extractor wrote.</summary>
    private static string ThumbnailETag(ImageId id, ImageThumbnail thumbnail)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{id}/{thumbnail.PerceptualHash}/{thumbnail.Bytes}");
        return "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16)) + "\"";
    }

    /// <summary>A whole-number query value within bounds; null when absent; an error recorded when malformed or out of range.</summary>
    private static int? QueryInt(HttpRequest request, string name, int min, int max, Dictionary<string, string[]> errors)
    {
        if (request.Query[name] is not { Count: > 0 } values || string.IsNullOrEmpty(values[0]))
        {
            return null;
        }

        if (int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }

        errors[name] = [max == int.MaxValue ? $"{name} must be a whole number of at least {min}." : $"{name} must be a whole number from {min} to {max}."];
        return null;
    }
}
