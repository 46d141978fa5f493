namespace ImageMeta.Workflow;

/// <summary>Options for one scheduled activity: the retry policy, if any. Same shape as Dapr.Workflow's.</summary>
public record WorkflowTaskOptions(WorkflowRetryPolicy? RetryPolicy = null);

/// <summary>
/// How a failed activity is retried. The workflow itself waits between attempts with durable timers, so
/// a retry schedule survives a process restart. Failures an activity marks non-retriable are never retried.
/// Same shape as <c>Dapr.Workflow.WorkflowRetryPolicy</c>.
/// </summary>
public sealed class WorkflowRetryPolicy
{
    /// <param name="maxNumberOfAttempts">Attempts in total, the first one included (at least 1).</param>
    /// <param name="firstRetryInterval">Wait before the second attempt (positive).</param>
    /// <param name="backoffCoefficient">Factor applied to the wait after each retry (at least 1).</param>
    /// <param name="maxRetryInterval">Cap on a single wait; unbounded when null.</param>
    /// <param name="retryTimeout">No new attempt starts once this much time has passed since the first; unbounded when null.</param>
    public WorkflowRetryPolicy(
        int maxNumberOfAttempts,
        TimeSpan firstRetryInterval,
        double backoffCoefficient = 1.0,
        TimeSpan? maxRetryInterval = null,
        TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        if (maxRetryInterval is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, firstRetryInterval, nameof(maxRetryInterval));
        }

        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval;
        RetryTimeout = retryTimeout;
    }

    public int MaxNumberOfAttempts { get; }

    public TimeSpan FirstRetryInterval { get; }

    public double BackoffCoefficient { get; }

    public TimeSpan? MaxRetryInterval { get; }

    public TimeSpan? RetryTimeout { get; }

    /// <summary>The wait after failed attempt number <paramref name="failedAttempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int failedAttempt)
    {
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, failedAttempt - 1);
        var cap = (MaxRetryInterval ?? TimeSpan.MaxValue).Ticks;
        return ticks >= cap ? TimeSpan.FromTicks(cap) : TimeSpan.FromTicks((long)ticks);
    }
}
