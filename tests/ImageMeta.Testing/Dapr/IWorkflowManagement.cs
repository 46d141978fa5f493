namespace ImageMeta.Testing.Dapr;

/// <summary>
/// What the Dapr workflow management API (HTTP <c>/v1.0/workflows/dapr/...</c>, gRPC <c>StartWorkflowBeta1</c>
/// and <c>GetWorkflowBeta1</c>) needs from the engine behind it. The ingest double plugs the Durable Task
/// engine double in here, so both APIs act on the same instances, as they do in daprd.
/// </summary>
public interface IWorkflowManagement
{
    /// <summary>Schedules a new instance (daprd's reuse rule applies: see <see cref="WorkflowAlreadyRunningException"/>).</summary>
    /// <exception cref="WorkflowAlreadyRunningException">An instance with that id exists and is not terminal.</exception>
    /// <remarks>The W3C <c>traceparent</c>/<c>tracestate</c> of the start call, when given, become the execution-started event's parent trace context.</remarks>
    Task StartAsync(string workflowName, string instanceId, string? inputJson, string? traceParent, string? traceState, CancellationToken cancellationToken);

    /// <summary>The instance's state, or null when there is none.</summary>
    Task<WorkflowInstanceView?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Adds an event-raised event to the instance's inbox (durabletask-go backend RaiseEvent).</summary>
    /// <exception cref="KeyNotFoundException">No such instance.</exception>
    Task RaiseEventAsync(string instanceId, string eventName, string? inputJson, CancellationToken cancellationToken);

    /// <summary>Adds an execution-terminated event; the worker then completes the instance as TERMINATED.</summary>
    /// <exception cref="KeyNotFoundException">No such instance.</exception>
    Task TerminateAsync(string instanceId, string? outputJson, CancellationToken cancellationToken);

    /// <summary>Deletes a terminal instance; false when there is none or it is still running.</summary>
    Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>
/// An instance as the management API reports it. <c>RuntimeStatus</c> is the upper-case status name
/// daprd reports: RUNNING, COMPLETED, FAILED, TERMINATED, PENDING, SUSPENDED.
/// </summary>
public sealed record WorkflowInstanceView(
    string InstanceId,
    string WorkflowName,
    string RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? InputJson,
    string? OutputJson,
    string? CustomStatus,
    string? FailureType,
    string? FailureMessage);

/// <summary>Raised when a start names an instance that is still running (daprd answers with a conflict).</summary>
public sealed class WorkflowAlreadyRunningException(string instanceId)
    : Exception($"an active workflow with ID '{instanceId}' already exists")
{
    public string InstanceId { get; } = instanceId;
}
