using Dapr.Workflow;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest;

/// <summary>The SDK's view of a workflow instance in the contracts' words.</summary>
public static class WorkflowStates
{
    /// <summary>The SDK's runtime status as daprd names it (the enum names match member for member).</summary>
    public static WorkflowRunStatus RunStatus(this WorkflowRuntimeStatus status) =>
        Enum.TryParse<WorkflowRunStatus>(status.ToString(), out var known) ? known : WorkflowRunStatus.Unknown;

    /// <summary>
    /// What <c>GET /images/{id}/status</c> and the other state answers report of an instance; while it runs, what it waits
    /// for (the image workflow's custom status, <see cref="ImageWorkflowProgress"/>).
    /// </summary>
    public static WorkflowStatusView View(WorkflowState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var status = state.RuntimeStatus.RunStatus();
        return new WorkflowStatusView(
            status,
            state.CreatedAt,
            state.LastUpdatedAt,
            state.FailureDetails?.ErrorType,
            state.FailureDetails?.ErrorMessage,
            status == WorkflowRunStatus.Running ? WaitingFor(state) : null);
    }

    private static WaitingFor? WaitingFor(WorkflowState state)
    {
        try
        {
            return state.ReadCustomStatusAs<ImageWorkflowProgress>()?.WaitingFor;
        }
        catch (System.Text.Json.JsonException)
        {
            // Another workflow's custom status, or none: nothing is awaited that this view can name.
            return null;
        }
    }
}
