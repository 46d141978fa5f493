using System.Globalization;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Store.Service;

/// <summary>
/// <c>GET /images/{id}/original</c>: the blob a record was made from, read through the <c>images</c> binding, so that the
/// web app can offer it without reading a binding itself. Only the version the record describes is served: a blob
/// replaced since answers 410, because its bytes belong to another record. At most
/// <see cref="OriginalReadOptions.MaxConcurrentReads"/> originals are in memory at once.
/// </summary>
public static partial class ImagesApi
{
    /// <summary>How long a caller should wait after the images binding failed (the sidecar retries storage blips itself).</summary>
    public const int OriginalRetryAfterSeconds = 10;

    private static async Task<IResult> Original(
        string id, HttpContext http, IMetadataStore store, [FromKeyedServices(DaprTopology.Components.Images)] IBlobBinding images, OriginalReads reads, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var (record, problem) = await FindAsync(id, store, cancellationToken);
        if (record is null)
        {
            return problem!;
        }

        if (!await reads.EnterAsync(cancellationToken))
        {
            http.Response.Headers.RetryAfter = OriginalRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Originals busy",
                detail: "As many originals as this store holds in memory at once are being sent; retry later.");
        }

        try
        {
            return await SendOriginalAsync(record, http, images, logs, cancellationToken);
        }
        finally
        {
            reads.Leave();
        }
    }

    /// <summary>Reads the blob and writes it out before returning, so that its slot is held until the bytes are sent.</summary>
    private static async Task<IResult> SendOriginalAsync(ImageRecord record, HttpContext http, IBlobBinding images, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var blob = record.Blob;
        if (!string.Equals(blob.Container, images.Container, StringComparison.Ordinal))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Original not reachable",
                detail: $"The record names container '{blob.Container}'; the store reads only '{images.Container}'.");
        }

        BlobContent content;
        try
        {
            content = await images.GetAsync(blob.Name, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Original blob missing",
                detail: $"The images container has no blob '{blob.Name}': it has been deleted.");
        }
        catch (BlobTooLargeException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Original too large to serve",
                detail: $"The blob has {e.Size} bytes; the store serves originals of at most {e.Limit} bytes (Images:MaxBlobBytes).");
        }
        catch (Exception e) when (e is BlobBindingUnavailableException or BindingOperationException)
        {
            // The sidecar's or storage's message can name hosts: log it, answer a fixed detail.
            logs.CreateLogger(typeof(ImagesApi)).LogWarning(e, "Reading original {Name} through the {Binding} binding failed", blob.Name, DaprTopology.Components.Images);
            http.Response.Headers.RetryAfter = OriginalRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Images unavailable",
                detail: "The images binding could not be read; retry later.");
        }

        // A record without a version (storage that reported none) cannot be checked; its blob is served as it is now.
        if (blob.Version is { } version && !string.Equals(version, content.Blob.Version, StringComparison.Ordinal))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, title: "Original replaced",
                detail: $"The blob '{blob.Name}' has been replaced since this record was written: this version is gone, and the new one gets a record of its own.");
        }

        // Failed records and formats browsers do not show are downloads; the rest are shown, named for saving.
        var shown = record.OriginalMediaType();
        var disposition = new ContentDispositionHeaderValue(shown is null ? "attachment" : "inline");
        disposition.SetHttpFileName(record.OriginalFileName());
        http.Response.Headers.ContentDisposition = disposition.ToString();
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // The same id may answer 410 later (the blob replaced): keep it, but ask again before using it.
        http.Response.Headers.CacheControl = "private, no-cache";
        http.Response.ContentType = shown ?? "application/octet-stream";
        http.Response.ContentLength = content.Content.Length;
        await http.Response.Body.WriteAsync(content.Content, cancellationToken);
        return TypedResults.Empty;
    }
}
