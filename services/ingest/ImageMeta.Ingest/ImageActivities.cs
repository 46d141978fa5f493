using ImageMeta.Contracts;
using ImageMeta.Workflow;

namespace ImageMeta.Ingest;

/// <summary>Activity <c>ExtractMetadata</c>: the extractor's metadata for a blob version.</summary>
public sealed class ExtractMetadataActivity(PipelineCalls calls) : WorkflowActivity<BlobReference, ImageMetadata>
{
    public override Task<ImageMetadata> RunAsync(WorkflowActivityContext context, BlobReference input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return calls.ExtractAsync(input, context.CancellationToken);
    }
}

/// <summary>Activity <c>SaveMetadata</c>: upserts the record in the store (idempotent, so a repeated run is harmless).</summary>
public sealed class SaveMetadataActivity(PipelineCalls calls) : WorkflowActivity<ImageRecord, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, ImageRecord input)
    {
        ArgumentNullException.ThrowIfNull(context);
        await calls.SaveAsync(input, context.CancellationToken);
        return true;
    }
}
