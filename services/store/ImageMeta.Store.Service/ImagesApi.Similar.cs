using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Store.Service;

/// <summary>
/// The per-image views of the <c>images</c> resource that thumbnails brought: <c>GET /images/{id}/thumbnail</c> (the
/// WebP, or with <c>scale=2</c> its rendition for 2× screens), <c>GET /images/{id}/preview</c> (the display-size
/// rendition), each read through the <c>thumbnails</c> binding and cacheable for good, and <c>GET /images/{id}/similar</c>
/// (records whose perceptual hash lies within a few bits), plus the lookup <c>duplicatesOf</c> shares.
/// </summary>
public static partial class ImagesApi
{
    /// <summary>
    /// A rendition of an image version never changes (a new version is a new id), so clients may keep it a year
    /// without asking again. Private: the images sit behind sign-in, so shared caches must not keep them.
    /// </summary>
    public const string ThumbnailCacheControl = "private, max-age=31536000, immutable";

    private static Task<IResult> Thumbnail(
        string id, [AsParameters] ThumbnailQuery query, HttpContext http, IMetadataStore store, [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails, ILoggerFactory logs, CancellationToken cancellationToken) =>
        RenditionAsync(id, query.Scale == "2" ? Rendition.Large : Rendition.Thumbnail, http, store, thumbnails, logs, cancellationToken);

    private static Task<IResult> Preview(
        string id, HttpContext http, IMetadataStore store, [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails, ILoggerFactory logs, CancellationToken cancellationToken) =>
        RenditionAsync(id, Rendition.Preview, http, store, thumbnails, logs, cancellationToken);

    /// <summary>The three WebPs the extractor writes for an image version.</summary>
    private enum Rendition
    {
        Thumbnail,
        Large,
        Preview,
    }

    private static async Task<IResult> RenditionAsync(
        string id, Rendition rendition, HttpContext http, IMetadataStore store, IBlobBinding thumbnails, ILoggerFactory logs, CancellationToken cancellationToken)
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

        var (name, bytes) = rendition switch
        {
            Rendition.Large => (thumbnail.Large?.Name, thumbnail.Large?.Bytes),
            Rendition.Preview => (thumbnail.Preview?.Name, thumbnail.Preview?.Bytes),
            _ => (thumbnail.Name, thumbnail.Bytes),
        };
        if (name is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: rendition == Rendition.Preview ? "No preview" : "No large thumbnail",
                detail: "The record has no such rendition: it was stored before renditions existed, or the rendition could not be made.");
        }

        var etag = new EntityTagHeaderValue(ThumbnailETag(record.Id, thumbnail, name, bytes!.Value));
        http.Response.Headers.CacheControl = ThumbnailCacheControl;
        http.Response.Headers.ETag = etag.ToString();
        if (EntityTagHeaderValue.TryParseList(http.Request.Headers.IfNoneMatch, out var tags) && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        try
        {
            var content = await thumbnails.GetAsync(name, cancellationToken);
            return TypedResults.Bytes(content.Content, "image/webp");
        }
        catch (BlobNotFoundException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Thumbnail blob missing",
                detail: $"The record names thumbnail '{name}', but the thumbnails container has no such blob.");
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or BindingOperationException or BlobTooLargeException)
        {
            // The sidecar's or storage's message can name hosts: log it, answer a fixed detail.
            logs.CreateLogger(typeof(ImagesApi)).LogWarning(e, "Reading thumbnail {Name} through the {Binding} binding failed", name, DaprTopology.Components.Thumbnails);
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable,
                "The thumbnails binding could not be read; retry later.", "Thumbnails unavailable");
        }
    }

    private static async Task<Results<Ok<SimilarImages>, ProblemHttpResult>> Similar(
        string id, [AsParameters] SimilarImagesQuery query, IMetadataStore store, CancellationToken cancellationToken)
    {
        var maxDistance = WholeNumberAttribute.Parse(query.MaxDistance) ?? PerceptualHash.NearDuplicateDistance;
        var limit = Math.Min(WholeNumberAttribute.Parse(query.Limit) ?? SimilarImagesQuery.DefaultLimit, SimilarImagesQuery.MaxLimit);
        var (near, problem) = await NeighbourhoodAsync(id, maxDistance, store, cancellationToken);
        return near is null ? problem! : TypedResults.Ok(new SimilarImages(await store.SimilarAsync(near, limit, cancellationToken)));
    }

    /// <summary>The image's hash neighbourhood, or the problem that says why there is none: 400 malformed id, 404 unknown image, 410 deleted, 409 no hash.</summary>
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

    /// <summary>The record, or the problem: 400 malformed id, 410 (failure class <c>deleted</c>) while a tombstone is kept, 404 unknown.</summary>
    private static async Task<(ImageRecord? Record, ProblemHttpResult? Problem)> FindAsync(string id, IMetadataStore store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return (null, InvalidId());
        }

        if (await store.GetAsync(imageId, cancellationToken) is { } record)
        {
            return (record, null);
        }

        return await store.IsDeletedAsync(imageId, cancellationToken)
            ? (null, FailureProblems.Problem(StatusCodes.Status410Gone, FailureClass.Deleted, $"The image '{imageId}' has been deleted.", "Image deleted"))
            : (null, TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown image", detail: $"No record has the id '{imageId}'."));
    }

    private static string WhyNoThumbnail(ImageRecord record) => record.ThumbnailFailure is { } failure
        ? $"No thumbnail could be made ({failure.Class}): {failure.Message}"
        : "The record has no thumbnail: it was stored before thumbnails existed.";

    /// <summary>Strong: it names the image version, the pixels' hash, the rendition and its length, which together fix the WebP the extractor wrote.</summary>
    private static string ThumbnailETag(ImageId id, ImageThumbnail thumbnail, string name, long bytes)
    {
        // The thumbnail's own tag keeps the form it had before renditions existed, so clients' cached copies stay valid.
        var text = name == thumbnail.Name
            ? string.Create(CultureInfo.InvariantCulture, $"{id}/{thumbnail.PerceptualHash}/{bytes}")
            : string.Create(CultureInfo.InvariantCulture, $"{id}/{thumbnail.PerceptualHash}/{name}/{bytes}");
        return "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16)) + "\"";
    }
}

/// <summary>The query of <c>GET /images/{id}/thumbnail</c>: <c>scale=2</c> for the rendition for 2× screens.</summary>
public sealed class ThumbnailQuery
{
    [OneOf("1", "2")]
    public string? Scale { get; set; }
}
