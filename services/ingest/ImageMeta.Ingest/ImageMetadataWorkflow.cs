using ImageMeta.Contracts;
using ImageMeta.Workflow;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>What the workflow reports when it ends: small, so history stays small.</summary>
public sealed record ImageWorkflowResult(ImageId Id, string Status, string? Format, int? Width, int? Height, string? FailureClass);

/// <summary>
/// One image version: extract its metadata through the extractor, then store the record through the store.
/// A bad image (a permanent extraction failure) is not retried and is stored as a failed record with its
/// class; transient faults are retried by the policy, and if extraction still cannot be done the outcome is
/// stored as failed/unavailable. If storing keeps failing, the workflow fails and its status says why.
/// The input is a blob reference and the output a summary: image bytes never enter workflow history.
/// </summary>
public sealed class ImageMetadataWorkflow(IOptions<IngestOptions> options) : Workflow<BlobReference, ImageWorkflowResult>
{
    public override async Task<ImageWorkflowResult> RunAsync(WorkflowContext context, BlobReference input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var retry = options.Value.ActivityOptions();
        var id = input.ImageId;
        ImageRecord record;
        try
        {
            var metadata = await context.CallActivityAsync<ImageMetadata>(DaprTopology.Workflows.ExtractMetadataActivity, input, retry);
            record = new ImageRecord { Id = id, Blob = input, Status = ImageStatus.Succeeded, Metadata = metadata, ProcessedAt = context.CurrentUtcDateTime };
        }
        catch (WorkflowTaskFailedException e)
        {
            var failure = ExtractionFailures.FromTaskFailure(e.FailureDetails);
            record = new ImageRecord { Id = id, Blob = input, Status = ImageStatus.Failed, Failure = failure, ProcessedAt = context.CurrentUtcDateTime };
        }

        // A failure here (after retries) fails the workflow: its status then carries the store's reason.
        await context.CallActivityAsync(DaprTopology.Workflows.SaveMetadataActivity, record, retry);
        return new ImageWorkflowResult(id, record.Status, record.Metadata?.Format, record.Metadata?.Width, record.Metadata?.Height, record.Failure?.Class);
    }
}

/// <summary>How an extraction failure travels through workflow history: as the failure details' error type.</summary>
public static class ExtractionFailures
{
    /// <summary>Prefix of the error type of a permanent extraction failure; the failure class follows it.</summary>
    public const string ErrorTypePrefix = "ExtractionFailure.";

    /// <summary>The failure to record for an extraction that did not succeed.</summary>
    public static ExtractionFailure FromTaskFailure(WorkflowTaskFailureDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        if (details.ErrorType.StartsWith(ErrorTypePrefix, StringComparison.Ordinal))
        {
            return new ExtractionFailure(details.ErrorType[ErrorTypePrefix.Length..], details.ErrorMessage);
        }

        // Retries ran out on a transient fault (extractor or storage unreachable).
        return new ExtractionFailure(FailureClass.Unavailable, details.ErrorMessage);
    }
}
