using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Workflow.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Testing.Workflow;

/// <summary>
/// The workflow half of the sidecar double: an in-process <c>TaskHubSidecarService</c> that keeps each
/// instance's history and drives a connected worker the way daprd's engine (durabletask-go's backend)
/// does. Test code only. Behaviour and where it comes from:
/// <list type="bullet">
/// <item>Work items go to whichever worker holds a <c>GetWorkItems</c> stream; items sent on a stream that
/// breaks before they are answered are sent again (durabletask-go backend/executor.go: pending work items
/// are abandoned and retried when the stream ends; dapr/dapr wfengine re-runs them from actor reminders).</item>
/// <item>An orchestrator item carries the instance's history as past events and an orchestratorStarted event
/// followed by everything that arrived since as new events (docs.dapr.io "Workflow protocol"; durabletask-go
/// backend/runtimestate.go). At most one orchestrator item per instance is outstanding.</item>
/// <item>Actions: scheduleTask becomes a taskScheduled event whose event id is the action id and an activity
/// work item with that task id; createTimer becomes timerCreated and, once due, timerFired naming the timer;
/// completeOrchestration becomes executionCompleted and sets the runtime status (runtimestate.go ApplyActions).</item>
/// <item>Answers are matched by completion token; a token that is not outstanding (a stale or repeated answer)
/// is refused, so no step is applied twice (durabletask-go api: "unknown instance ID/task ID combo").</item>
/// <item>Starting an id whose instance is not terminal is refused; a terminal one is replaced by a fresh run
/// (dapr/docs PRs 5103, 5244, 5306: the Dapr 1.18 reuse rule). Raise, terminate and purge follow the backend
/// (purge only of terminal instances).</item>
/// </list>
/// Tracing follows durabletask-go's backend as daprd runs it: a run span (<c>orchestration||{name}</c>) whose id is
/// kept in the execution-started event (<c>orchestrationSpanID</c>) and parents every taskScheduled, and an
/// <c>activity||{name}</c> span per task whose context is the activity request's parent trace context; both
/// go to the sidecar's Zipkin endpoint when one is configured (backend/orchestration.go, backend/activity.go,
/// helpers/tracing.go).
/// History lives in this object, not in the worker's process, so it survives worker restarts as daprd's
/// state store would.
/// </summary>
public sealed class WorkflowEngineDouble : TaskHubSidecarService.TaskHubSidecarServiceBase, IWorkflowEngineDouble
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, EngineInstance> _instances = new(StringComparer.Ordinal);
    private readonly Channel<Pending> _ready = Channel.CreateUnbounded<Pending>();
    private readonly Dictionary<string, Outstanding> _outstanding = new(StringComparer.Ordinal);
    private readonly Dictionary<int, CancellationTokenSource> _streams = [];
    private readonly List<string> _started = [];
    private readonly List<(string InstanceId, int TimerId, DateTime FireAt)> _timers = [];
    private readonly Dictionary<string, int> _activityDispatches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _timerLoop;
    private TaskCompletionSource _workerConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextStreamId;
    private int _rejectedAnswers;
    private int _acceptedAnswers;
    private string? _zipkin;
    private string _serviceName = "ingest";
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

    // ---- Durable Task sidecar service ----

    public override Task<Empty> Hello(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    public override async Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
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

    public override Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (!_outstanding.Remove(request.CompletionToken, out var sent) || sent.TaskId is not null || sent.InstanceId != request.InstanceId
                || !_instances.TryGetValue(request.InstanceId, out var instance) || instance.Batch is null)
            {
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

    // ---- management (the Dapr workflow API of the ingest sidecar) ----

    public Task StartAsync(string workflowName, string instanceId, string? inputJson, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(instanceId, out var existing))
            {
                if (!existing.IsTerminal)
                {
                    throw new WorkflowAlreadyRunningException(instanceId);
                }

                // Replaced: answers still on their way for the old run must not land in the new one.
                _timers.RemoveAll(t => t.InstanceId == instanceId);
            }

            var instance = new EngineInstance(instanceId, workflowName, inputJson, (existing?.Generation ?? 0) + 1);
            _instances[instanceId] = instance;
            _started.Add(instanceId);
            var started = new ExecutionStartedEvent
            {
                Name = workflowName,
                Input = inputJson,
                Instance = new WorkflowInstance { InstanceId = instanceId, ExecutionId = Guid.NewGuid().ToString("N") },
            };
            if (traceParent is not null)
            {
                started.ParentTraceContext = new TraceContext { TraceParent = traceParent, TraceState = traceState };
                var parts = traceParent.Split('-');
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
            var instance = _instances.TryGetValue(instanceId, out var i) ? i : throw new KeyNotFoundException($"no such instance exists: {instanceId}");
            if (!instance.IsTerminal)
            {
                AddToInbox(instance, new HistoryEvent { EventId = -1, Timestamp = Now(), EventRaised = new EventRaisedEvent { Name = eventName, Input = inputJson } });
            }
        }

        return Task.CompletedTask;
    }

    public Task TerminateAsync(string instanceId, string? outputJson, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var instance = _instances.TryGetValue(instanceId, out var i) ? i : throw new KeyNotFoundException($"no such instance exists: {instanceId}");
            if (!instance.IsTerminal)
            {
                AddToInbox(instance, new HistoryEvent { EventId = -1, Timestamp = Now(), ExecutionTerminated = new ExecutionTerminatedEvent { Input = outputJson } });
            }
        }

        return Task.CompletedTask;
    }

    public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(instanceId, out var instance) && instance.IsTerminal)
            {
                _instances.Remove(instanceId);
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
        while (true)
        {
            lock (_gate)
            {
                if (_instances.TryGetValue(instanceId, out var i) && i.IsTerminal)
                {
                    return i.View()!;
                }
            }

            try
            {
                await Task.Delay(20, limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Instance did not finish within {timeout}: {Describe(instanceId)}");
            }
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
            return $"{instanceId} ({i.Name}): {i.Status}, inbox {i.Inbox.Count}, outstanding turn {i.TurnPending}, failure {i.Failure?.ErrorMessage}, history [{events}]";
        }
    }

    // ---- the engine ----

    private void AddToInbox(EngineInstance instance, HistoryEvent e)
    {
        instance.Inbox.Add(e);
        instance.LastUpdatedAt = DateTimeOffset.UtcNow;
        if (!instance.TurnPending)
        {
            instance.TurnPending = true;
            _ready.Writer.TryWrite(new Pending(instance.Id, instance.Generation, null));
        }
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
            _outstanding[token] = new Outstanding(pending.InstanceId, pending.Generation, activity.TaskId, streamId, pending);
            _activityDispatches[activity.Name] = _activityDispatches.GetValueOrDefault(activity.Name) + 1;
            return new WorkItem { ActivityRequest = activity.Clone(), CompletionToken = token };
        }

        if (instance.IsTerminal)
        {
            instance.TurnPending = false;
            return null;
        }

        // One episode: orchestratorStarted (the replay clock) then what arrived since the last one.
        instance.Batch = [new HistoryEvent { EventId = -1, Timestamp = Now(), OrchestratorStarted = new OrchestratorStartedEvent() }, .. instance.Inbox];
        instance.Inbox.Clear();
        _outstanding[token] = new Outstanding(pending.InstanceId, pending.Generation, null, streamId, pending);
        var request = new WorkflowRequest { InstanceId = instance.Id, ExecutionId = instance.ExecutionId };
        request.PastEvents.AddRange(instance.History.Select(e => e.Clone()));
        request.NewEvents.AddRange(instance.Batch.Select(e => e.Clone()));
        return new WorkItem { WorkflowRequest = request, CompletionToken = token };
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

    private void ApplyActions(EngineInstance instance, WorkflowResponse response)
    {
        instance.History.AddRange(instance.Batch!);
        instance.Batch = null;
        if (instance.Status == "PENDING")
        {
            instance.Status = "RUNNING";
        }

        foreach (var action in response.Actions)
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
                    instance.History.Add(new HistoryEvent { EventId = action.Id, Timestamp = Now(), TimerCreated = new TimerCreatedEvent { FireAt = action.CreateTimer.FireAt } });
                    _timers.Add((instance.Id, action.Id, action.CreateTimer.FireAt.ToDateTime()));
                    break;
                case WorkflowAction.ActionTypeOneofCase.CompleteWorkflow:
                    var complete = action.CompleteWorkflow;
                    instance.History.Add(new HistoryEvent
                    {
                        EventId = -1,
                        Timestamp = Now(),
                        ExecutionCompleted = new ExecutionCompletedEvent { Status = complete.Status, Result = complete.Result, FailureDetails = complete.FailureDetails },
                    });
                    instance.Complete(complete);
                    if (instance.TraceId is { } traceId)
                    {
                        ExportSpan($"orchestration||{instance.Name}", traceId, instance.RunSpanId, instance.StartSpanId, instance.CreatedAt);
                    }

                    break;
                default:
                    instance.Complete(new CompleteWorkflowAction
                    {
                        Status = OrchestrationStatus.Failed,
                        FailureDetails = new TaskFailureDetails { ErrorType = "UnsupportedAction", ErrorMessage = $"unsupported action type {action.ActionTypeCase}" },
                    });
                    break;
            }
        }

        instance.History.Add(new HistoryEvent { EventId = -1, Timestamp = Now(), OrchestratorCompleted = new OrchestratorCompletedEvent() });
        if (response.CustomStatus is { } custom)
        {
            instance.CustomStatus = custom;
        }

        instance.LastUpdatedAt = DateTimeOffset.UtcNow;
        instance.TurnPending = false;
        if (instance.IsTerminal)
        {
            _timers.RemoveAll(t => t.InstanceId == instance.Id);
            instance.Inbox.Clear();
        }
        else if (instance.Inbox.Count > 0)
        {
            instance.TurnPending = true;
            _ready.Writer.TryWrite(new Pending(instance.Id, instance.Generation, null));
        }
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
                        if (_instances.TryGetValue(due.InstanceId, out var instance) && !instance.IsTerminal)
                        {
                            AddToInbox(instance, new HistoryEvent
                            {
                                EventId = -1,
                                Timestamp = Now(),
                                TimerFired = new TimerFiredEvent { TimerId = due.TimerId, FireAt = Timestamp.FromDateTime(due.FireAt) },
                            });
                        }
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

    private sealed class EngineInstance(string id, string name, string? input, int generation)
    {
        public string Id { get; } = id;

        public string Name { get; } = name;

        public string? Input { get; } = input;

        public int Generation { get; } = generation;

        public string ExecutionId { get; } = Guid.NewGuid().ToString("N");

        public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset LastUpdatedAt { get; set; } = DateTimeOffset.UtcNow;

        public string Status { get; set; } = "PENDING";

        public List<HistoryEvent> History { get; } = [];

        public List<HistoryEvent> Inbox { get; } = [];

        public List<HistoryEvent>? Batch { get; set; }

        public bool TurnPending { get; set; }

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

        public bool IsTerminal => Status is "COMPLETED" or "FAILED" or "TERMINATED";

        public void Complete(CompleteWorkflowAction complete)
        {
            Status = complete.Status switch
            {
                OrchestrationStatus.Completed => "COMPLETED",
                OrchestrationStatus.Terminated => "TERMINATED",
                _ => "FAILED",
            };
            Output = complete.Result;
            Failure = complete.Status == OrchestrationStatus.Failed ? complete.FailureDetails ?? new TaskFailureDetails { ErrorType = "Unknown" } : null;
        }

        public WorkflowInstanceView View() => new(Id, Name, Status, CreatedAt, LastUpdatedAt, Input, Output, CustomStatus, Failure?.ErrorType, Failure?.ErrorMessage);
    }
}
