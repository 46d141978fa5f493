using Microsoft.Extensions.Logging;

namespace ImageMeta.Workflow;

/// <summary>
/// What a running workflow may do: schedule activities and timers, wait for events, read the replay-safe
/// clock. Every call is recorded in the instance's history and replayed on the next step, which is why
/// workflow code must reach the outside world only through this context. Same members as
/// <c>Dapr.Workflow.WorkflowContext</c>.
/// </summary>
public abstract class WorkflowContext
{
    /// <summary>The workflow's registered name.</summary>
    public abstract string Name { get; }

    /// <summary>The instance id the workflow was started with.</summary>
    public abstract string InstanceId { get; }

    /// <summary>The time of the current step, from history: the same value on every replay.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>True while the code re-runs steps whose effects are already in history.</summary>
    public abstract bool IsReplaying { get; }

    /// <summary>Schedules an activity and returns its result, retrying per <paramref name="options"/>.</summary>
    /// <exception cref="WorkflowTaskFailedException">The activity failed and no retry is left.</exception>
    public abstract Task<TResult> CallActivityAsync<TResult>(string name, object? input = null, WorkflowTaskOptions? options = null);

    /// <summary>Schedules an activity whose result is not needed.</summary>
    public virtual Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    /// <summary>A durable timer: completes at <paramref name="fireAt"/> (UTC), even across process restarts.</summary>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken = default);

    /// <summary>A durable timer that fires <paramref name="delay"/> after <see cref="CurrentUtcDateTime"/>.</summary>
    public virtual Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default) =>
        CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    /// <summary>Waits for an event raised on this instance (names compare case-insensitively).</summary>
    /// <exception cref="TaskCanceledException">No such event arrived within <paramref name="timeout"/>.</exception>
    public abstract Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout);

    /// <summary>Waits for an event raised on this instance with no time limit.</summary>
    public virtual Task<T> WaitForExternalEventAsync<T>(string eventName) => WaitForExternalEventAsync<T>(eventName, Timeout.InfiniteTimeSpan);

    /// <summary>A GUID that is the same on every replay of this step.</summary>
    public abstract Guid NewGuid();

    /// <summary>Sets the status text readers of the instance see (serialized as JSON).</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>A logger that stays silent while the workflow replays, so each message is written once.</summary>
    public abstract ILogger CreateReplaySafeLogger(ILogger logger);

    /// <summary>A replay-safe logger for a category.</summary>
    public abstract ILogger CreateReplaySafeLogger(string categoryName);
}
