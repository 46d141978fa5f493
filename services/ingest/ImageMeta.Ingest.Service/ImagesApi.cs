using System.Globalization;
using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ImageMeta.Ingest.Service;

/// <summary><c>POST /images</c> (upload) and <c>GET /images/{id}/status</c>.</summary>
public static partial class ImagesApi
{
    public static RouteGroupBuilder MapImagesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/images");
        group.MapPost("/", UploadAsync).DisableAntiforgery().AddEndpointFilter(RecordUploadSizeAsync);
        group.MapGet("/{id}/status", StatusAsync);
        return group;
    }

    private static async Task<Results<Accepted<UploadAccepted>, ProblemHttpResult>> UploadAsync(
        HttpRequest request, string? name, IBlobBinding blobs, ImageWorkflowStarter starter, UploadBudget budget, IOptions<IngestOptions> options, ILogger<UploadAccepted> logger, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var limit = settings.MaxUploadBytes;
        var multipart = request.HasFormContentType;
        if (!multipart && BlobNameRules.Problem(name) is { } rawNameProblem)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-name", rawNameProblem);
        }

        // A declared length over the limit is refused before anything is read or reserved.
        if (request.ContentLength > limit + (multipart ? IngestServiceRegistration.MultipartOverheadBytes : 0))
        {
            return TooLarge(budget, limit);
        }

        // The declared length (for a form, the whole request's, which bounds its file) is reserved before the body is
        // read; without one the worst case is. Past the budget: 503, nothing read, nothing written.
        using var reservation = budget.TryReserve(Math.Min(request.ContentLength ?? limit, limit));
        if (reservation is null)
        {
            budget.CountRefusal(UploadBudget.OverBudget);
            request.HttpContext.Response.Headers.RetryAfter = settings.UploadRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable,
                $"Uploads in flight hold the memory budget of {budget.Capacity} bytes; send this one again after the Retry-After interval.");
        }

        UploadBody body;
        try
        {
            var (read, problem) = multipart
                ? await ReadMultipartAsync(request, name, limit, cancellationToken)
                : await ReadRawAsync(request, name!, limit, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            body = read!;
        }
        catch (UploadTooLargeException)
        {
            return TooLarge(budget, limit);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(budget, limit);
        }
        catch (InvalidDataException e)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", e.Message);
        }

        BlobReference blob;
        try
        {
            if (body.Content.Length == 0)
            {
                return FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.Empty, "The upload is empty.");
            }

            blob = await blobs.CreateAsync(body.Name, body.Content, body.ContentType, cancellationToken);
        }
        catch (BlobBindingUnavailableException e)
        {
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, $"The blob could not be written: {e.Message}");
        }
        finally
        {
            // The bytes are written (or not): the buffer and its share of the budget go back now, not after the
            // workflow start, which may wait for the sidecar.
            body.Content.Dispose();
            reservation.Dispose();
        }

        UploadWorkflow workflow;
        try
        {
            workflow = await starter.StartAsync(blob, ImageTrigger.Upload, cancellationToken) == StartOutcome.Started ? UploadWorkflow.Started : UploadWorkflow.AlreadyKnown;
        }
        catch (Exception e) when (e is RpcException or TimeoutException)
        {
            // The blob is stored; the next sweep starts its workflow. Nothing is lost, so the upload stands.
            LogStartDeferred(logger, blob.Name, e.Message);
            workflow = UploadWorkflow.DeferredToSweep;
        }

        return TypedResults.Accepted($"/images/{blob.ImageId}/status", new UploadAccepted(blob.ImageId, blob, workflow));
    }

    private static async Task<Results<Ok<ImageStatusView>, ProblemHttpResult>> StatusAsync(
        string id, IDaprWorkflowClient workflows, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-id", $"'{id}' is not an image id (32 lowercase hex characters).");
        }

        WorkflowState? state;
        try
        {
            // Failure details come only with payloads (durabletask-go returns them with inputs and outputs); both are small here.
            state = await workflows.GetWorkflowStateAsync(imageId.Value, getInputsAndOutputs: true, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or TimeoutException)
        {
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The workflow engine could not be asked for the image's status; ask again shortly.");
        }

        return state is { Exists: true }
            ? TypedResults.Ok(new ImageStatusView(imageId, WorkflowStates.View(state)))
            : FailureProblems.Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, $"No workflow for image '{imageId}' (its record, if any, is the store's to answer).");
    }

    /// <summary>Records the size of each accepted upload, as the blob binding reported it after the write.</summary>
    private static async ValueTask<object?> RecordUploadSizeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if ((result as INestedHttpResult)?.Result is Accepted<UploadAccepted> { Value.Blob.Size: { } size })
        {
            context.HttpContext.RequestServices.GetRequiredService<IngestMetrics>().UploadSize.Record(size);
        }

        return result;
    }

    private static ProblemHttpResult TooLarge(UploadBudget budget, long limit)
    {
        budget.CountRefusal(UploadBudget.TooLarge);
        return FailureProblems.Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"The upload is larger than the limit of {limit} bytes.");
    }

    /// <summary>A raw body: its <c>Content-Length</c> sizes the one buffer it is read into.</summary>
    private static async Task<(UploadBody?, ProblemHttpResult?)> ReadRawAsync(HttpRequest request, string name, long limit, CancellationToken cancellationToken)
    {
        var content = BlobUploadBuffer.For(request.ContentLength, limit);
        try
        {
            if (!await content.ReadFromAsync(request.Body, limit, cancellationToken))
            {
                throw new UploadTooLargeException();
            }
        }
        catch
        {
            content.Dispose();
            throw;
        }

        return (new UploadBody(name, request.ContentType, content), null);
    }

    /// <summary>
    /// A <c>multipart/form-data</c> body, streamed section by section (nothing is buffered to disk or memory on the
    /// way): exactly one file section, read into one buffer sized by the request's <c>Content-Length</c> (its
    /// sections have no length of their own); other fields are skipped.
    /// </summary>
    private static async Task<(UploadBody?, ProblemHttpResult?)> ReadMultipartAsync(HttpRequest request, string? name, long limit, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            HeaderUtilities.RemoveQuotes(mediaType.Boundary) is not { Length: > 0 } boundary ||
            !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", "A form upload must be multipart/form-data carrying one file."));
        }

        var reader = new MultipartReader(boundary.ToString(), request.Body);
        UploadBody? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                    continue;
                }

                if (file is not null)
                {
                    return (null, FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", "A multipart upload must carry exactly one file."));
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                var blobName = name ?? fileName;
                if (BlobNameRules.Problem(blobName) is { } nameProblem)
                {
                    return (null, FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-name", nameProblem));
                }

                file = new UploadBody(blobName, section.ContentType, BlobUploadBuffer.For(request.ContentLength, limit));
                if (!await file.Content.ReadFromAsync(section.Body, limit, cancellationToken))
                {
                    throw new UploadTooLargeException();
                }
            }
        }
        catch
        {
            file?.Content.Dispose();
            throw;
        }

        return file is null
            ? (null, FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", "A multipart upload must carry exactly one file."))
            : (file, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored '{Name}' but could not start its workflow ({Reason}); the next sweep will")]
    private static partial void LogStartDeferred(ILogger logger, string name, string reason);

    /// <summary>The name, type and bytes of one upload.</summary>
    private sealed record UploadBody(string Name, string? ContentType, BlobUploadBuffer Content);

    /// <summary>The body went past the upload limit.</summary>
    private sealed class UploadTooLargeException : Exception
    {
    }
}
