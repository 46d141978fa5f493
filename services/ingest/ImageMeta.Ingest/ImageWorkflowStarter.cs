using Dapr.Workflow;
using Grpc.Core;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>What became of a start request.</summary>
public enum StartOutcome
{
    /// <summary>A new workflow instance was scheduled.</summary>
    Started,

    /// <summary>An instance with this id exists (running or finished) or the store has its record: nothing to do.</summary>
    AlreadyKnown,

    /// <summary>The named blob no longer exists (deleted after it was announced or listed): nothing to do.</summary>
    Vanished,
}

/// <summary>
/// The one way every trigger (upload, BlobCreated event, sweep) starts processing: the instance id is the
/// image id (container, name, version), and an id that is known is left alone. daprd replaces a finished
/// instance when its id is started again, so "known" is checked first (the workflow's state, then the
/// store's record) and a conflict answer counts as "already running". The race left (two triggers between
/// check and start) is harmless: the store's upsert is idempotent.
/// </summary>
public sealed partial class ImageWorkflowStarter(IBlobBinding blobs, IDaprWorkflowClient workflows, StoreCalls store, IOptions<IngestOptions> options, IngestMetrics metrics, ILogger<ImageWorkflowStarter> logger)
{
    /// <summary>
    /// Starts the blob named <paramref name="name"/> at its current version, which the blob adapter reports: it is
    /// the authority on versions, so an event and a sweep that name the same blob derive the same id.
    /// </summary>
    public async Task<StartOutcome> StartCurrentAsync(string name, ImageTrigger trigger, CancellationToken cancellationToken)
    {
        BlobReference blob;
        try
        {
            blob = await blobs.DescribeAsync(name, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return StartOutcome.Vanished;
        }

        return await StartAsync(blob, trigger, cancellationToken);
    }

    public async Task<StartOutcome> StartAsync(BlobReference blob, ImageTrigger trigger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var id = blob.ImageId;
        if (await InstanceExistsAsync(id, cancellationToken) || await HasRecordAsync(id, cancellationToken))
        {
            metrics.Duplicates.Add(1, IngestMetrics.TriggerTag(trigger));
            return StartOutcome.AlreadyKnown;
        }

        // daprd answers a start only once the instance's first turn has run (durabletask-go's executor waits for it),
        // so a start can wait on a worker that is not connected yet. The deadline turns that wait into a
        // TimeoutException the triggers already handle (upload: deferred-to-sweep; queue: redelivered).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.WorkflowStartTimeout);
        try
        {
            await workflows.ScheduleNewWorkflowAsync(DaprTopology.Workflows.ImageMetadata, id.Value, new ImageWorkflowInput(blob, options.Value.ActivityRetry()), startTime: null, deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled or StatusCode.DeadlineExceeded })
        {
            throw new TimeoutException($"The workflow engine did not confirm the start of {id} within {options.Value.WorkflowStartTimeout}.", e);
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
        {
            // daprd refuses to start an id whose instance is still running (another trigger won the race). The status
            // code it answers with is not part of the SDK's contract, so the instance's presence decides: if it exists
            // now, this start is a duplicate; if not, the refusal was something else and is the caller's to handle.
            if (!await InstanceExistsAsync(id, cancellationToken))
            {
                throw;
            }

            metrics.Duplicates.Add(1, IngestMetrics.TriggerTag(trigger));
            return StartOutcome.AlreadyKnown;
        }

        metrics.Started.Add(1, IngestMetrics.TriggerTag(trigger));
        LogStarted(logger, id.Value, blob.Container, blob.Name, trigger);
        return StartOutcome.Started;
    }

    /// <summary>Whether the workflow engine has an instance with this id, in any state.</summary>
    private async Task<bool> InstanceExistsAsync(ImageId id, CancellationToken cancellationToken) =>
        await workflows.GetWorkflowStateAsync(id.Value, getInputsAndOutputs: false, cancellationToken) is { Exists: true };

    /// <summary>
    /// Whether the store already has the image's record (an instance purged after it finished). Advisory: when
    /// the store cannot answer, the workflow starts anyway, because it waits for the store itself with retries
    /// and the upsert makes a repeated save harmless; a store outage must not hold up new images.
    /// </summary>
    private async Task<bool> HasRecordAsync(ImageId id, CancellationToken cancellationToken)
    {
        try
        {
            return await store.FindRecordAsync(id, cancellationToken) is not null;
        }
        catch (AppUnavailableException e)
        {
            LogStoreUnavailable(logger, id.Value, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Store could not say whether {InstanceId} has a record ({Reason}); starting its workflow")]
    private static partial void LogStoreUnavailable(ILogger logger, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started workflow {InstanceId} for {Container}/{Name} ({Trigger})")]
    private static partial void LogStarted(ILogger logger, string instanceId, string container, string name, ImageTrigger trigger);
}
