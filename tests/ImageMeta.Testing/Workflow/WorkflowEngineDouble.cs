using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Workflow.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Testing.Workflow;

/// <summary>
/// The workflow half of the sidecar double: an in-process <c>TaskHubSidecarService</c> that keeps each
/// instance's history, drives a connected worker (the official Dapr.Workflow SDK) the way daprd's engine
/// does, and answers the SDK's <c>DaprWorkflowClient</c>. Test code only. Sources: dapr/durabletask-go
/// backend/executor.go (the gRPC server daprd runs), backend/runtimestate/runtimestate.go (status from
/// history), dapr/dapr pkg/actors/targets/workflow/orchestrator/*.go (the workflow actor: create, add,
/// run, payload size, terminate) and pkg/runtime/wfengine/backends/actors/actors.go. See
/// tests/ImageMeta.Testing/Workflow/README.md for what is and is not reproduced.
/// History lives in this object, not in the worker's process, so it survives worker restarts as daprd's
/// state store would.
/// </summary>
public sealed partial class WorkflowEngineDouble : TaskHubSidecarService.TaskHubSidecarServiceBase, IWorkflowEngineDouble
{
    /// <summary>dapr/dapr orchestrator/payloadsize.go: a work item above 95% of --max-body-size stalls the workflow.</summary>
    private const int PayloadStallPercent = 95;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, EngineInstance> _instances = new(StringComparer.Ordinal);
    private readonly Channel<Pending> _ready = Channel.CreateUnbounded<Pending>();
    private readonly Dictionary<string, Outstanding> _outstanding = new(StringComparer.Ordinal);
    private readonly Dictionary<int, CancellationTokenSource> _streams = [];
    private readonly List<string> _started = [];
    private readonly List<DueTimer> _timers = [];
    private readonly Dictionary<string, int> _activityDispatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _timerLoop;
    private TaskCompletionSource _workerConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextStreamId;
    private int _rejectedAnswers;
    private int _acceptedAnswers;
    private string? _zipkin;
    private string _serviceName = "ingest";
    private long _maxBodyBytes = SidecarOptions.DaprdDefaultMaxBodyBytes;
    private static readonly HttpClient ZipkinClient = new();

    public WorkflowEngineDouble() => _timerLoop = Task.Run(FireTimersAsync);

    /// <summary>Answers refused because their completion token was not outstanding.</summary>
    public int RejectedAnswers => Volatile.Read(ref _rejectedAnswers);

    /// <summary>Answers applied to history.</summary>
    public int AcceptedAnswers => Volatile.Read(ref _acceptedAnswers);

    /// <summary>Workers currently holding a work-item stream.</summary>
    public int ConnectedWorkers
    {
        get
        {
            lock (_gate)
            {
                return _streams.Count;
            }
        }
    }

    public IReadOnlyList<string> StartedInstanceIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _started];
            }
        }
    }

    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _instances.Values.Count(i => !i.IsTerminal);
            }
        }
    }

    /// <summary>How many activity work items named <paramref name="activityName"/> were sent to workers (redeliveries included).</summary>
    public int ActivityDispatches(string activityName)
    {
        lock (_gate)
        {
            return _activityDispatches.GetValueOrDefault(activityName);
        }
    }

    /// <summary>How many times a <c>TaskHubSidecarService</c> method was called (for example <c>CompleteOrchestratorTask</c>).</summary>
    public int Calls(string method)
    {
        lock (_gate)
        {
            return _calls.GetValueOrDefault(method);
        }
    }

    /// <summary>A copy of an instance's history (empty when unknown).</summary>
    public IReadOnlyList<HistoryEvent> HistoryOf(string instanceId)
    {
        lock (_gate)
        {
            return _instances.TryGetValue(instanceId, out var i) ? [.. i.History.Select(e => e.Clone())] : [];
        }
    }

    public SidecarOptions Attach(SidecarOptions ingestSidecar)
    {
        ArgumentNullException.ThrowIfNull(ingestSidecar);
        var extraServices = ingestSidecar.ConfigureExtraServices;
        var extraEndpoints = ingestSidecar.MapExtraEndpoints;
        _zipkin = ingestSidecar.ZipkinEndpoint;
        _serviceName = ingestSidecar.AppId;
        _maxBodyBytes = ingestSidecar.MaxBodyBytes;
        return ingestSidecar with
        {
            Workflows = this,
            ConfigureExtraServices = services =>
            {
                extraServices?.Invoke(services);
                services.AddSingleton(this);
            },
            MapExtraEndpoints = endpoints =>
            {
                extraEndpoints?.Invoke(endpoints);
                endpoints.MapGrpcService<WorkflowEngineDouble>();
            },
        };
    }

    public async Task WaitForWorkerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task connected;
        lock (_gate)
        {
            connected = _workerConnected.Task;
        }

        await connected.WaitAsync(timeout, cancellationToken);
    }

    /// <summary>Ends every open work-item stream, as a sidecar restart or network fault would.</summary>
    public void DropStreams()
    {
        lock (_gate)
        {
            foreach (var stream in _streams.Values)
            {
                stream.Cancel();
            }
        }
    }

    private void Count(string method)
    {
        lock (_gate)
        {
            _calls[method] = _calls.GetValueOrDefault(method) + 1;
        }
    }

    // ---- worker half ----

    public override Task<Empty> Hello(Empty request, ServerCallContext context)
    {
        Count(nameof(Hello));
        return Task.FromResult(new Empty());
    }

    /// <summary>
    /// durabletask-go backend/executor.go GetWorkItems: items go to whichever worker holds a stream; items sent on a
    /// stream that ends unanswered are handed out again (the disconnect cleanup cancels them and daprd's actor
    /// reminders run them again).
    /// </summary>
    public override async Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(GetWorkItems));
        using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping.Token);
        int streamId;
        lock (_gate)
        {
            streamId = ++_nextStreamId;
            _streams.Add(streamId, streamStop);
            _workerConnected.TrySetResult();
        }

        await context.WriteResponseHeadersAsync([]);
        try
        {
            while (await _ready.Reader.WaitToReadAsync(streamStop.Token))
            {
                if (!_ready.Reader.TryRead(out var pending))
                {
                    continue;
                }

                WorkItem? item;
                lock (_gate)
                {
                    item = Hand(pending, streamId);
                }

                if (item is not null)
                {
                    await responseStream.WriteAsync(item, streamStop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The worker went away or the test dropped the stream.
        }
        catch (IOException)
        {
            // Same, seen from the transport.
        }
        finally
        {
            lock (_gate)
            {
                _streams.Remove(streamId);
                if (_streams.Count == 0)
                {
                    _workerConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                Abandon(streamId);
            }
        }
    }

    /// <summary>The 1.19 SDK answers here (GrpcProtocolHandler.cs); durabletask-go treats it as CompleteWorkflowTask.</summary>
    public override Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context)
    {
        Count(nameof(CompleteOrchestratorTask));
        return CompleteWorkflowTurn(request);
    }

    public override Task<CompleteTaskResponse> CompleteWorkflowTask(WorkflowResponse request, ServerCallContext context)
    {
        Count(nameof(CompleteWorkflowTask));
        return CompleteWorkflowTurn(request);
    }

    private Task<CompleteTaskResponse> CompleteWorkflowTurn(WorkflowResponse request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (!_outstanding.Remove(request.CompletionToken, out var sent) || sent.TaskId is not null || sent.InstanceId != request.InstanceId
                || !_instances.TryGetValue(request.InstanceId, out var instance) || instance.Batch is null || instance.Generation != sent.Generation)
            {
                // A stale or repeated answer: its turn was handed out again or the run was replaced.
                Interlocked.Increment(ref _rejectedAnswers);
                throw new RpcException(new Status(StatusCode.NotFound, $"unknown instance ID: {request.InstanceId}"));
            }

            Interlocked.Increment(ref _acceptedAnswers);
            ApplyActions(instance, request);
        }

        return Task.FromResult(new CompleteTaskResponse());
    }

    public override Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(CompleteActivityTask));
        lock (_gate)
        {
            if (!_outstanding.Remove(request.CompletionToken, out var sent) || sent.TaskId != request.TaskId || sent.InstanceId != request.InstanceId)
            {
                Interlocked.Increment(ref _rejectedAnswers);
                throw new RpcException(new Status(StatusCode.NotFound, $"unknown instance ID/task ID combo: {request.InstanceId}/{request.TaskId}"));
            }

            Interlocked.Increment(ref _acceptedAnswers);
            if (_instances.TryGetValue(request.InstanceId, out var instance) && !instance.IsTerminal && instance.Generation == sent.Generation)
            {
                if (instance.ActivitySpans.Remove(request.TaskId, out var span) && instance.TraceId is { } traceId)
                {
                    ExportSpan($"activity||{span.Name}", traceId, span.SpanId, instance.RunSpanId, span.Started);
                }

                var outcome = request.FailureDetails is { } failure
                    ? new HistoryEvent { EventId = -1, Timestamp = Now(), TaskFailed = new TaskFailedEvent { TaskScheduledId = request.TaskId, FailureDetails = failure } }
                    : new HistoryEvent { EventId = -1, Timestamp = Now(), TaskCompleted = new TaskCompletedEvent { TaskScheduledId = request.TaskId, Result = request.Result } };
                AddToInbox(instance, outcome);
            }
        }

        return Task.FromResult(new CompleteTaskResponse());
    }

    // ---- the engine ----

    private void AddToInbox(EngineInstance instance, HistoryEvent e)
    {
        instance.Inbox.Add(e);
        instance.Touch();
        Kick(instance);
    }

    /// <summary>
    /// Queues a turn when the instance has something to run: at most one turn per instance is outstanding
    /// (the workflow actor's turn lock); a scheduled start waits for its time (orchestrator/create.go arms the
    /// start reminder at that time); a suspended instance keeps its inbox until a resume or terminate arrives;
    /// a stalled one runs nothing.
    /// </summary>
    private void Kick(EngineInstance instance)
    {
        if (instance.TurnPending || instance.IsTerminal || instance.Stalled is not null || instance.Inbox.Count == 0)
        {
            return;
        }

        // A terminate does not wait for the scheduled start (its new-event wake-up runs the inbox at once).
        if (instance.NotBefore is { } notBefore && notBefore > DateTime.UtcNow && !instance.Inbox.Any(e => e.ExecutionTerminated is not null))
        {
            return;
        }

        if (instance.Suspended && !instance.Inbox.Any(e => e.ExecutionResumed is not null || e.ExecutionTerminated is not null))
        {
            return;
        }

        instance.TurnPending = true;
        _ready.Writer.TryWrite(new Pending(instance.Id, instance.Generation, null));
    }

    /// <summary>Turns a queued item into the work item sent on stream <paramref name="streamId"/>; null when it became moot.</summary>
    private WorkItem? Hand(Pending pending, int streamId)
    {
        if (!_instances.TryGetValue(pending.InstanceId, out var instance) || instance.Generation != pending.Generation)
        {
            return null;
        }

        var token = Guid.NewGuid().ToString("N");
        if (pending.Activity is { } activity)
        {
            if (instance.IsTerminal || instance.Stalled is not null)
            {
                return null;
            }

            var activityItem = new WorkItem { ActivityRequest = activity.Clone(), CompletionToken = token };
            if (Oversize(activityItem.CalculateSize()) is { } limit)
            {
                // orchestrator/activity.go + payloadsize.go activityPayloadOversize: the run stalls instead of sending.
                Stall(instance, $"activity '{activity.Name}::{activity.TaskId}' payload {activityItem.CalculateSize()} bytes exceeds {PayloadStallPercent}% of max gRPC body size {limit} bytes; increase daprd --max-body-size and restart to resume");
                return null;
            }

            _outstanding[token] = new Outstanding(pending.InstanceId, pending.Generation, activity.TaskId, streamId, pending);
            _activityDispatches[activity.Name] = _activityDispatches.GetValueOrDefault(activity.Name) + 1;
            return activityItem;
        }

        if (instance.IsTerminal || instance.Inbox.Count == 0)
        {
            instance.TurnPending = false;
            return null;
        }

        // One episode: orchestratorStarted (the replay clock) then what arrived since the last one. The batch ends
        // at a suspend or terminate, so that event is the turn's last: the 1.19 worker acknowledges a trailing
        // executionSuspended without running code and completes a trailing executionTerminated as TERMINATED
        // (Dapr.Workflow Worker/WorkflowWorker.cs). What arrived after it waits in the inbox.
        var cut = instance.Inbox.FindIndex(e => e.ExecutionSuspended is not null || e.ExecutionTerminated is not null);
        var take = cut < 0 ? instance.Inbox.Count : cut + 1;
        instance.Batch = [new HistoryEvent { EventId = -1, Timestamp = Now(), OrchestratorStarted = new OrchestratorStartedEvent() }, .. instance.Inbox.Take(take)];
        instance.Inbox.RemoveRange(0, take);
        var request = new WorkflowRequest { InstanceId = instance.Id, ExecutionId = instance.ExecutionId };
        request.PastEvents.AddRange(instance.History.Select(e => e.Clone()));
        request.NewEvents.AddRange(instance.Batch.Select(e => e.Clone()));
        var item = new WorkItem { WorkflowRequest = request, CompletionToken = token };
        if (Oversize(item.CalculateSize()) is { } max)
        {
            // orchestrator/run.go + payloadsize.go workflowPayloadOversize: STALLED with PAYLOAD_SIZE_EXCEEDED.
            instance.Inbox.InsertRange(0, instance.Batch.Skip(1));
            instance.Batch = null;
            instance.TurnPending = false;
            Stall(instance, $"Workflow payload size {item.CalculateSize()} bytes exceeds {PayloadStallPercent}% of max gRPC body size {max} bytes; increase daprd --max-body-size and restart to resume");
            return null;
        }

        _outstanding[token] = new Outstanding(pending.InstanceId, pending.Generation, null, streamId, pending);
        return item;
    }

    private long? Oversize(int size) => size > _maxBodyBytes * PayloadStallPercent / 100 ? _maxBodyBytes : null;

    private static void Stall(EngineInstance instance, string description)
    {
        instance.Stalled = description;
        instance.History.Add(new HistoryEvent
        {
            EventId = -1,
            Timestamp = Now(),
            ExecutionStalled = new ExecutionStalledEvent { Reason = StalledReason.PayloadSizeExceeded, Description = description },
        });
        instance.Touch();
    }

    /// <summary>Items sent on a stream that ended unanswered go back to the queue.</summary>
    private void Abandon(int streamId)
    {
        foreach (var (token, sent) in _outstanding.Where(o => o.Value.StreamId == streamId).ToList())
        {
            _outstanding.Remove(token);
            if (sent.TaskId is null && _instances.TryGetValue(sent.InstanceId, out var instance) && instance.Batch is { } batch)
            {
                // The episode's events return to the front of the inbox (minus the orchestratorStarted made for it).
                instance.Inbox.InsertRange(0, batch.Where(e => e.EventTypeCase != HistoryEvent.EventTypeOneofCase.OrchestratorStarted));
                instance.Batch = null;
            }

            _ready.Writer.TryWrite(sent.Pending);
        }
    }

    /// <summary>durabletask-go backend/runtimestate/applier.go: the turn's events join history, then each action is applied.</summary>
    private void ApplyActions(EngineInstance instance, WorkflowResponse response)
    {
        var batch = instance.Batch!;
        instance.History.AddRange(batch);
        instance.Batch = null;
        foreach (var e in batch)
        {
            // runtimestate.go: suspension is read from history.
            if (e.ExecutionSuspended is not null)
            {
                instance.Suspended = true;
            }
            else if (e.ExecutionResumed is not null)
            {
                instance.Suspended = false;
            }
            else if (e.ExecutionStarted is not null)
            {
                instance.Started = true;
            }
        }

        foreach (var action in response.Actions)
        {
            if (instance.IsTerminal)
            {
                break;
            }

            ApplyAction(instance, action);
        }

        if (!instance.ContinuedAsNew)
        {
            instance.History.Add(new HistoryEvent { EventId = -1, Timestamp = Now(), OrchestratorCompleted = new OrchestratorCompletedEvent() });
        }

        instance.ContinuedAsNew = false;
        if (response.CustomStatus is { } custom)
        {
            instance.CustomStatus = custom;
        }

        instance.Touch();
        instance.TurnPending = false;
        if (instance.IsTerminal)
        {
            _timers.RemoveAll(t => t.InstanceId == instance.Id);
            instance.Inbox.Clear();
            OnTerminal(instance);
        }
        else
        {
            Kick(instance);
        }
    }

    private void ApplyAction(EngineInstance instance, WorkflowAction action)
    {
        switch (action.ActionTypeCase)
        {
            case WorkflowAction.ActionTypeOneofCase.ScheduleTask:
                var task = action.ScheduleTask;
                instance.History.Add(new HistoryEvent
                {
                    EventId = action.Id,
                    Timestamp = Now(),
                    TaskScheduled = new TaskScheduledEvent { Name = task.Name, Input = task.Input, TaskExecutionId = task.TaskExecutionId, ParentTraceContext = instance.TraceUnder(instance.RunSpanId) },
                });
                var activitySpan = NewSpanId();
                instance.ActivitySpans[action.Id] = (task.Name, activitySpan, DateTimeOffset.UtcNow);
                _ready.Writer.TryWrite(new Pending(instance.Id, instance.Generation, new ActivityRequest
                {
                    Name = task.Name,
                    Input = task.Input,
                    WorkflowInstance = new WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                    TaskId = action.Id,
                    TaskExecutionId = task.TaskExecutionId,
                    ParentTraceContext = instance.TraceUnder(activitySpan),
                }));
                break;
            case WorkflowAction.ActionTypeOneofCase.CreateTimer:
                // The action's extra fields (timer origin) are kept as unknown fields and come back on replay.
                var created = new TimerCreatedEvent { FireAt = action.CreateTimer.FireAt };
                if (action.CreateTimer.HasName)
                {
                    created.Name = action.CreateTimer.Name;
                }

                created.MergeFrom(TimerOriginOf(action.CreateTimer));
                instance.History.Add(new HistoryEvent { EventId = action.Id, Timestamp = Now(), TimerCreated = created });
                _timers.Add(new DueTimer(instance.Id, instance.Generation, action.Id, action.CreateTimer.FireAt.ToDateTime()));
                break;
            case WorkflowAction.ActionTypeOneofCase.CreateChildWorkflow:
                CreateChild(instance, action.Id, action.CreateChildWorkflow);
                break;
            case WorkflowAction.ActionTypeOneofCase.SendEvent:
                var send = action.SendEvent;
                instance.History.Add(new HistoryEvent
                {
                    EventId = action.Id,
                    Timestamp = Now(),
                    EventSent = new EventSentEvent { InstanceId = send.Instance?.InstanceId ?? string.Empty, Name = send.Name, Input = send.Data },
                });
                if (send.Instance is { } target && _instances.TryGetValue(target.InstanceId, out var receiver) && !receiver.IsTerminal)
                {
                    AddToInbox(receiver, new HistoryEvent { EventId = -1, Timestamp = Now(), EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data } });
                }

                break;
            case WorkflowAction.ActionTypeOneofCase.TerminateWorkflow:
                if (_instances.TryGetValue(action.TerminateWorkflow.InstanceId, out var victim) && !victim.IsTerminal)
                {
                    AddToInbox(victim, Terminated(action.TerminateWorkflow.Reason, action.TerminateWorkflow.Recurse));
                }

                break;
            case WorkflowAction.ActionTypeOneofCase.CompleteWorkflow:
                Complete(instance, action.CompleteWorkflow);
                break;
            default:
                Complete(instance, new CompleteWorkflowAction
                {
                    Status = OrchestrationStatus.Failed,
                    FailureDetails = new TaskFailureDetails { ErrorType = "UnsupportedAction", ErrorMessage = $"the sidecar double does not support action type {action.ActionTypeCase}" },
                });
                break;
        }
    }

    private static TimerCreatedEvent TimerOriginOf(CreateTimerAction action)
    {
        // Field numbers past name (2) differ by one between the action (origin 3..6) and the event (origin 4..7):
        // the origin is renumbered so the replaying SDK finds the same origin it asked for.
        var bytes = action.ToByteArray();
        var input = new CodedInputStream(bytes);
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            if (field is >= 3 and <= 6 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var payload = input.ReadBytes();
                output.WriteTag(field + 1, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(payload);
            }
            else
            {
                input.SkipLastField();
            }
        }

        output.Flush();
        return TimerCreatedEvent.Parser.ParseFrom(buffer.ToArray());
    }

    /// <summary>
    /// A createChildWorkflow action: a childWorkflowInstanceCreated event named by the action id, and the child as
    /// its own instance whose execution-started event names the parent (dapr/dapr orchestrator/childwf.go).
    /// </summary>
    private void CreateChild(EngineInstance parent, int taskId, CreateChildWorkflowAction child)
    {
        parent.History.Add(new HistoryEvent
        {
            EventId = taskId,
            Timestamp = Now(),
            ChildWorkflowCreated = new ChildWorkflowCreatedEvent { InstanceId = child.InstanceId, Name = child.Name, Input = child.Input, Version = child.Version },
        });
        parent.Children.Add(child.InstanceId);
        try
        {
            StartCore(child.Name, child.InstanceId, child.Input, parent.StartTrace, null, new ParentRef(parent.Id, taskId, parent.Generation, parent.Name));
        }
        catch (WorkflowAlreadyRunningException e)
        {
            AddToInbox(parent, new HistoryEvent
            {
                EventId = -1,
                Timestamp = Now(),
                ChildWorkflowFailed = new ChildWorkflowFailedEvent { TaskScheduledId = taskId, FailureDetails = new TaskFailureDetails { ErrorType = "AlreadyExists", ErrorMessage = e.Message } },
            });
        }
    }

    private void Complete(EngineInstance instance, CompleteWorkflowAction complete)
    {
        if (complete.Status == OrchestrationStatus.ContinuedAsNew)
        {
            ContinueAsNew(instance, complete);
            return;
        }

        instance.History.Add(new HistoryEvent
        {
            EventId = -1,
            Timestamp = Now(),
            ExecutionCompleted = new ExecutionCompletedEvent { Status = complete.Status, Result = complete.Result, FailureDetails = complete.FailureDetails },
        });
        instance.Finish(complete);
        if (instance.TraceId is { } traceId)
        {
            ExportSpan($"orchestration||{instance.Name}", traceId, instance.RunSpanId, instance.StartSpanId, instance.CreatedAt);
        }
    }

    /// <summary>
    /// durabletask-go runtimestate/applier.go (CONTINUED_AS_NEW): the same instance id starts a fresh history whose
    /// execution-started event carries the new input, followed by the carryover events the worker kept; answers and
    /// timers of the previous execution no longer apply (dapr/dapr run.go: state.Generation++).
    /// </summary>
    private void ContinueAsNew(EngineInstance instance, CompleteWorkflowAction complete)
    {
        _timers.RemoveAll(t => t.InstanceId == instance.Id);
        instance.Generation = ++_generations;
        instance.ExecutionId = Guid.NewGuid().ToString("N");
        instance.Input = complete.Result;
        instance.History.Clear();
        instance.ActivitySpans.Clear();
        instance.ContinuedAsNew = true;
        var started = new ExecutionStartedEvent
        {
            Name = instance.Name,
            Input = complete.Result,
            Instance = new WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
            ParentTraceContext = instance.StartTrace,
        };
        if (instance.Parent is { } parent)
        {
            started.ParentInstance = new ParentInstanceInfo { TaskScheduledId = parent.TaskId, Name = parent.Name, WorkflowInstance = new WorkflowInstance { InstanceId = parent.Id } };
        }

        instance.Inbox.InsertRange(0, [new HistoryEvent { EventId = -1, Timestamp = Now(), ExecutionStarted = started }, .. complete.CarryoverEvents]);
    }

    /// <summary>A finished child reports to its parent (childWorkflowInstanceCompleted / Failed naming the create action).</summary>
    private void OnTerminal(EngineInstance instance)
    {
        instance.NotifyChanged();
        if (instance.Parent is not { } parentRef || !_instances.TryGetValue(parentRef.Id, out var parent) || parent.Generation != parentRef.Generation || parent.IsTerminal)
        {
            return;
        }

        var e = instance.Status == OrchestrationStatus.Completed
            ? new HistoryEvent { EventId = -1, Timestamp = Now(), ChildWorkflowCompleted = new ChildWorkflowCompletedEvent { TaskScheduledId = parentRef.TaskId, Result = instance.Output } }
            : new HistoryEvent
            {
                EventId = -1,
                Timestamp = Now(),
                ChildWorkflowFailed = new ChildWorkflowFailedEvent
                {
                    TaskScheduledId = parentRef.TaskId,
                    FailureDetails = instance.Failure ?? new TaskFailureDetails { ErrorType = "Terminated", ErrorMessage = $"child workflow '{instance.Id}' was {StatusName(instance.Status).ToLowerInvariant()}" },
                },
            };
        AddToInbox(parent, e);
    }

    private async Task FireTimersAsync()
    {
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (await tick.WaitForNextTickAsync(_stopping.Token))
            {
                lock (_gate)
                {
                    var now = DateTime.UtcNow;
                    foreach (var due in _timers.Where(t => t.FireAt <= now).ToList())
                    {
                        _timers.Remove(due);
                        if (!_instances.TryGetValue(due.InstanceId, out var instance) || instance.IsTerminal || instance.Generation != due.Generation)
                        {
                            continue;
                        }

                        if (due.TimerId is null)
                        {
                            // The scheduled start time came (orchestrator/create.go: the start reminder fires).
                            instance.NotBefore = null;
                            Kick(instance);
                            continue;
                        }

                        AddToInbox(instance, new HistoryEvent
                        {
                            EventId = -1,
                            Timestamp = Now(),
                            TimerFired = new TimerFiredEvent { TimerId = due.TimerId.Value, FireAt = Timestamp.FromDateTime(due.FireAt) },
                        });
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private static Timestamp Now() => Timestamp.FromDateTime(DateTime.UtcNow);

    private static string NewSpanId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    private static HistoryEvent Terminated(string? output, bool recurse) =>
        new() { EventId = -1, Timestamp = Now(), ExecutionTerminated = new ExecutionTerminatedEvent { Input = output, Recurse = recurse } };

    /// <summary>The upper-case status names daprd's workflow API reports (pkg/api/universal/workflow.go).</summary>
    internal static string StatusName(OrchestrationStatus status) => status switch
    {
        OrchestrationStatus.Running => "RUNNING",
        OrchestrationStatus.Completed => "COMPLETED",
        OrchestrationStatus.ContinuedAsNew => "CONTINUED_AS_NEW",
        OrchestrationStatus.Failed => "FAILED",
        OrchestrationStatus.Canceled => "CANCELED",
        OrchestrationStatus.Terminated => "TERMINATED",
        OrchestrationStatus.Pending => "PENDING",
        OrchestrationStatus.Suspended => "SUSPENDED",
        OrchestrationStatus.Stalled => "STALLED",
        _ => "UNKNOWN",
    };

    /// <summary>Sends one finished span to the sidecar's Zipkin (JSON v2), as daprd's tracing exporter would; best effort.</summary>
    private void ExportSpan(string name, string traceId, string spanId, string? parentId, DateTimeOffset started)
    {
        if (_zipkin is not { } endpoint)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var span = new Dictionary<string, object?>
        {
            ["traceId"] = traceId,
            ["id"] = spanId,
            ["parentId"] = parentId,
            ["name"] = name,
            ["timestamp"] = started.ToUnixTimeMilliseconds() * 1000,
            ["duration"] = Math.Max(1, (long)(now - started).TotalMicroseconds),
            ["localEndpoint"] = new Dictionary<string, string> { ["serviceName"] = _serviceName },
        };
        _ = Task.Run(async () =>
        {
            try
            {
                using var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new[] { span }), System.Text.Encoding.UTF8, "application/json");
                using var response = await ZipkinClient.PostAsync(new Uri(endpoint), content);
            }
            catch (HttpRequestException)
            {
                // Tracing never fails the engine.
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _ready.Writer.TryComplete();
        await _timerLoop;
        _stopping.Dispose();
    }

    private sealed record Pending(string InstanceId, int Generation, ActivityRequest? Activity);

    private sealed record Outstanding(string InstanceId, int Generation, int? TaskId, int StreamId, Pending Pending);

    /// <summary>A durable timer, or (TimerId null) a scheduled start.</summary>
    private sealed record DueTimer(string InstanceId, int Generation, int? TimerId, DateTime FireAt);
}
