using System.Text.Json.Serialization;

namespace ImageMeta.Contracts;

/// <summary>
/// A workflow instance's runtime status as daprd's workflow API names it (<c>"RUNNING"</c>, <c>"CONTINUED_AS_NEW"</c>, …;
/// dapr/dapr pkg/api/universal/workflow.go), so every service that reports one uses the same vocabulary.
/// </summary>
[JsonConverter(typeof(UpperSnakeCaseEnumConverter<WorkflowRunStatus>))]
public enum WorkflowRunStatus
{
    Unknown,
    Pending,
    Running,
    Completed,
    ContinuedAsNew,
    Failed,
    Canceled,
    Terminated,
    Suspended,
    Stalled,
}

/// <summary>What the statuses mean for callers.</summary>
public static class WorkflowRunStatuses
{
    /// <summary>Whether the instance has ended (completed, failed, canceled or terminated): daprd replaces such an instance when its id is started again.</summary>
    public static bool IsTerminal(this WorkflowRunStatus status) =>
        status is WorkflowRunStatus.Completed or WorkflowRunStatus.Failed or WorkflowRunStatus.Canceled or WorkflowRunStatus.Terminated;
}
