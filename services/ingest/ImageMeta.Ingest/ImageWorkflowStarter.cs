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

    /// <summary>An instance with this id is running, or is done and the store has a usable record: nothing to do.</summary>
    AlreadyKnown,

    /// <summary>The named blob no longer exists (deleted after it was announced or listed): nothing to do.</summary>
    Vanished,
}

/// <summary>
/// The one way every trigger (upload, BlobCreated event, sweep, repair, reprocessing) starts processing: the instance id
/// is the image id (container, name, version), and an image that is being processed or is done is left alone. daprd
/// replaces a finished instance when its id is started again, which is what a failed or terminated instance needs (it
/// left no record, or an <c>unavailable</c> one) and what a completed one must be spared; so the instance's state is
/// asked first, then the store's record: running → known; completed with a usable record → known; failed, terminated,
/// or completed without a usable record → started again. A conflict answer counts as "already running". The race left
/// (two triggers between check and start) is harmless: the store's upsert is idempotent. A name that breaks
/// <see cref="BlobNameRule"/> is started under its safe rendering with the reason, so it ends as a failed
/// <c>invalid-name</c> record rather than as none.
/// </summary>
public sealed partial class ImageWorkflowStarter(VersionReads versions, IDaprWorkflowClient workflows, StoreCalls store, IOptions<IngestOptions> options, IngestMetrics metrics, ILogger<ImageWorkflowStarter> logger)
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
            blob = await versions.DescribeAsync(name, cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return StartOutcome.Vanished;
        }

        return await StartAsync(blob, trigger, cancellationToken);
    }

    /// <summary>The reference a blob is recorded under: its own, or for a name that breaks the rule, its safe rendering.</summary>
    public static BlobReference Recorded(BlobReference blob) =>
        BlobNameRule.Problem((blob ?? throw new ArgumentNullException(nameof(blob))).Name) is null ? blob : blob with { Name = BlobNameRule.SafeRendering(blob.Name) };

    /// <param name="blob">The blob version, as the binding reports it.</param>
    /// <param name="trigger">What found it. <see cref="ImageTrigger.Repair"/> and <see cref="ImageTrigger.Reprocess"/> run a completed image again.</param>
    /// <param name="cancellationToken">Cancels the checks and the start.</param>
    /// <param name="recordChecked">The caller has asked the store already (the sweep asks for a page at once): the record check is skipped.</param>
    public async Task<StartOutcome> StartAsync(BlobReference blob, ImageTrigger trigger, CancellationToken cancellationToken, bool recordChecked = false)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var nameProblem = BlobNameRule.Problem(blob.Name);
        blob = Recorded(blob);
        var id = blob.ImageId;
        var again = trigger is ImageTrigger.Repair or ImageTrigger.Reprocess;
        var status = await StatusAsync(id, cancellationToken);
        var known = status switch
        {
            null => !recordChecked && !again && await HasUsableRecordAsync(id, cancellationToken),
            var s when !s.Value.IsTerminal() => true,
            WorkflowRunStatus.Completed => !again && !recordChecked && await HasUsableRecordAsync(id, cancellationToken),
            _ => false,
        };
        if (known)
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
            var input = new ImageWorkflowInput(blob, options.Value.ActivityRetry(), trigger, nameProblem, AnalyzeInOneCall: true);
            await workflows.ScheduleNewWorkflowAsync(DaprTopology.Workflows.ImageMetadata, id.Value, input, startTime: null, deadline.Token);
        }
        catch (Exception e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested
            && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled or StatusCode.DeadlineExceeded })
        {
            throw new TimeoutException($"The workflow engine did not confirm the start of {id} within {options.Value.WorkflowStartTimeout}.", e);
        }
        catch (RpcException e) when (e.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled))
        {
            // daprd refuses to start an id whose instance is still running (another trigger won the race). The status
            // code it answers with is not part of the SDK's contract, so the instance's state decides: if it runs now,
            // this start is a duplicate; if not, the refusal was something else and is the caller's to handle.
            if (await StatusAsync(id, cancellationToken) is not { } now || now.IsTerminal())
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

    /// <summary>The instance's runtime status, or null when the engine has no instance with this id.</summary>
    public async Task<WorkflowRunStatus?> StatusAsync(ImageId id, CancellationToken cancellationToken) =>
        await workflows.GetWorkflowStateAsync(id.Value, getInputsAndOutputs: false, cancellationToken) is { Exists: true } state
            ? state.RuntimeStatus.RunStatus()
            : null;

    /// <summary>
    /// Whether the store has a record for the image that needs no repair (any class but <c>unavailable</c>). Advisory: when
    /// the store cannot answer, the workflow starts anyway, because it waits for the store itself with retries and the
    /// upsert makes a repeated save harmless; a store outage must not hold up new images.
    /// </summary>
    private async Task<bool> HasUsableRecordAsync(ImageId id, CancellationToken cancellationToken)
    {
        try
        {
            return await store.FindRecordAsync(id, cancellationToken) is { } record && record.Failure?.Class != FailureClass.Unavailable;
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
