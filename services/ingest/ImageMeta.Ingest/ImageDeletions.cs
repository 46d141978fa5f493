using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>What became of a delete request.</summary>
public enum DeleteStart
{
    /// <summary>The delete workflow runs (started now, or already running): 202.</summary>
    Accepted,

    /// <summary>The store keeps the image's tombstone and no delete runs: everything of it is gone already (204).</summary>
    NothingLeft,

    /// <summary>Neither the store nor the workflow engine knows the image (404).</summary>
    Unknown,
}

/// <summary>
/// Starts <see cref="DeleteImageWorkflow"/> for an image, under the instance id <see cref="InstanceId"/>, so a repeated
/// delete finds the one that runs instead of starting a second (and a finished one is replaced by a new run, daprd's
/// reuse rule). Which blob version to delete comes from the store's record; an image without a record yet (its workflow
/// still running) from that workflow's input, so a delete during processing wins through the store's tombstone.
/// </summary>
public sealed partial class ImageDeletions(
    StoreCalls store, VersionReads versions, IDaprWorkflowClient workflows, IOptions<IngestOptions> options, ILogger<ImageDeletions> logger)
{
    /// <summary>
    /// A blob of this name was deleted behind the pipeline's back (a BlobDeleted event): every stored version of the name
    /// that is not the blob's current version (none, when the name is gone) is deleted, record and thumbnails. A version
    /// written again since then is the current one and stays. Answers how many deletes were started.
    /// </summary>
    /// <exception cref="Dapr.AppUnavailableException">The store could not be asked.</exception>
    /// <exception cref="ImageMeta.Blobs.BlobBindingUnavailableException">The blob's version could not be learned.</exception>
    public async Task<int> RemoveGoneVersionsAsync(string container, string name, CancellationToken cancellationToken)
    {
        string? current;
        try
        {
            current = (await versions.DescribeAsync(name, cancellationToken)).Version;
        }
        catch (Exception e) when (e is ImageMeta.Blobs.BlobNotFoundException or ImageMeta.Blobs.BlobNotAFileException)
        {
            current = null;
        }

        var started = 0;
        foreach (var record in await store.RecordsNamedAsync(container, name, cancellationToken))
        {
            if (current is null || !string.Equals(record.Blob.Version, current, StringComparison.Ordinal))
            {
                await StartAsync(record.Blob, cancellationToken);
                started++;
            }
        }

        return started;
    }

    /// <summary>The delete workflow's instance id for an image (instance ids: letters, digits, <c>-</c> and <c>_</c>).</summary>
    public static string InstanceId(ImageId id) => $"delete-{id}";

    /// <exception cref="Dapr.AppUnavailableException">The store could not be asked.</exception>
    /// <exception cref="RpcException">The workflow engine could not be asked.</exception>
    public async Task<DeleteStart> StartAsync(ImageId id, CancellationToken cancellationToken)
    {
        if (await StatusAsync(InstanceId(id), cancellationToken) is { } running && !running.IsTerminal())
        {
            return DeleteStart.Accepted;
        }

        var (record, deleted) = await store.ReadBeforeDeleteAsync(id, cancellationToken);
        if (deleted)
        {
            return DeleteStart.NothingLeft;
        }

        if ((record?.Blob ?? await BlobOfRunAsync(id, cancellationToken)) is not { } blob)
        {
            return DeleteStart.Unknown;
        }

        await StartAsync(blob, cancellationToken);
        return DeleteStart.Accepted;
    }

    /// <summary>Starts the delete of this blob version (recorded reference), unless one runs already.</summary>
    public async Task StartAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var instance = InstanceId(blob.ImageId);
        try
        {
            await workflows.ScheduleNewWorkflowAsync(DaprTopology.Workflows.DeleteImage, instance, new DeleteImageInput(blob, options.Value.ActivityRetry()), startTime: null, cancellationToken);
            LogStarted(logger, blob.ImageId.Value, blob.Container, blob.Name);
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
        {
            // Refused because a delete of this image runs already (another request won the race): that one does the job.
            if (await StatusAsync(instance, cancellationToken) is not { } now || now.IsTerminal())
            {
                throw;
            }
        }
    }

    /// <summary>The blob version the image's own workflow was started for, when the engine has that instance.</summary>
    private async Task<BlobReference?> BlobOfRunAsync(ImageId id, CancellationToken cancellationToken)
    {
        var state = await workflows.GetWorkflowStateAsync(id.Value, getInputsAndOutputs: true, cancellationToken);
        return state is { Exists: true } ? state.ReadInputAs<ImageWorkflowInput>()?.Blob : null;
    }

    private async Task<WorkflowRunStatus?> StatusAsync(string instanceId, CancellationToken cancellationToken) =>
        await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { Exists: true } state
            ? state.RuntimeStatus.RunStatus()
            : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Started the delete of {ImageId} ({Container}/{Name})")]
    private static partial void LogStarted(ILogger logger, string imageId, string container, string name);
}
