using Dapr.Workflow;
using ImageMeta.Blobs;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>The delete workflow's input: the image's blob version (as recorded) and the retry policy in force at the start.</summary>
public sealed record DeleteImageInput(BlobReference Blob, ActivityRetry Retry);

/// <summary>What a delete did with the original (<see cref="OriginalDeletion"/>); the record is always gone when it completes.</summary>
public sealed record DeleteImageResult(ImageId Id, string Original);

/// <summary>What <c>DeleteOriginal</c> found: the words <see cref="DeleteImageResult.Original"/> carries.</summary>
public static class OriginalDeletion
{
    /// <summary>The blob's current version was the one deleted; the blob is gone.</summary>
    public const string Deleted = "deleted";

    /// <summary>No blob of that name (deleted before, or by a crashed earlier attempt).</summary>
    public const string Absent = "absent";

    /// <summary>The name holds another version now (the image was replaced): that version is not touched.</summary>
    public const string OtherVersion = "other-version";

    /// <summary>The record names a container this ingest's binding does not write to: nothing to delete here.</summary>
    public const string OtherContainer = "other-container";
}

/// <summary>
/// Deletes one image version: first the original blob (only while its current version is the deleted one, so deleting
/// one version never touches another version of the same name), then the store's record with its thumbnail and
/// renditions, which leaves a tombstone so a late save of a run still under way cannot bring the record back. Each step
/// is idempotent and retried with durable timers; the tombstone comes last, so an image the store answers 410 for has
/// nothing left. A crash of ingest halfway resumes from history; a run that failed past its retries is started again by
/// the next <c>DELETE</c>, and the steps already done find nothing to do.
/// </summary>
public sealed class DeleteImageWorkflow : Workflow<DeleteImageInput, DeleteImageResult>
{
    public override async Task<DeleteImageResult> RunAsync(WorkflowContext context, DeleteImageInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var original = await ImageMetadataWorkflow.WithRetriesAsync<string>(context, DaprTopology.Workflows.DeleteOriginalActivity, input.Blob, input.Retry);
        await ImageMetadataWorkflow.WithRetriesAsync<bool>(context, DaprTopology.Workflows.DeleteRecordActivity, input.Blob, input.Retry);
        return new DeleteImageResult(input.Blob.ImageId, original);
    }
}

/// <summary>
/// Activity <c>DeleteOriginal</c>: deletes the blob when its current version is the one named, and says what it found.
/// The binding's delete takes a name, not a version (neither localstorage nor azure.blobstorage accepts a condition), so
/// a new version written between the check and the delete would go too; the window is one binding call.
/// </summary>
public sealed class DeleteOriginalActivity(IBlobBinding blobs, VersionReads versions) : WorkflowActivity<BlobReference, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, BlobReference input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!string.Equals(input.Container, blobs.Container, StringComparison.Ordinal))
        {
            return OriginalDeletion.OtherContainer;
        }

        BlobReference current;
        try
        {
            current = await versions.DescribeAsync(input.Name, CancellationToken.None);
        }
        catch (Exception e) when (e is BlobNotFoundException or BlobNotAFileException)
        {
            return OriginalDeletion.Absent;
        }

        if (!string.Equals(current.Version, input.Version, StringComparison.Ordinal))
        {
            return OriginalDeletion.OtherVersion;
        }

        await blobs.DeleteAsync(input.Name, CancellationToken.None);
        return OriginalDeletion.Deleted;
    }
}

/// <summary>Activity <c>DeleteRecord</c>: the store's delete of the image's record, thumbnail blobs and renditions, with its tombstone.</summary>
public sealed class DeleteRecordActivity(StoreCalls store) : WorkflowActivity<BlobReference, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, BlobReference input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.DeleteAsync(input.ImageId, CancellationToken.None);
        return true;
    }
}
