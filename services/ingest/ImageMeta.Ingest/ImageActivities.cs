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
public sealed record SaveOutcome(string? Rejection)
{
    public static SaveOutcome Stored { get; } = new((string?)null);
}

/// <summary>Activity <c>ExtractMetadata</c>: the extractor's metadata for a blob version.</summary>
public sealed class ExtractMetadataActivity(ExtractorCalls extractor) : WorkflowActivity<BlobReference, ExtractionOutcome>
{
    public override Task<ExtractionOutcome> RunAsync(WorkflowActivityContext context, BlobReference input) =>
        // The SDK's activity context carries no cancellation token; each call is bounded by Ingest:InvocationTimeout.
        extractor.ExtractAsync(input, CancellationToken.None);
}

/// <summary>
/// Activity <c>MakeThumbnail</c>: the extractor renders the blob version's thumbnail and writes it under a name
/// derived from the image id, so a repeated run overwrites the same blob.
/// </summary>
public sealed class MakeThumbnailActivity(ExtractorCalls extractor) : WorkflowActivity<BlobReference, ThumbnailOutcome>
{
    public override Task<ThumbnailOutcome> RunAsync(WorkflowActivityContext context, BlobReference input) =>
        extractor.MakeThumbnailAsync(input, CancellationToken.None);
}

/// <summary>Activity <c>SaveMetadata</c>: upserts the record in the store (idempotent, so a repeated run is harmless).</summary>
public sealed class SaveMetadataActivity(StoreCalls store, OutcomeRecorder outcomes) : WorkflowActivity<ImageRecord, SaveOutcome>
{
    public override async Task<SaveOutcome> RunAsync(WorkflowActivityContext context, ImageRecord input)
    {
        var outcome = await store.SaveAsync(input, CancellationToken.None);
        await outcomes.RecordAsync(context.InstanceId, input, outcome);
        return outcome;
    }
}
