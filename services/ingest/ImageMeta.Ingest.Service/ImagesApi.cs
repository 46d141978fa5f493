using System.Globalization;
using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Options;
using MinDataRate = Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate;

namespace ImageMeta.Ingest.Service;

/// <summary><c>POST /images</c> (upload), <c>GET /images/{id}/status</c> and <c>DELETE /images/{id}</c>.</summary>
public static partial class ImagesApi
{
    public static RouteGroupBuilder MapImagesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/images");
        group.MapPost("/", UploadAsync).DisableAntiforgery().AddEndpointFilter(RecordUploadSizeAsync);
        group.MapGet("/{id}/status", StatusAsync);
        group.MapDelete("/{id}", DeleteAsync);
        return group;
    }

    private static async Task<Results<Accepted<UploadAccepted>, ProblemHttpResult>> UploadAsync(
        HttpRequest request, IBlobBinding blobs, ImageWorkflowStarter starter, UploadBudget budget, IOptions<IngestOptions> options, ILogger<UploadAccepted> logger, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var limit = settings.MaxUploadBytes;
        var multipart = UploadBodyReader.IsMultipart(request);
        // One name: a repeated parameter would otherwise be joined into "a.jpg,b.jpg".
        var names = request.Query["name"];
        if (names.Count > 1)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.InvalidName, "Give the query parameter 'name' once.");
        }

        var name = BlobNameRule.ForUpload(names.Count == 1 ? names[0] : null);
        if (!multipart && BlobNameRule.Problem(name) is { } rawNameProblem)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.InvalidName, rawNameProblem);
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

        // The reservation is held only while the body keeps arriving at the rate its length needs: a client that sends
        // slower is cut off (408) and its share goes back, so slow clients cannot hold the budget (README, "Memory").
        if (request.HttpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = new MinDataRate(settings.UploadMinBytesPerSecond, settings.UploadRateGracePeriod);
        }

        UploadBody body;
        try
        {
            if (multipart)
            {
                var (read, problem) = await UploadBodyReader.ReadMultipartAsync(request, name, limit, cancellationToken);
                if (problem is not null)
                {
                    return problem;
                }

                body = read!;
            }
            else
            {
                body = await UploadBodyReader.ReadRawAsync(request, name!, limit, cancellationToken);
            }
        }
        catch (UploadTooLargeException)
        {
            return TooLarge(budget, limit);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(budget, limit);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            budget.CountRefusal(UploadBudget.TooSlow);
            return FailureProblems.Problem(StatusCodes.Status408RequestTimeout, FailureClass.Unavailable,
                $"The upload arrived slower than {settings.UploadMinBytesPerSecond} bytes a second; nothing was stored. Send it again on a faster link.");
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
            // The sidecar's text names paths and addresses: the log keeps it, the answer says what happened.
            LogWriteFailed(logger, body.Name, e);
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The blob could not be written (storage unavailable); nothing was stored. Send it again shortly.");
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

    /// <summary>
    /// <c>DELETE /images/{id}</c>: 202 with <see cref="DeleteAccepted"/> while the delete workflow runs (a repeat while it
    /// runs answers the same), 204 once nothing of the image is left (the store keeps its tombstone), 404 for an image
    /// nobody knows, 400 for a malformed id.
    /// </summary>
    private static async Task<Results<Accepted<DeleteAccepted>, NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ImageDeletions deletions, ILogger<DeleteAccepted> logger, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-id", $"'{id}' is not an image id (32 lowercase hex characters).");
        }

        DeleteStart outcome;
        try
        {
            outcome = await deletions.StartAsync(imageId, cancellationToken);
        }
        catch (Exception e) when (e is ImageMeta.Dapr.AppUnavailableException or RpcException or TimeoutException)
        {
            // The log keeps the reason (it may name an address); the answer says what to do.
            LogDeleteDeferred(logger, imageId.Value, e.Message);
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The store or the workflow engine could not be asked; nothing was deleted yet. Send the delete again shortly.");
        }

        return outcome switch
        {
            DeleteStart.Accepted => TypedResults.Accepted((string?)null, new DeleteAccepted(imageId, ImageDeletions.InstanceId(imageId))),
            DeleteStart.NothingLeft => TypedResults.NoContent(),
            _ => FailureProblems.Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, $"No image '{imageId}' is known to the store or the workflow engine."),
        };
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored '{Name}' but could not start its workflow ({Reason}); the next sweep will")]
    private static partial void LogStartDeferred(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not start the delete of {ImageId} ({Reason})")]
    private static partial void LogDeleteDeferred(ILogger logger, string imageId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing '{Name}' failed")]
    private static partial void LogWriteFailed(ILogger logger, string name, Exception e);
}
