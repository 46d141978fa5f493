namespace ImageMeta.Workflow;

/// <summary>
/// A workflow (Durable Task orchestration): deterministic code that schedules activities and timers
/// through its <see cref="WorkflowContext"/>. It is replayed from history on every step, so it must not
/// read clocks, random numbers, the network or anything but the context; use the context's
/// <see cref="WorkflowContext.CurrentUtcDateTime"/> and <see cref="WorkflowContext.NewGuid"/> instead.
/// Same shape as <c>Dapr.Workflow.Workflow&lt;TInput, TOutput&gt;</c>.
/// </summary>
public abstract class Workflow<TInput, TOutput> : IWorkflow
{
    Type IWorkflow.InputType => typeof(TInput);

    /// <summary>The workflow's logic. Never use <c>ConfigureAwait(false)</c> here: continuations must stay on the replay scheduler.</summary>
    public abstract Task<TOutput> RunAsync(WorkflowContext context, TInput input);

    async Task<object?> IWorkflow.RunAsync(WorkflowContext context, object? input) => await RunAsync(context, (TInput)input!);
}

/// <summary>The untyped view of a workflow the replay engine runs; implement it through <see cref="Workflow{TInput, TOutput}"/>.</summary>
public interface IWorkflow
{
    Type InputType { get; }

    Task<object?> RunAsync(WorkflowContext context, object? input);
}
