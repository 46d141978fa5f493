using Dapr.Workflow;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>
/// What <c>ExtractMetadata</c> returns: the metadata, or a permanent failure that no retry can change. The
/// official SDK's retry policy retries every failed activity, so a bad image comes back as a value, and only
/// transient faults (the extractor or the sidecar unreachable) are thrown for the policy to retry.
/// </summary>
public sealed record ExtractionOutcome(ImageMetadata? Metadata, ProcessingFailure? Failure)
{
    public static ExtractionOutcome Extracted(ImageMetadata metadata) => new(metadata, null);

    public static ExtractionOutcome Failed(ProcessingFailure failure) => new(null, failure);
}

/// <summary>
/// What <c>MakeThumbnail</c> returns: the thumbnail (already written through the thumbnails binding), or the
/// permanent failure that says why there is none. Like <see cref="ExtractionOutcome"/>, only transient faults are
/// thrown for the retry policy.
/// </summary>
public sealed record ThumbnailOutcome(ImageThumbnail? Thumbnail, ProcessingFailure? Failure)
{
    public static ThumbnailOutcome Made(ImageThumbnail thumbnail) => new(thumbnail, null);

    public static ThumbnailOutcome Failed(ProcessingFailure failure) => new(null, failure);
}

/// <summary>
/// What <c>SaveMetadata</c> returns: null when the record is stored, or the store's reason for refusing the
/// record itself (a 400/422 answer), which sending it again cannot change.
/// </summary>
public sealed record SaveOutcome(string? Rejection, bool WasDeleted = false)
{
    public static SaveOutcome Stored { get; } = new((string?)null);

    /// <summary>The store keeps a tombstone for the image (it was deleted meanwhile): nothing stored, nothing to retry.</summary>
    public static SaveOutcome Deleted { get; } = new(null, WasDeleted: true);
}

/// <summary>
/// Activity <c>AnalyzeImage</c>: the extractor reads the blob version once and answers its metadata, thumbnail and
/// renditions (written through the thumbnails binding under names derived from the image id, so a repeated run
/// overwrites the same blobs), each permanent failure as a value.
/// </summary>
public sealed class AnalyzeImageActivity(ExtractorCalls extractor) : WorkflowActivity<BlobReference, ImageAnalysis>
{
    public override Task<ImageAnalysis> RunAsync(WorkflowActivityContext context, BlobReference input) =>
        // The SDK's activity context carries no cancellation token; each call is bounded by Ingest:InvocationTimeout.
        extractor.AnalyzeAsync(input, CancellationToken.None);
}

/// <summary>
/// Activity <c>ExtractMetadata</c>: the extractor's metadata for a blob version. New instances use
/// <see cref="AnalyzeImageActivity"/>; this stays registered for instances started before it (see <see cref="ImageMetadataWorkflow"/>).
/// </summary>
public sealed class ExtractMetadataActivity(ExtractorCalls extractor) : WorkflowActivity<BlobReference, ExtractionOutcome>
{
    public override Task<ExtractionOutcome> RunAsync(WorkflowActivityContext context, BlobReference input) =>
        // The SDK's activity context carries no cancellation token; each call is bounded by Ingest:InvocationTimeout.
        extractor.ExtractAsync(input, CancellationToken.None);
}

/// <summary>
/// Activity <c>MakeThumbnail</c>: the extractor renders the blob version's thumbnail and writes it under a name
/// derived from the image id, so a repeated run overwrites the same blob. Kept, like <see cref="ExtractMetadataActivity"/>,
/// for instances started before <see cref="AnalyzeImageActivity"/>.
/// </summary>
public sealed class MakeThumbnailActivity(ExtractorCalls extractor) : WorkflowActivity<BlobReference, ThumbnailOutcome>
{
    public override Task<ThumbnailOutcome> RunAsync(WorkflowActivityContext context, BlobReference input) =>
        extractor.MakeThumbnailAsync(input, CancellationToken.None);
}

/// <summary>
/// Activity <c>SaveMetadata</c>: upserts the record in the store (idempotent, so a repeated run is harmless). A repair
/// that stored a usable record clears the image's backoff in the sweep state, so the repair loop forgets it.
/// </summary>
public sealed class SaveMetadataActivity(StoreCalls store, OutcomeRecorder outcomes, RepairBackoff repairs) : WorkflowActivity<SaveRequest, SaveOutcome>
{
    public override async Task<SaveOutcome> RunAsync(WorkflowActivityContext context, SaveRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var outcome = await store.SaveAsync(input.Record, CancellationToken.None);
        await outcomes.RecordAsync(context.InstanceId, input.Record, outcome);
        if (outcome.Rejection is null && input.Trigger == ImageTrigger.Repair && input.Record.Failure?.Class != FailureClass.Unavailable)
        {
            await repairs.ForgetAsync(input.Record.Id.Value, CancellationToken.None);
        }

        return outcome;
    }
}
