using Dapr.Workflow;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>
/// The workflow's input: the blob version, and the retry policy in force when it was started. The policy travels
/// in the input because workflow code may not take dependencies (the SDK's DAPR1305), and because history then
/// holds it: a replay after a configuration change follows the schedule the instance began with.
/// </summary>
public sealed record ImageWorkflowInput(BlobReference Blob, ActivityRetry Retry);

/// <summary>The activities' retry policy as data (see <see cref="IngestOptions"/>' <c>Retry*</c> settings).</summary>
public sealed record ActivityRetry(int MaxAttempts, TimeSpan FirstInterval, double BackoffCoefficient, TimeSpan MaxInterval)
{
    /// <summary>The SDK's task options: retries wait on durable timers, with exponential backoff up to the cap.</summary>
    public WorkflowTaskOptions ToTaskOptions() => new(new WorkflowRetryPolicy(MaxAttempts, FirstInterval, BackoffCoefficient, MaxInterval));
}

/// <summary>What the workflow reports when it ends: small, so history stays small.</summary>
public sealed record ImageWorkflowResult(
    ImageId Id, string Status, string? Format, int? Width, int? Height, string? FailureClass, string? ThumbnailFailureClass = null);

/// <summary>
/// One image version: extract its metadata and make its thumbnail through the extractor, in parallel (fan-out,
/// fan-in), then store the record with both results through the store. A bad image (a permanent extraction
/// failure) comes back as a typed outcome, is not retried, and is stored as a failed record with its class;
/// transient faults are retried by the policy, and if a step still cannot be done its outcome is stored as
/// unavailable. A thumbnail failure never fails the image: the record says there is none, and why. If storing
/// keeps failing, or the store refuses the record, the workflow fails and its status says why. The input is a
/// blob reference and the output a summary: image bytes never enter workflow history.
/// </summary>
public sealed class ImageMetadataWorkflow : Workflow<ImageWorkflowInput, ImageWorkflowResult>
{
    public override async Task<ImageWorkflowResult> RunAsync(WorkflowContext context, ImageWorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var retry = input.Retry.ToTaskOptions();
        var blob = input.Blob;
        var id = blob.ImageId;

        // Both activities are scheduled in the same turn, so the engine dispatches them at once; each one's
        // retries past the policy become an "unavailable" outcome, so nothing is left unaccounted for.
        var extraction = CallAsync(context, DaprTopology.Workflows.ExtractMetadataActivity, blob, retry, ExtractionOutcome.Failed);
        var thumbnailing = CallAsync(context, DaprTopology.Workflows.MakeThumbnailActivity, blob, retry, ThumbnailOutcome.Failed);
        await Task.WhenAll(extraction, thumbnailing);
        var outcome = await extraction;
        var thumbnail = await thumbnailing;

        if (outcome is { Metadata: null, Failure: null })
        {
            throw new InvalidOperationException("ExtractMetadata returned neither metadata nor a failure.");
        }

        if (thumbnail is { Thumbnail: null, Failure: null })
        {
            throw new InvalidOperationException("MakeThumbnail returned neither a thumbnail nor a failure.");
        }

        // Metadata, when there is any, decides the status; a failure counts only without it.
        var record = new ImageRecord
        {
            Id = id,
            Blob = blob,
            Status = outcome.Metadata is null ? ImageStatus.Failed : ImageStatus.Succeeded,
            Metadata = outcome.Metadata,
            Failure = outcome.Metadata is null ? outcome.Failure : null,
            Thumbnail = thumbnail.Thumbnail,
            ThumbnailFailure = thumbnail.Thumbnail is null ? thumbnail.Failure : null,
            ProcessedAt = context.CurrentUtcDateTime,
        };

        // A failure here fails the workflow, and its status names the step and carries the store's reason.
        SaveOutcome saved;
        try
        {
            saved = await context.CallActivityAsync<SaveOutcome>(DaprTopology.Workflows.SaveMetadataActivity, record, retry);
        }
        catch (WorkflowTaskFailedException e)
        {
            throw new RecordNotStoredException($"the store still failed after {input.Retry.MaxAttempts} attempts: {e.FailureDetails.ErrorMessage}");
        }

        if (saved.Rejection is { } rejection)
        {
            throw new RecordNotStoredException($"the store refused the record: {rejection}");
        }

        return new ImageWorkflowResult(
            id, record.Status, record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height, record.Failure?.Class, record.ThumbnailFailure?.Class);
    }

    /// <summary>One activity with the retry policy; a transient fault that outlasts the retries becomes the outcome <paramref name="unavailable"/> makes.</summary>
    private static async Task<TOutcome> CallAsync<TOutcome>(
        WorkflowContext context, string activity, BlobReference blob, WorkflowTaskOptions retry, Func<ProcessingFailure, TOutcome> unavailable)
    {
        try
        {
            return await context.CallActivityAsync<TOutcome>(activity, blob, retry);
        }
        catch (WorkflowTaskFailedException e)
        {
            return unavailable(new ProcessingFailure(FailureClass.Unavailable, e.FailureDetails.ErrorMessage));
        }
    }
}

/// <summary>
/// <c>SaveMetadata</c> could not store the record (the store refused it, or kept failing past the retries): the
/// workflow fails with this, so its status names the step and the store's reason.
/// </summary>
public sealed class RecordNotStoredException(string reason)
    : Exception($"{DaprTopology.Workflows.SaveMetadataActivity} did not store the record: {reason}");
