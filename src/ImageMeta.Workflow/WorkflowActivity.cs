namespace ImageMeta.Workflow;

/// <summary>
/// A workflow activity: ordinary code (I/O allowed) that a workflow schedules. It is created from the
/// dependency-injection container in its own scope for every execution, runs at least once, and should
/// be idempotent. Same shape as <c>Dapr.Workflow.WorkflowActivity&lt;TInput, TOutput&gt;</c>.
/// </summary>
public abstract class WorkflowActivity<TInput, TOutput> : IWorkflowActivity
{
    Type IWorkflowActivity.InputType => typeof(TInput);

    public abstract Task<TOutput> RunAsync(WorkflowActivityContext context, TInput input);

    async Task<object?> IWorkflowActivity.RunAsync(WorkflowActivityContext context, object? input) => await RunAsync(context, (TInput)input!);
}

/// <summary>The untyped view of an activity the worker runs; implement it through <see cref="WorkflowActivity{TInput, TOutput}"/>.</summary>
public interface IWorkflowActivity
{
    Type InputType { get; }

    Task<object?> RunAsync(WorkflowActivityContext context, object? input);
}

/// <summary>What an activity execution knows about itself: its name and the workflow instance that scheduled it.</summary>
public sealed class WorkflowActivityContext
{
    internal WorkflowActivityContext(string name, string instanceId, int taskId, string taskExecutionId, CancellationToken cancellationToken)
    {
        Name = name;
        InstanceId = instanceId;
        TaskId = taskId;
        TaskExecutionId = taskExecutionId;
        CancellationToken = cancellationToken;
    }

    /// <summary>The activity's registered name.</summary>
    public string Name { get; }

    /// <summary>The id of the workflow instance that scheduled this activity.</summary>
    public string InstanceId { get; }

    /// <summary>The scheduling action's sequence number within the instance.</summary>
    public int TaskId { get; }

    /// <summary>A unique id per attempt (a retry gets a new one); empty when the sidecar sends none.</summary>
    public string TaskExecutionId { get; }

    /// <summary>Signalled when the host is shutting down; the sidecar re-delivers an unanswered activity.</summary>
    public CancellationToken CancellationToken { get; }
}
