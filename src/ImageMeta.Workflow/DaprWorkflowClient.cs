using System.Text.Json;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using DaprGrpc = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace ImageMeta.Workflow;

/// <summary>
/// Starts, reads, signals, terminates and purges workflow instances through the Dapr workflow API
/// (gRPC <c>StartWorkflowBeta1</c> and friends, workflow component <c>dapr</c>) on the app's sidecar.
/// Member names follow <c>Dapr.Workflow.DaprWorkflowClient</c>.
/// </summary>
public sealed class DaprWorkflowClient
{
    /// <summary>The workflow component name daprd registers for its built-in engine.</summary>
    public const string WorkflowComponent = "dapr";

    private readonly DaprGrpc.DaprClient _dapr;
    private readonly JsonSerializerOptions _json;

    public DaprWorkflowClient(SidecarConnection connection, IOptions<WorkflowRuntimeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _dapr = new DaprGrpc.DaprClient(connection.Invoker);
        _json = options.Value.JsonSerializerOptions;
    }

    /// <summary>Schedules a new instance and returns its id (a random one when <paramref name="instanceId"/> is null).</summary>
    /// <exception cref="WorkflowInstanceAlreadyExistsException">An instance with that id is still running.</exception>
    public async Task<string> ScheduleNewWorkflowAsync(string name, string? instanceId = null, object? input = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var request = new StartWorkflowRequest
        {
            WorkflowComponent = WorkflowComponent,
            WorkflowName = name,
            InstanceId = instanceId ?? Guid.NewGuid().ToString("N"),
        };
        if (input is not null)
        {
            request.Input = ByteString.CopyFromUtf8(JsonSerializer.Serialize(input, input.GetType(), _json));
        }

        try
        {
            var response = await _dapr.StartWorkflowBeta1Async(request, cancellationToken: cancellationToken);
            return response.InstanceId;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists || e.Status.Detail.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            // daprd wraps the engine's refusal in ERR_START_WORKFLOW ("an active workflow with ID ... already exists").
            throw new WorkflowInstanceAlreadyExistsException(request.InstanceId, e);
        }
    }

    /// <summary>The instance's state, or null when no instance has that id.</summary>
    public async Task<WorkflowState?> GetWorkflowStateAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        GetWorkflowResponse response;
        try
        {
            response = await _dapr.GetWorkflowBeta1Async(
                new GetWorkflowRequest { WorkflowComponent = WorkflowComponent, InstanceId = instanceId }, cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound || e.Status.Detail.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // An unknown instance comes back with its id only (dapr/dapr pkg/api/universal/workflow.go).
        if (string.IsNullOrEmpty(response.WorkflowName) && string.IsNullOrEmpty(response.RuntimeStatus))
        {
            return null;
        }

        return new WorkflowState(response, getInputsAndOutputs, _json);
    }

    /// <summary>Polls until the instance is in a terminal state (completed, failed or terminated).</summary>
    public async Task<WorkflowState> WaitForWorkflowCompletionAsync(string instanceId, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (await GetWorkflowStateAsync(instanceId, true, cancellationToken) is { IsWorkflowCompleted: true } state)
            {
                return state;
            }

            await Task.Delay(pollInterval ?? TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>Delivers an event that <see cref="WorkflowContext.WaitForExternalEventAsync{T}(string, TimeSpan)"/> can receive.</summary>
    public async Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var request = new RaiseEventWorkflowRequest { WorkflowComponent = WorkflowComponent, InstanceId = instanceId, EventName = eventName };
        if (eventPayload is not null)
        {
            request.EventData = ByteString.CopyFromUtf8(JsonSerializer.Serialize(eventPayload, eventPayload.GetType(), _json));
        }

        await _dapr.RaiseEventWorkflowBeta1Async(request, cancellationToken: cancellationToken);
    }

    /// <summary>Ends a running instance; it reports TERMINATED.</summary>
    public async Task TerminateWorkflowAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await _dapr.TerminateWorkflowBeta1Async(
            new TerminateWorkflowRequest { WorkflowComponent = WorkflowComponent, InstanceId = instanceId }, cancellationToken: cancellationToken);
    }

    /// <summary>Deletes a finished instance's state and history.</summary>
    public async Task PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await _dapr.PurgeWorkflowBeta1Async(
            new PurgeWorkflowRequest { WorkflowComponent = WorkflowComponent, InstanceId = instanceId }, cancellationToken: cancellationToken);
    }
}

/// <summary>Raised when a start names an instance that is still running; a finished one is replaced instead (daprd 1.18+).</summary>
public sealed class WorkflowInstanceAlreadyExistsException : Exception
{
    public WorkflowInstanceAlreadyExistsException(string instanceId, Exception? innerException = null)
        : base($"A workflow instance with id '{instanceId}' is already running.", innerException) => InstanceId = instanceId;

    public WorkflowInstanceAlreadyExistsException()
        : this(string.Empty)
    {
    }

    public WorkflowInstanceAlreadyExistsException(string instanceId)
        : this(instanceId, null)
    {
    }

    public string InstanceId { get; }
}
