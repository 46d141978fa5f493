using System.Text.Json;
using Dapr.Client.Autogen.Grpc.v1;

namespace ImageMeta.Workflow;

/// <summary>The runtime states daprd reports for an instance.</summary>
public enum WorkflowRuntimeStatus
{
    Unknown = -1,
    Running = 0,
    Completed = 1,
    ContinuedAsNew = 2,
    Failed = 3,
    Canceled = 4,
    Terminated = 5,
    Pending = 6,
    Suspended = 7,
    Stalled = 8,
}

/// <summary>A snapshot of one instance as the Dapr workflow API reports it. Same members as Dapr.Workflow's <c>WorkflowState</c>.</summary>
public sealed class WorkflowState
{
    private readonly JsonSerializerOptions _json;
    private readonly string? _input;
    private readonly string? _output;
    private readonly string? _customStatus;

    internal WorkflowState(GetWorkflowResponse response, bool withPayloads, JsonSerializerOptions json)
    {
        _json = json;
        InstanceId = response.InstanceId;
        Name = response.WorkflowName;
        RuntimeStatus = ParseStatus(response.RuntimeStatus);
        CreatedAt = response.CreatedAt?.ToDateTimeOffset() ?? default;
        LastUpdatedAt = response.LastUpdatedAt?.ToDateTimeOffset() ?? default;
        var properties = response.Properties;
        if (withPayloads)
        {
            _input = properties.GetValueOrDefault("dapr.workflow.input");
            _output = properties.GetValueOrDefault("dapr.workflow.output");
        }

        _customStatus = properties.GetValueOrDefault("dapr.workflow.custom_status");
        if (properties.TryGetValue("dapr.workflow.failure.error_type", out var errorType))
        {
            FailureDetails = new WorkflowTaskFailureDetails(errorType, properties.GetValueOrDefault("dapr.workflow.failure.error_message") ?? string.Empty);
        }
    }

    public string InstanceId { get; }

    public string Name { get; }

    public WorkflowRuntimeStatus RuntimeStatus { get; }

    public bool IsWorkflowRunning => RuntimeStatus == WorkflowRuntimeStatus.Running;

    /// <summary>True in a terminal state: completed, failed or terminated.</summary>
    public bool IsWorkflowCompleted => RuntimeStatus is WorkflowRuntimeStatus.Completed or WorkflowRuntimeStatus.Failed or WorkflowRuntimeStatus.Terminated;

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset LastUpdatedAt { get; }

    /// <summary>Why the instance failed, when it did.</summary>
    public WorkflowTaskFailureDetails? FailureDetails { get; }

    public T? ReadInputAs<T>() => Read<T>(_input);

    public T? ReadOutputAs<T>() => Read<T>(_output);

    public T? ReadCustomStatusAs<T>() => Read<T>(_customStatus);

    private T? Read<T>(string? json) => string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json, _json);

    /// <summary>daprd reports the status by name (RUNNING, COMPLETED, ...), older runtimes with a prefix.</summary>
    internal static WorkflowRuntimeStatus ParseStatus(string status)
    {
        var name = status.Replace("ORCHESTRATION_STATUS_", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<WorkflowRuntimeStatus>(name, ignoreCase: true, out var parsed) ? parsed : WorkflowRuntimeStatus.Unknown;
    }
}
