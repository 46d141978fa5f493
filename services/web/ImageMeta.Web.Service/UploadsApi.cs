using System.Diagnostics;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Pipeline;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>
/// The page's upload answer: the image id, ingest's word on the workflow, and the trace id of this upload. The web
/// app's request span is the root of the image's one trace (its traceparent travels through the sidecars to ingest,
/// whose workflow continues it), so this id finds the whole journey in Zipkin.
/// </summary>
public sealed record UploadAnswer(ImageId Id, string Name, string Workflow, string? TraceId, string StatusUrl, string DetailUrl);

/// <summary>
/// The web app's own small API for its script: <c>POST /api/uploads</c> (one file, multipart, antiforgery token in
/// the <c>RequestVerificationToken</c> header), <c>GET /api/uploads/{id}</c> (the stage to show), and
/// <c>GET /thumbnails/{id}</c> (the store's thumbnail, for &lt;img&gt;) and <c>GET /originals/{id}</c> (the store's copy of
/// the original blob, streamed). Called by browsers, not by a sidecar.
/// </summary>
public static class UploadsApi
{
    /// <summary>The sentence the page shows when ingest cannot be reached.</summary>
    public const string IngestDownSentence = "The ingest service is not answering, so uploads cannot be taken right now. Browsing the gallery still works.";

    public static RouteGroupBuilder MapUploadsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/");
        group.MapPost("/api/uploads", UploadAsync).DisableAntiforgery();
        group.MapGet("/api/uploads/{id}", StageAsync);
        group.MapGet("/thumbnails/{id}", ThumbnailAsync);
        group.MapGet("/originals/{id}", OriginalAsync);
        return group;
    }

    private static async Task<Results<Accepted<UploadAnswer>, ProblemHttpResult>> UploadAsync(
        HttpContext http, IAntiforgery antiforgery, IngestCalls ingest, IOptions<WebOptions> options, CancellationToken cancellationToken)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return Problem(StatusCodes.Status400BadRequest, "antiforgery", "The page's upload token is missing or expired; reload the page and try again.");
        }

        if (!http.Request.HasFormContentType)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-upload", "Send the file as multipart/form-data.");
        }

        IFormFile? file;
        try
        {
            var form = await http.Request.ReadFormAsync(cancellationToken);
            file = form.Files.Count == 1 ? form.Files[0] : null;
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"The file is larger than the limit of {HumanUnits.Bytes(options.Value.MaxUploadBytes)}.");
        }

        if (file is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-upload", "Send exactly one file per upload.");
        }

        if (file.Length > options.Value.MaxUploadBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"{file.FileName} is {HumanUnits.Bytes(file.Length)}; the limit is {HumanUnits.Bytes(options.Value.MaxUploadBytes)}.");
        }

        UploadOutcome outcome;
        try
        {
            await using var content = file.OpenReadStream();
            outcome = await ingest.UploadAsync(file.FileName, content, file.Length, file.ContentType, cancellationToken);
        }
        catch (PipelineUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, IngestDownSentence);
        }

        if (outcome.Accepted is { } accepted)
        {
            var traceId = Activity.Current?.TraceId.ToHexString();
            var detail = traceId is null ? $"/images/{accepted.Id}" : $"/images/{accepted.Id}?trace={traceId}";
            return TypedResults.Accepted($"/api/uploads/{accepted.Id}", new UploadAnswer(accepted.Id, file.FileName, accepted.Workflow, traceId, $"/api/uploads/{accepted.Id}", detail));
        }

        if (outcome.RetryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Problem(outcome.Status, outcome.FailureClass ?? "refused", outcome.Detail ?? $"Ingest refused the file ({outcome.Status}).");
    }

    private static async Task<Results<Ok<UploadStage>, ProblemHttpResult>> StageAsync(string id, IngestCalls ingest, StoreCalls store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-id", "That is not an image id.");
        }

        // The record is the store's to answer and ingest answers the workflow only: the web app joins the two. A record
        // settles the stage, so the workflow is asked only while there is none.
        ImageRecord? record;
        try
        {
            record = await store.FindAsync(imageId, cancellationToken);
        }
        catch (PipelineUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The image store is not answering, so this file's progress cannot be shown right now.");
        }

        if (record is not null)
        {
            return TypedResults.Ok(UploadStage.From(null, record));
        }

        try
        {
            return TypedResults.Ok(UploadStage.From(await ingest.StatusAsync(imageId, cancellationToken), null));
        }
        catch (PipelineUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The ingest service is not answering, so this file's progress cannot be shown right now.");
        }
    }

    private static async Task<IResult> ThumbnailAsync(string id, HttpContext http, StoreCalls store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid-id", "That is not an image id.");
        }

        HttpResponseMessage response;
        try
        {
            response = await store.ThumbnailAsync(imageId, http.Request.Headers.IfNoneMatch, cancellationToken);
        }
        catch (PipelineUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The store is not answering.");
        }

        using (response)
        {
            if (response.Headers.ETag is { } etag)
            {
                http.Response.Headers.ETag = etag.ToString();
            }

            if (response.StatusCode == System.Net.HttpStatusCode.NotModified)
            {
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            }

            var type = response.Content.Headers.ContentType?.MediaType;
            if (!response.IsSuccessStatusCode || type is null || !type.StartsWith("image/", StringComparison.Ordinal))
            {
                return TypedResults.NotFound();
            }

            // Thumbnails are small (a few KiB); buffering one keeps the store's answer from outliving this call.
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            http.Response.Headers.CacheControl = "private, max-age=300";
            return TypedResults.File(bytes, type);
        }
    }

    /// <summary>The Content-Security-Policy of an original: stricter than the pages' (nothing loads, no script, no frame).</summary>
    public const string OriginalPolicy = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'";

    /// <summary>
    /// Streams the store's original through (never buffered: it may be hundreds of MiB). A status without a body
    /// becomes the error page's sentence: 404 unknown image or blob deleted, 410 blob replaced since it was stored,
    /// 503 store or storage not answering (with the store's Retry-After).
    /// </summary>
    private static async Task<IResult> OriginalAsync(string id, HttpContext http, StoreCalls store, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return TypedResults.StatusCode(StatusCodes.Status400BadRequest);
        }

        HttpResponseMessage response;
        try
        {
            response = await store.OriginalAsync(imageId, cancellationToken);
        }
        catch (PipelineUnavailableException)
        {
            return TypedResults.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        using (response)
        {
            var type = response.Content.Headers.ContentType?.MediaType;
            if (!response.IsSuccessStatusCode || type is null)
            {
                if (response.Headers.RetryAfter?.Delta is { } wait)
                {
                    http.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return TypedResults.StatusCode(response.StatusCode switch
                {
                    System.Net.HttpStatusCode.NotFound => StatusCodes.Status404NotFound,
                    System.Net.HttpStatusCode.Gone => StatusCodes.Status410Gone,
                    System.Net.HttpStatusCode.RequestEntityTooLarge => StatusCodes.Status413PayloadTooLarge,
                    _ => StatusCodes.Status503ServiceUnavailable,
                });
            }

            // Only the types the contract shows inline (the store's own rule) are shown; anything else is a download.
            var shown = ImageFormats.IsShownMediaType(type);
            http.Response.ContentType = shown ? type : "application/octet-stream";
            http.Response.ContentLength = response.Content.Headers.ContentLength;
            var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue(shown ? "inline" : "attachment");
            disposition.SetHttpFileName(response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? imageId.ToString());
            http.Response.Headers.ContentDisposition = disposition.ToString();
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.CacheControl = "private, no-cache";
            // Not a page: whatever the file holds, opened on its own it may load nothing and runs sandboxed.
            http.Response.Headers.ContentSecurityPolicy = OriginalPolicy;
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(http.Response.Body, cancellationToken);
            return TypedResults.Empty;
        }
    }

    private static ProblemHttpResult Problem(int status, string failureClass, string detail) =>
        TypedResults.Problem(statusCode: status, detail: detail, extensions: new Dictionary<string, object?> { [FailureClass.ProblemMember] = failureClass });
}
