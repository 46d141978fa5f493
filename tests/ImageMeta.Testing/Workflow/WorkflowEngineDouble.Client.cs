using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Workflow.Protocol;

namespace ImageMeta.Testing.Workflow;

// The client half of TaskHubSidecarService (what Dapr.Workflow 1.19's DaprWorkflowClient calls, see its
// Client/WorkflowGrpcClient.cs) and the Dapr workflow API's management calls (IWorkflowManagement). Both act
// on the same instances, as they do in daprd.
public sealed partial class WorkflowEngineDouble
{
    /// <summary>Completed (and replaced) whenever an instance is created, so waiters for an id not created yet look again.</summary>
    private TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _generations;

    // ---- gRPC client half ----

    /// <summary>
    /// durabletask-go backend/executor.go StartInstance: creates the instance, then (no scheduled start) waits until
    /// it has started, bounded by the call's deadline. daprd's reuse rule (dapr/dapr orchestrator/create.go
    /// createIfCompleted): an id whose instance or any child is not terminal is refused with ALREADY_EXISTS, which the
    /// SDK surfaces as <see cref="RpcException"/>; a terminal one is replaced by a fresh run.
    /// </summary>
    public override async Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(StartInstance));
        var instanceId = request.InstanceId.Length > 0 ? request.InstanceId : Guid.NewGuid().ToString();
        DateTime? notBefore = request.ScheduledStartTimestamp?.ToDateTime();
        lock (_gate)
        {
            try
            {
                StartCore(request.Name, instanceId, request.Input, request.ParentTraceContext, notBefore, null);
            }
            catch (WorkflowAlreadyRunningException e)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, e.Message));
            }
        }

        if (notBefore is null)
        {
            await WaitForAsync(instanceId, i => i.Status != OrchestrationStatus.Pending, context.CancellationToken);
        }

        return new CreateInstanceResponse { InstanceId = instanceId };
    }

    /// <summary>executor.go GetInstance: an unknown id is <c>exists = false</c>, not an error (the SDK then returns null metadata).</summary>
    public override Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(GetInstance));
        lock (_gate)
        {
            return Task.FromResult(_instances.TryGetValue(request.InstanceId, out var i) ? Describe(i, request.GetInputsAndOutputs) : new GetInstanceResponse { Exists = false });
        }
    }

    /// <summary>executor.go WaitForInstanceStart: blocks until the status is no longer PENDING (or the call ends).</summary>
    public override async Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(WaitForInstanceStart));
        return await WaitForAsync(request.InstanceId, i => i.Status != OrchestrationStatus.Pending, context.CancellationToken, request.GetInputsAndOutputs);
    }

    /// <summary>executor.go WaitForInstanceCompletion: blocks until COMPLETED, FAILED, TERMINATED or CANCELED (api.WorkflowMetadataIsComplete).</summary>
    public override async Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(WaitForInstanceCompletion));
        return await WaitForAsync(request.InstanceId, i => i.IsTerminal, context.CancellationToken, request.GetInputsAndOutputs);
    }

    /// <summary>executor.go RaiseEvent → actors.go AddNewWorkflowEvent: an unknown id is an error (api.ErrInstanceNotFound).</summary>
    public override Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(RaiseEvent));
        lock (_gate)
        {
            AddEvent(request.InstanceId, new HistoryEvent { EventId = -1, Timestamp = Now(), EventRaised = new EventRaisedEvent { Name = request.Name, Input = request.Input } }, string.Empty);
        }

        return Task.FromResult(new RaiseEventResponse());
    }

    /// <summary>
    /// executor.go TerminateInstance: adds executionTerminated (the worker then completes the run as TERMINATED) and
    /// waits for completion; with <c>recursive</c> the children are terminated too (orchestrator/terminate.go).
    /// </summary>
    public override async Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(TerminateInstance));
        lock (_gate)
        {
            TerminateCore(request.InstanceId, request.Output, request.Recursive, "failed to submit termination request: ");
        }

        await WaitForAsync(request.InstanceId, i => i.IsTerminal, context.CancellationToken);
        return new TerminateResponse();
    }

    /// <summary>
    /// executor.go SuspendInstance: adds executionSuspended and waits until SUSPENDED (or terminal). While suspended the
    /// double runs no turns and keeps arriving events in the inbox until a resume or terminate.
    /// </summary>
    public override async Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(SuspendInstance));
        var suspended = new HistoryEvent { EventId = -1, Timestamp = Now(), ExecutionSuspended = new ExecutionSuspendedEvent { Input = Reason(request.Reason) } };
        await AddAndWaitAsync(request.InstanceId, suspended, OrchestrationStatus.Suspended, context.CancellationToken);
        return new SuspendResponse();
    }

    /// <summary>executor.go ResumeInstance: adds executionResumed and waits until RUNNING (or terminal).</summary>
    public override async Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        Count(nameof(ResumeInstance));
        var resumed = new HistoryEvent { EventId = -1, Timestamp = Now(), ExecutionResumed = new ExecutionResumedEvent { Input = Reason(request.Reason) } };
        await AddAndWaitAsync(request.InstanceId, resumed, OrchestrationStatus.Running, context.CancellationToken);
        return new ResumeResponse();
    }

    /// <summary>Suspend and resume alike: the event joins the inbox, then the call waits for the status (or a terminal one).</summary>
    private async Task AddAndWaitAsync(string instanceId, HistoryEvent e, OrchestrationStatus wanted, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            AddEvent(instanceId, e, string.Empty);
        }

        await WaitForAsync(instanceId, i => i.Status == wanted || i.IsTerminal, cancellationToken);
    }

    /// <summary>
    /// executor.go PurgeInstances → backend.go purgeWorkflowState: only terminal instances (api.ErrNotCompleted
    /// otherwise), recursive over children; an unknown id is api.ErrInstanceNotFound; a filter is not implemented.
    /// </summary>
    public override Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(PurgeInstances));
        if (request.RequestCase != PurgeInstancesRequest.RequestOneofCase.InstanceId)
        {
            throw new RpcException(new Status(StatusCode.Unknown, "multi-instance purge is not implemented"));
        }

        lock (_gate)
        {
            if (!_instances.TryGetValue(request.InstanceId, out var instance))
            {
                throw new RpcException(new Status(StatusCode.Unknown, "failed to purge workflow state: no such instance exists"));
            }

            if (!instance.IsTerminal && !(request.HasForce && request.Force))
            {
                throw new RpcException(new Status(StatusCode.Unknown, "failed to purge workflow state: orchestration has not yet completed"));
            }

            return Task.FromResult(new PurgeInstancesResponse { DeletedInstanceCount = Purge(instance, request.Recursive), IsComplete = true });
        }
    }

    /// <summary>actors.go ListInstanceIDs: pages of instance ids with a continuation token.</summary>
    public override Task<ListInstanceIdsResponse> ListInstanceIDs(ListInstanceIdsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(ListInstanceIDs));
        lock (_gate)
        {
            var ids = _instances.Keys.Order(StringComparer.Ordinal).ToList();
            var start = request.HasContinuationToken && int.TryParse(request.ContinuationToken, System.Globalization.CultureInfo.InvariantCulture, out var from) ? from : 0;
            var size = request.HasPageSize && request.PageSize > 0 ? (int)request.PageSize : int.MaxValue;
            var page = ids.Skip(start).Take(size).ToList();
            var response = new ListInstanceIdsResponse();
            response.InstanceIds.AddRange(page);
            if (start + page.Count < ids.Count)
            {
                response.ContinuationToken = (start + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Task.FromResult(response);
        }
    }

    /// <summary>actors.go GetInstanceHistory: the stored history; an unknown id is NOT_FOUND.</summary>
    public override Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Count(nameof(GetInstanceHistory));
        lock (_gate)
        {
            if (!_instances.TryGetValue(request.InstanceId, out var instance))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"workflow instance '{request.InstanceId}' not found"));
            }

            var response = new GetInstanceHistoryResponse();
            response.Events.AddRange(instance.History.Select(e => e.Clone()));
            return Task.FromResult(response);
        }
    }

    // ---- management through the Dapr workflow API (IWorkflowManagement) ----

    public Task StartAsync(string workflowName, string instanceId, string? inputJson, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var trace = traceParent is null ? null : new TraceContext { TraceParent = traceParent, TraceState = traceState };
            StartCore(workflowName, instanceId, inputJson, trace, null, null);
        }

        return Task.CompletedTask;
    }

    public Task<WorkflowInstanceView?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_instances.TryGetValue(instanceId, out var i) ? i.View() : null);
        }
    }

    public Task RaiseEventAsync(string instanceId, string eventName, string? inputJson, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_instances.ContainsKey(instanceId))
            {
                throw new KeyNotFoundException($"no such instance exists: {instanceId}");
            }

            AddEvent(instanceId, new HistoryEvent { EventId = -1, Timestamp = Now(), EventRaised = new EventRaisedEvent { Name = eventName, Input = inputJson } }, string.Empty);
        }

        return Task.CompletedTask;
    }

    public Task TerminateAsync(string instanceId, string? outputJson, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_instances.ContainsKey(instanceId))
            {
                throw new KeyNotFoundException($"no such instance exists: {instanceId}");
            }

            TerminateCore(instanceId, outputJson, recurse: true, string.Empty);
        }

        return Task.CompletedTask;
    }

    public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(instanceId, out var instance) && instance.IsTerminal)
            {
                Purge(instance, recursive: true);
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        }
    }

    public string? InputOf(string instanceId)
    {
        lock (_gate)
        {
            return _instances.TryGetValue(instanceId, out var i) ? i.Input : null;
        }
    }

    /// <summary>Waits until the instance is completed, failed or terminated, and returns its view.</summary>
    public async Task<WorkflowInstanceView> WaitForTerminalAsync(string instanceId, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await WaitForAsync(instanceId, i => i.IsTerminal, limit.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Instance did not finish within {timeout}: {Describe(instanceId)}");
        }

        lock (_gate)
        {
            return _instances[instanceId].View();
        }
    }

    public string Describe(string instanceId)
    {
        lock (_gate)
        {
            if (!_instances.TryGetValue(instanceId, out var i))
            {
                return $"{instanceId}: no such instance";
            }

            var events = string.Join(", ", i.History.Select(e => e.EventTypeCase.ToString()));
            return $"{instanceId} ({i.Name}): {StatusName(i.Status)}, inbox {i.Inbox.Count}, outstanding turn {i.TurnPending}, failure {i.Failure?.ErrorMessage}, stalled {i.Stalled}, history [{events}]";
        }
    }

    // ---- shared pieces ----

    /// <summary>Creates (or replaces) an instance; the caller holds the lock.</summary>
    /// <exception cref="WorkflowAlreadyRunningException">The id names an instance that, or whose child, is not terminal.</exception>
    private EngineInstance StartCore(string workflowName, string instanceId, string? inputJson, TraceContext? trace, DateTime? notBefore, ParentRef? parent)
    {
        if (_instances.TryGetValue(instanceId, out var existing))
        {
            if (!existing.IsTerminal || HasLiveDescendant(existing))
            {
                throw new WorkflowAlreadyRunningException(instanceId);
            }

            // Replaced: timers and answers still on their way for the old run must not land in the new one.
            _timers.RemoveAll(t => t.InstanceId == instanceId);
        }

        var instance = new EngineInstance(instanceId, workflowName, inputJson, ++_generations) { Parent = parent, ScheduledStart = notBefore };
        _instances[instanceId] = instance;
        existing?.Touch();
        SignalCreated();
        _started.Add(instanceId);
        var started = new ExecutionStartedEvent
        {
            Name = workflowName,
            Input = inputJson,
            Instance = new WorkflowInstance { InstanceId = instanceId, ExecutionId = instance.ExecutionId },
        };
        if (notBefore is { } at)
        {
            started.ScheduledStartTimestamp = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc));
            instance.NotBefore = at;
            _timers.Add(new DueTimer(instanceId, instance.Generation, null, at));
        }

        if (parent is { } p)
        {
            started.ParentInstance = new ParentInstanceInfo { TaskScheduledId = p.TaskId, Name = p.Name, WorkflowInstance = new WorkflowInstance { InstanceId = p.Id } };
        }

        if (trace is { TraceParent.Length: > 0 })
        {
            started.ParentTraceContext = trace;
            var parts = trace.TraceParent.Split('-');
            if (parts.Length == 4 && parts[1].Length == 32 && parts[2].Length == 16)
            {
                // durabletask-go assigns the run span on the first execution and persists it here.
                instance.TraceId = parts[1];
                instance.StartSpanId = parts[2];
                started.OrchestrationSpanId = instance.RunSpanId;
            }
        }

        instance.StartTrace = started.ParentTraceContext;
        AddToInbox(instance, new HistoryEvent { EventId = -1, Timestamp = Now(), ExecutionStarted = started });
        return instance;
    }

    private bool HasLiveDescendant(EngineInstance instance) =>
        instance.Children.Any(id => _instances.TryGetValue(id, out var child) && child.Parent?.Id == instance.Id && (!child.IsTerminal || HasLiveDescendant(child)));

    /// <summary>actors.go AddNewWorkflowEvent: the event joins the inbox of a known instance; a terminal one ignores it.</summary>
    private void AddEvent(string instanceId, HistoryEvent e, string errorPrefix)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
        {
            throw new RpcException(new Status(StatusCode.Unknown, $"{errorPrefix}no such instance exists"));
        }

        if (!instance.IsTerminal)
        {
            AddToInbox(instance, e);
        }
    }

    private void TerminateCore(string instanceId, string? output, bool recurse, string errorPrefix)
    {
        AddEvent(instanceId, Terminated(output, recurse), errorPrefix);
        if (recurse && _instances.TryGetValue(instanceId, out var instance))
        {
            foreach (var child in instance.Children.Where(c => _instances.TryGetValue(c, out var i) && !i.IsTerminal).ToList())
            {
                TerminateCore(child, output, recurse, errorPrefix);
            }
        }
    }

    private int Purge(EngineInstance instance, bool recursive)
    {
        var count = 0;
        if (recursive)
        {
            foreach (var child in instance.Children.Where(_instances.ContainsKey).ToList())
            {
                count += Purge(_instances[child], recursive);
            }
        }

        _instances.Remove(instance.Id);
        _timers.RemoveAll(t => t.InstanceId == instance.Id);
        instance.Touch();
        return count + 1;
    }

    private static string? Reason(string? reason) => string.IsNullOrEmpty(reason) ? null : reason;

    private static GetInstanceResponse Describe(EngineInstance i, bool withPayloads)
    {
        // executor.go createGetInstanceResponse: payloads (input, output, custom status, failure) only on request.
        var state = new InstanceState
        {
            InstanceId = i.Id,
            Name = i.Name,
            Status = i.Status,
            CreatedTimestamp = Timestamp.FromDateTimeOffset(i.CreatedAt),
            LastUpdatedTimestamp = Timestamp.FromDateTimeOffset(i.LastUpdatedAt),
            ExecutionId = i.ExecutionId,
        };
        if (i.ScheduledStart is { } at)
        {
            state.ScheduledStartTimestamp = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc));
        }

        if (i.CompletedAt is { } done)
        {
            state.CompletedTimestamp = Timestamp.FromDateTimeOffset(done);
        }

        if (i.Parent is { } parent)
        {
            state.ParentInstanceId = parent.Id;
        }

        if (withPayloads)
        {
            state.Input = i.Input;
            state.Output = i.Output;
            state.CustomStatus = i.CustomStatus;
            state.FailureDetails = i.Failure;
        }

        return new GetInstanceResponse { Exists = true, State = state };
    }

    /// <summary>
    /// Long-polls until <paramref name="condition"/> holds for the instance (orchestrator/stream.go: the watch waits,
    /// also for an id not created yet); the call's deadline or cancellation ends it.
    /// </summary>
    private async Task<GetInstanceResponse> WaitForAsync(string instanceId, Func<EngineInstance, bool> condition, CancellationToken cancellationToken, bool withPayloads = false)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (!_instances.TryGetValue(instanceId, out var instance))
                {
                    changed = _created.Task;
                }
                else if (condition(instance))
                {
                    return Describe(instance, withPayloads);
                }
                else
                {
                    // Only this instance's changes wake the waiter (many waiters, many instances: no thundering herd).
                    changed = instance.Changed;
                }
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Wakes the waiters for ids that had no instance; called under the lock.</summary>
    private void SignalCreated()
    {
        var previous = _created;
        _created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private sealed record ParentRef(string Id, int TaskId, int Generation, string Name);

    private sealed class EngineInstance(string id, string name, string? input, int generation)
    {
        public string Id { get; } = id;

        public string Name { get; } = name;

        public string? Input { get; set; } = input;

        public int Generation { get; set; } = generation;

        public string ExecutionId { get; set; } = Guid.NewGuid().ToString("N");

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset LastUpdatedAt { get; private set; } = DateTimeOffset.UtcNow;

        public DateTimeOffset? CompletedAt { get; private set; }

        public DateTime? ScheduledStart { get; init; }

        /// <summary>No turn before this time (a scheduled start not reached yet).</summary>
        public DateTime? NotBefore { get; set; }

        public ParentRef? Parent { get; init; }

        public List<string> Children { get; } = [];

        public List<HistoryEvent> History { get; } = [];

        public List<HistoryEvent> Inbox { get; } = [];

        public List<HistoryEvent>? Batch { get; set; }

        public bool TurnPending { get; set; }

        /// <summary>An execution-started event is in history (runtimestate.go: PENDING until then).</summary>
        public bool Started { get; set; }

        public bool Suspended { get; set; }

        public bool ContinuedAsNew { get; set; }

        /// <summary>Why the run stalled (payload size); it runs nothing more.</summary>
        public string? Stalled { get; set; }

        public TraceContext? StartTrace { get; set; }

        public string? TraceId { get; set; }

        public string? StartSpanId { get; set; }

        public string RunSpanId { get; } = NewSpanId();

        public Dictionary<int, (string Name, string SpanId, DateTimeOffset Started)> ActivitySpans { get; } = [];

        /// <summary>A W3C trace context in this run's trace with <paramref name="spanId"/> as the parent; null when the run has no trace.</summary>
        public TraceContext? TraceUnder(string spanId) =>
            TraceId is null ? StartTrace : new TraceContext { TraceParent = $"00-{TraceId}-{spanId}-01", TraceState = StartTrace?.TraceState };

        public string? Output { get; private set; }

        public string? CustomStatus { get; set; }

        public TaskFailureDetails? Failure { get; private set; }

        private OrchestrationStatus? Completion { get; set; }

        /// <summary>runtimestate.go RuntimeStatus: completion first, then stalled, pending, suspended, running.</summary>
        public OrchestrationStatus Status =>
            Completion ?? (Stalled is not null ? OrchestrationStatus.Stalled
                : !Started ? OrchestrationStatus.Pending
                : Suspended ? OrchestrationStatus.Suspended
                : OrchestrationStatus.Running);

        public bool IsTerminal => Completion is not null;

        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes at this instance's next change (status, history, purge or replacement).</summary>
        public Task Changed => _changed.Task;

        public void Touch()
        {
            LastUpdatedAt = DateTimeOffset.UtcNow;
            NotifyChanged();
        }

        public void NotifyChanged()
        {
            var previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }

        public void Finish(CompleteWorkflowAction complete)
        {
            Completion = complete.Status is OrchestrationStatus.Completed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled
                ? complete.Status
                : OrchestrationStatus.Failed;
            CompletedAt = DateTimeOffset.UtcNow;
            Output = complete.Result;
            Failure = Completion == OrchestrationStatus.Failed ? complete.FailureDetails ?? new TaskFailureDetails { ErrorType = "Unknown" } : null;
            Touch();
        }

        public WorkflowInstanceView View() => new(Id, Name, StatusName(Status), CreatedAt, LastUpdatedAt, Input, Output, CustomStatus, Failure?.ErrorType, Failure?.ErrorMessage);
    }
}
