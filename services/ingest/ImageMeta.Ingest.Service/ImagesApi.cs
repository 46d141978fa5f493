using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest.Service;

/// <summary>The answer to an accepted upload: the image id, the blob version written, and what happened to its workflow.</summary>
public sealed record UploadAccepted(ImageId Id, BlobReference Blob, string Workflow);

/// <summary>An image's processing state: the workflow's runtime status joined with the store's record.</summary>
public sealed record ImageStatusView(ImageId Id, WorkflowStatusView? Workflow, ImageRecord? Record);

/// <summary>The workflow part of <see cref="ImageStatusView"/>.</summary>
public sealed record WorkflowStatusView(string RuntimeStatus, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt, string? FailureType, string? FailureMessage);

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
        HttpRequest request, string? name, IBlobBinding blobs, ImageWorkflowStarter starter, IOptions<IngestOptions> options, ILogger<UploadAccepted> logger, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxUploadBytes;
        byte[] content;
        string? contentType;
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellationToken);
                if (form.Files.Count != 1)
                {
                    return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", "A multipart upload must carry exactly one file.");
                }

                var file = form.Files[0];
                name ??= file.FileName;
                if (BlobNameRules.Problem(name) is { } nameProblem)
                {
                    return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-name", nameProblem);
                }

                await using var stream = file.OpenReadStream();
                content = await ReadBoundedAsync(stream, limit, cancellationToken);
                contentType = file.ContentType;
            }
            else
            {
                if (BlobNameRules.Problem(name) is { } nameProblem)
                {
                    return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-name", nameProblem);
                }

                content = await ReadBoundedAsync(request.Body, limit, cancellationToken);
                contentType = request.ContentType;
            }
        }
        catch (UploadTooLargeException)
        {
            return FailureProblems.Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"The upload is larger than the limit of {limit} bytes.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return FailureProblems.Problem(StatusCodes.Status413PayloadTooLarge, FailureClass.TooLarge, $"The upload is larger than the limit of {limit} bytes.");
        }
        catch (InvalidDataException e)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-upload", e.Message);
        }

        if (content.Length == 0)
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, FailureClass.Empty, "The upload is empty.");
        }

        BlobReference blob;
        try
        {
            blob = await blobs.CreateAsync(name!, content, contentType, cancellationToken);
        }
        catch (BlobBindingUnavailableException e)
        {
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, $"The blob could not be written: {e.Message}");
        }

        string workflow;
        try
        {
            workflow = await starter.StartAsync(blob, "upload", cancellationToken) == StartOutcome.Started ? "started" : "already-known";
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or TimeoutException)
        {
            // The blob is stored; the next sweep starts its workflow. Nothing is lost, so the upload stands.
            LogStartDeferred(logger, blob.Name, e.Message);
            workflow = "deferred-to-sweep";
        }

        return TypedResults.Accepted($"/images/{blob.ImageId}/status", new UploadAccepted(blob.ImageId, blob, workflow));
    }

    private static async Task<Results<Ok<ImageStatusView>, ProblemHttpResult>> StatusAsync(
        string id, IDaprWorkflowClient workflows, PipelineCalls calls, CancellationToken cancellationToken)
    {
        if (!ImageId.TryParse(id, out var imageId))
        {
            return FailureProblems.Problem(StatusCodes.Status400BadRequest, "invalid-id", $"'{id}' is not an image id (32 lowercase hex characters).");
        }

        WorkflowState? state;
        ImageRecord? record;
        try
        {
            // Failure details come only with payloads (durabletask-go returns them with inputs and outputs); both are small here.
            var found = await workflows.GetWorkflowStateAsync(imageId.Value, getInputsAndOutputs: true, cancellationToken);
            state = found is { Exists: true } ? found : null;
            record = await calls.FindRecordAsync(imageId, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or TimeoutException)
        {
            return FailureProblems.Problem(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, $"The status could not be read: {e.Message}");
        }

        if (state is null && record is null)
        {
            return FailureProblems.Problem(StatusCodes.Status404NotFound, FailureClass.NotFound, $"No workflow and no record for image '{imageId}'.");
        }

        var workflow = state is null ? null : new WorkflowStatusView(
            RuntimeStatusName(state.RuntimeStatus), state.CreatedAt, state.LastUpdatedAt, state.FailureDetails?.ErrorType, state.FailureDetails?.ErrorMessage);
        return TypedResults.Ok(new ImageStatusView(imageId, workflow, record));
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

    /// <summary>The status name daprd's workflow API reports (<c>RUNNING</c>, <c>CONTINUED_AS_NEW</c>, …), so callers see one vocabulary.</summary>
    internal static string RuntimeStatusName(WorkflowRuntimeStatus status) => status switch
    {
        WorkflowRuntimeStatus.ContinuedAsNew => "CONTINUED_AS_NEW",
        _ => status.ToString().ToUpperInvariant(),
    };

    /// <summary>Reads at most <paramref name="limit"/> bytes; more is an error, detected without buffering it.</summary>
    internal static async Task<byte[]> ReadBoundedAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new UploadTooLargeException();
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored '{Name}' but could not start its workflow ({Reason}); the next sweep will")]
    private static partial void LogStartDeferred(ILogger logger, string name, string reason);

    /// <summary>The body went past the upload limit.</summary>
    private sealed class UploadTooLargeException : Exception
    {
    }
}
