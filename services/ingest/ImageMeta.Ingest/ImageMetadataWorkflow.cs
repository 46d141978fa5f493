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
public sealed record ImageWorkflowResult(ImageId Id, string Status, string? Format, int? Width, int? Height, string? FailureClass);

/// <summary>
/// One image version: extract its metadata through the extractor, then store the record through the store.
/// A bad image (a permanent extraction failure) comes back as a typed outcome, is not retried, and is stored
/// as a failed record with its class; transient faults are retried by the policy, and if extraction still
/// cannot be done the outcome is stored as failed/unavailable. If storing keeps failing, or the store refuses
/// the record, the workflow fails and its status says why. The input is a blob reference and the output a
/// summary: image bytes never enter workflow history.
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
        ExtractionOutcome outcome;
        try
        {
            outcome = await context.CallActivityAsync<ExtractionOutcome>(DaprTopology.Workflows.ExtractMetadataActivity, blob, retry);
        }
        catch (WorkflowTaskFailedException e)
        {
            // The retries ran out on a transient fault (extractor or storage unreachable): record it, so nothing is left unaccounted for.
            outcome = ExtractionOutcome.Failed(new ExtractionFailure(FailureClass.Unavailable, e.FailureDetails.ErrorMessage));
        }

        if (outcome is { Metadata: null, Failure: null })
        {
            throw new InvalidOperationException("ExtractMetadata returned neither metadata nor a failure.");
        }

        // Metadata, when there is any, decides the status; a failure counts only without it.
        var record = new ImageRecord
        {
            Id = id,
            Blob = blob,
            Status = outcome.Metadata is null ? ImageStatus.Failed : ImageStatus.Succeeded,
            Metadata = outcome.Metadata,
            Failure = outcome.Metadata is null ? outcome.Failure : null,
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

        return new ImageWorkflowResult(id, record.Status, record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height, record.Failure?.Class);
    }
}

/// <summary>
/// <c>SaveMetadata</c> could not store the record (the store refused it, or kept failing past the retries): the
/// workflow fails with this, so its status names the step and the store's reason.
/// </summary>
public sealed class RecordNotStoredException(string reason)
    : Exception($"{DaprTopology.Workflows.SaveMetadataActivity} did not store the record: {reason}");
