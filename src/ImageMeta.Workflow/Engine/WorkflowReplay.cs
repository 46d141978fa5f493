using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using ImageMeta.Workflow.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageMeta.Workflow.Engine;

/// <summary>
/// One orchestrator work item: rebuilds the workflow's state by replaying its past events, applies the
/// new ones, and collects the actions the code took that history does not have yet. Every action gets the
/// next sequence number, counted from 0 over the whole run; history answers an action by that number
/// (taskScheduled/timerCreated carry it as their event id, taskCompleted/taskFailed/timerFired name it).
/// </summary>
internal sealed class WorkflowReplay : WorkflowContext
{
    private readonly WorkflowRequest _request;
    private readonly Func<string, IWorkflow?> _resolve;
    private readonly JsonSerializerOptions _json;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ReplayScheduler _scheduler = new();
    private readonly SortedDictionary<int, WorkflowAction> _unconfirmed = [];
    private readonly Dictionary<int, TaskCompletionSource<HistoryEvent>> _open = [];
    private readonly Dictionary<string, Queue<TaskCompletionSource<string?>>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Queue<string?>> _unclaimedEvents = new(StringComparer.OrdinalIgnoreCase);
    private int _nextSequence;
    private int _guidCounter;
    private string _name = string.Empty;
    private DateTime _now;
    private bool _replaying;
    private Task<object?>? _run;
    private WorkflowAction? _completion;
    private string? _customStatus;

    public WorkflowReplay(WorkflowRequest request, Func<string, IWorkflow?> resolve, JsonSerializerOptions json, ILoggerFactory? loggerFactory = null)
    {
        _request = request;
        _resolve = resolve;
        _json = json;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    public override string Name => _name;

    public override string InstanceId => _request.InstanceId;

    public override DateTime CurrentUtcDateTime => _now;

    public override bool IsReplaying => _replaying;

    /// <summary>The execution-started event, once seen (for tracing and names).</summary>
    public ExecutionStartedEvent? Started { get; private set; }

    /// <summary>Applies all events and returns the answer for the sidecar.</summary>
    public WorkflowResponse Execute(string completionToken)
    {
        try
        {
            _replaying = true;
            foreach (var e in _request.PastEvents)
            {
                Apply(e);
                if (_completion is not null)
                {
                    break;
                }
            }

            _replaying = false;
            foreach (var e in _request.NewEvents)
            {
                if (_completion is not null)
                {
                    break;
                }

                Apply(e);
            }
        }
        catch (NonDeterministicWorkflowException e)
        {
            _unconfirmed.Clear();
            _completion = Fail(new TaskFailureDetails { ErrorType = typeof(NonDeterministicWorkflowException).FullName, ErrorMessage = e.Message });
        }

        var response = new WorkflowResponse { InstanceId = _request.InstanceId, CompletionToken = completionToken };
        response.Actions.AddRange(_unconfirmed.Values);
        if (_completion is not null)
        {
            response.Actions.Add(_completion);
        }

        if (_customStatus is not null)
        {
            response.CustomStatus = _customStatus;
        }

        return response;
    }

    private void Apply(HistoryEvent e)
    {
        switch (e.EventTypeCase)
        {
            case HistoryEvent.EventTypeOneofCase.OrchestratorStarted:
                _now = e.Timestamp?.ToDateTime() ?? _now;
                break;
            case HistoryEvent.EventTypeOneofCase.ExecutionStarted:
                Start(e.ExecutionStarted);
                break;
            case HistoryEvent.EventTypeOneofCase.TaskScheduled:
                Confirm(e.EventId, WorkflowAction.ActionTypeOneofCase.ScheduleTask, e.TaskScheduled.Name);
                break;
            case HistoryEvent.EventTypeOneofCase.TimerCreated:
                Confirm(e.EventId, WorkflowAction.ActionTypeOneofCase.CreateTimer, name: null);
                break;
            case HistoryEvent.EventTypeOneofCase.TaskCompleted:
                Resolve(e.TaskCompleted.TaskScheduledId, e);
                break;
            case HistoryEvent.EventTypeOneofCase.TaskFailed:
                Resolve(e.TaskFailed.TaskScheduledId, e);
                break;
            case HistoryEvent.EventTypeOneofCase.TimerFired:
                Resolve(e.TimerFired.TimerId, e);
                break;
            case HistoryEvent.EventTypeOneofCase.EventRaised:
                Deliver(e.EventRaised.Name, e.EventRaised.Input);
                break;
            case HistoryEvent.EventTypeOneofCase.ExecutionTerminated:
                _unconfirmed.Clear();
                _completion = new WorkflowAction
                {
                    Id = _nextSequence++,
                    CompleteWorkflow = new CompleteWorkflowAction { Status = OrchestrationStatus.Terminated, Result = e.ExecutionTerminated.Input },
                };
                break;
            default:
                // orchestratorCompleted, eventSent, suspension markers and events of newer sidecars change no
                // state the code can observe.
                break;
        }
    }

    private void Start(ExecutionStartedEvent started)
    {
        Started = started;
        _name = started.Name;
        if (_resolve(started.Name) is not { } workflow)
        {
            _completion = Fail(new TaskFailureDetails
            {
                ErrorType = "WorkflowNotRegistered",
                ErrorMessage = $"No workflow named '{started.Name}' is registered with this worker.",
                IsNonRetriable = true,
            });
            return;
        }

        _run = Task.Factory.StartNew(
            () => workflow.RunAsync(this, Deserialize(started.Input, workflow.InputType)),
            CancellationToken.None,
            TaskCreationOptions.None,
            _scheduler).Unwrap();
        Advance();
    }

    /// <summary>Lets the code run as far as history allows, then records its outcome if it finished.</summary>
    private void Advance()
    {
        _scheduler.RunUntilBlocked();
        if (_run is not { IsCompleted: true } run || _completion is not null)
        {
            return;
        }

        if (run.IsCompletedSuccessfully)
        {
            _completion = new WorkflowAction
            {
                Id = _nextSequence++,
                CompleteWorkflow = new CompleteWorkflowAction
                {
                    Status = OrchestrationStatus.Completed,
                    Result = Serialize(run.Result),
                },
            };
            return;
        }

        var error = run.Exception?.InnerException ?? new TaskCanceledException("The workflow's code was cancelled.");
        if (error is NonDeterministicWorkflowException nonDeterministic)
        {
            throw nonDeterministic;
        }

        _completion = Fail(WorkflowTaskFailureDetails.ToWire(error));
    }

    private WorkflowAction Fail(TaskFailureDetails details) => new()
    {
        Id = _nextSequence++,
        CompleteWorkflow = new CompleteWorkflowAction { Status = OrchestrationStatus.Failed, FailureDetails = details },
    };

    private void Confirm(int sequence, WorkflowAction.ActionTypeOneofCase kind, string? name)
    {
        if (!_unconfirmed.TryGetValue(sequence, out var action) || action.ActionTypeCase != kind
            || (kind == WorkflowAction.ActionTypeOneofCase.ScheduleTask && action.ScheduleTask.Name != name))
        {
            var recorded = kind == WorkflowAction.ActionTypeOneofCase.ScheduleTask ? $"activity '{name}'" : "a timer";
            var asked = action switch
            {
                null => "nothing",
                { ActionTypeCase: WorkflowAction.ActionTypeOneofCase.ScheduleTask } => $"activity '{action.ScheduleTask.Name}'",
                _ => "a timer",
            };
            throw new NonDeterministicWorkflowException(
                $"Non-deterministic workflow '{_name}' (instance '{InstanceId}'): history has {recorded} as action {sequence}, but the code now asks for {asked}. "
                + "Workflow code must make the same calls in the same order on every replay; deploy changed workflows under a new name.");
        }

        _unconfirmed.Remove(sequence);
    }

    private void Resolve(int sequence, HistoryEvent outcome)
    {
        // An answer to an action the code no longer waits for (a timeout's timer after the event came) is ignored.
        if (_open.Remove(sequence, out var waiter))
        {
            waiter.SetResult(outcome);
            Advance();
        }
    }

    private void Deliver(string name, string? input)
    {
        if (_eventWaiters.TryGetValue(name, out var waiters) && waiters.TryDequeue(out var waiter))
        {
            waiter.SetResult(input);
            Advance();
            return;
        }

        if (!_unclaimedEvents.TryGetValue(name, out var queue))
        {
            _unclaimedEvents[name] = queue = new Queue<string?>();
        }

        queue.Enqueue(input);
    }

    private Task<HistoryEvent> Schedule(WorkflowAction action)
    {
        action.Id = _nextSequence++;
        _unconfirmed.Add(action.Id, action);
        var outcome = new TaskCompletionSource<HistoryEvent>();
        _open.Add(action.Id, outcome);
        return outcome.Task;
    }

    public override async Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var policy = options?.RetryPolicy;
        var firstAttemptAt = CurrentUtcDateTime;
        var serializedInput = Serialize(input);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await Schedule(new WorkflowAction
            {
                ScheduleTask = new ScheduleTaskAction { Name = name, Input = serializedInput, TaskExecutionId = NewGuid().ToString() },
            });
            if (outcome.EventTypeCase == HistoryEvent.EventTypeOneofCase.TaskCompleted)
            {
                return (TResult)Deserialize(outcome.TaskCompleted.Result, typeof(TResult))!;
            }

            var details = WorkflowTaskFailureDetails.From(outcome.TaskFailed.FailureDetails);
            var retry = policy is not null && !details.IsNonRetriable && attempt < policy.MaxNumberOfAttempts;
            var delay = retry ? policy!.DelayAfter(attempt) : TimeSpan.Zero;
            if (retry && policy!.RetryTimeout is { } limit && CurrentUtcDateTime + delay - firstAttemptAt > limit)
            {
                retry = false;
            }

            if (!retry)
            {
                var attempts = attempt == 1 ? "1 attempt" : $"{attempt} attempts";
                throw new WorkflowTaskFailedException(
                    $"Activity '{name}' failed after {attempts}: {details.ErrorType}: {details.ErrorMessage}", details);
            }

            await CreateTimer(CurrentUtcDateTime + delay);
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken = default)
    {
        var utc = fireAt.Kind == DateTimeKind.Utc ? fireAt : DateTime.SpecifyKind(fireAt.ToUniversalTime(), DateTimeKind.Utc);
        return Schedule(new WorkflowAction { CreateTimer = new CreateTimerAction { FireAt = Timestamp.FromDateTime(utc) } });
    }

    public override async Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        if (_unclaimedEvents.TryGetValue(eventName, out var queue) && queue.TryDequeue(out var early))
        {
            return (T)Deserialize(early, typeof(T))!;
        }

        var arrival = new TaskCompletionSource<string?>();
        if (!_eventWaiters.TryGetValue(eventName, out var waiters))
        {
            _eventWaiters[eventName] = waiters = new Queue<TaskCompletionSource<string?>>();
        }

        waiters.Enqueue(arrival);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            var timer = CreateTimer(CurrentUtcDateTime + timeout);
            var first = await Task.WhenAny(arrival.Task, timer);
            if (first != arrival.Task)
            {
                _eventWaiters[eventName] = new Queue<TaskCompletionSource<string?>>(waiters.Where(w => w != arrival));
                throw new TaskCanceledException($"No '{eventName}' event arrived within {timeout}.");
            }
        }

        return (T)Deserialize(await arrival.Task, typeof(T))!;
    }

    /// <summary>A name-based GUID from the instance id, the step's time and a counter: equal on every replay.</summary>
    public override Guid NewGuid()
    {
        var seed = $"{InstanceId}/{_now.Ticks}/{_guidCounter++}";
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed), hash);
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    public override void SetCustomStatus(object? customStatus) => _customStatus = Serialize(customStatus);

    public override ILogger CreateReplaySafeLogger(ILogger logger) => new ReplaySafeLogger(logger, this);

    public override ILogger CreateReplaySafeLogger(string categoryName) => CreateReplaySafeLogger(_loggerFactory.CreateLogger(categoryName));

    private string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), _json);

    private object? Deserialize(string? json, System.Type type) =>
        string.IsNullOrEmpty(json) ? (type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null) : JsonSerializer.Deserialize(json, type, _json);

    /// <summary>Writes only when the workflow is not replaying.</summary>
    private sealed class ReplaySafeLogger(ILogger inner, WorkflowReplay workflow) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !workflow.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!workflow.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
