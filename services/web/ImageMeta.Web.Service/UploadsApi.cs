using System.Diagnostics;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using ImageMeta.Web.Service.Calls;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service;

/// <summary>
/// The page's upload answer: the image id, ingest's word on the workflow, and the trace id of this upload. The web
/// app's request span is the root of the image's one trace (its traceparent travels through the sidecars to ingest,
/// whose workflow continues it), so this id finds the whole journey in Zipkin.
/// </summary>
public sealed record UploadAnswer(ImageId Id, string Name, UploadWorkflow Workflow, string? TraceId, string StatusUrl, string DetailUrl);

/// <summary>
/// The web app's own small API for its upload script: <c>POST /api/uploads</c> (one file, multipart, antiforgery
/// token in the <c>RequestVerificationToken</c> header) and <c>GET /api/uploads/{id}</c> (the stage to show). Called by
/// browsers, not by a sidecar.
/// </summary>
public static class UploadsApi
{
    /// <summary>The sentence the page shows when ingest cannot be reached.</summary>
    public const string IngestDownSentence = "The ingest service is not answering, so uploads cannot be taken right now. Browsing the gallery still works.";

    /// <summary>The sentence for a 503 with Retry-After: ingest takes uploads, but not more of them at this moment.</summary>
    public const string IngestBusySentence = "The ingest service is busy with other uploads; the page sends the file again shortly.";

    public static RouteGroupBuilder MapUploadsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/uploads");
        // An upload's stage is one person's and changes by the second: no cache keeps it.
        group.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return await next(context);
        });
        group.MapPost("/", UploadAsync).DisableAntiforgery();
        group.MapGet("/{id}", StageAsync);
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
        catch (AppUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, IngestDownSentence);
        }

        if (outcome.Accepted is { } accepted)
        {
            var traceId = Activity.Current?.TraceId.ToHexString();
            var detail = traceId is null ? $"/images/{accepted.Id}" : $"/images/{accepted.Id}?trace={traceId}";
            return TypedResults.Accepted($"/api/uploads/{accepted.Id}", new UploadAnswer(accepted.Id, file.FileName, accepted.Workflow, traceId, $"/api/uploads/{accepted.Id}", detail));
        }

        var refused = outcome.Refused!;
        if (outcome.RetryAfter is { } wait)
        {
            // Busy, not down: ingest's upload memory is full for now (its 5xx detail is not passed on; this says the same).
            StoreForwarding.SetRetryAfter(http.Response, wait);
            return Problem(refused.Status, refused.FailureClass ?? FailureClass.Unavailable, IngestBusySentence);
        }

        return Problem(refused.Status, refused.FailureClass ?? "refused", refused.Detail ?? $"Ingest refused the file ({refused.Status}).");
    }

    private static async Task<Results<Ok<UploadStage>, ProblemHttpResult>> StageAsync(string id, IngestCalls ingest, StoreCalls store, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return WebProblems.InvalidId();
        }

        // The record is the store's to answer and ingest answers the workflow only: the web app joins the two. A record
        // settles the stage, so the workflow is asked only while there is none.
        ImageRecord? record;
        try
        {
            record = await store.FindAsync(imageId, cancellationToken);
        }
        catch (AppUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The image store is not answering, so this file's progress cannot be shown right now.");
        }

        if (record is not null)
        {
            return TypedResults.Ok(UploadStage.From(null, record));
        }

        try
        {
            return TypedResults.Ok(UploadStage.From(await ingest.StatusAsync(imageId, cancellationToken), null, clock.GetUtcNow()));
        }
        catch (AppUnavailableException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The ingest service is not answering, so this file's progress cannot be shown right now.");
        }
    }

    private static ProblemHttpResult Problem(int status, string failureClass, string detail) => WebProblems.Of(status, failureClass, detail);
}
