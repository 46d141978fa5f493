using Dapr.Workflow;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>The SDK's view of a workflow instance in the contracts' words.</summary>
public static class WorkflowStates
{
    /// <summary>The SDK's runtime status as daprd names it (the enum names match member for member).</summary>
    public static WorkflowRunStatus RunStatus(this WorkflowRuntimeStatus status) =>
        Enum.TryParse<WorkflowRunStatus>(status.ToString(), out var known) ? known : WorkflowRunStatus.Unknown;

    /// <summary>What <c>GET /images/{id}/status</c> and the other state answers report of an instance.</summary>
    public static WorkflowStatusView View(WorkflowState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new WorkflowStatusView(
            state.RuntimeStatus.RunStatus(),
            state.CreatedAt,
            state.LastUpdatedAt,
            state.FailureDetails?.ErrorType,
            state.FailureDetails?.ErrorMessage);
    }
}
