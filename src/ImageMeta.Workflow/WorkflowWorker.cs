using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using ImageMeta.Workflow.Engine;
using ImageMeta.Workflow.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Workflow;

/// <summary>
/// Holds the <c>GetWorkItems</c> stream to the sidecar open for the app's lifetime and answers its work
/// items: orchestrator items by replaying the workflow (<see cref="WorkflowReplay"/>), activity items by
/// running the activity from a DI scope. When the sidecar is not up yet or the stream breaks, it reconnects
/// with capped exponential backoff; it logs once per change of connection state and never stops the host.
/// An item whose answer cannot be delivered is re-sent by the sidecar after the worker reconnects.
/// </summary>
internal sealed partial class WorkflowWorker : BackgroundService
{
    private readonly WorkflowRuntimeOptions _options;
    private readonly TaskHubSidecarService.TaskHubSidecarServiceClient _sidecar;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _workflowSlots;
    private readonly SemaphoreSlim _activitySlots;
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private readonly Uri _endpoint;
    private ConnectionState _state = ConnectionState.Starting;

    public WorkflowWorker(IOptions<WorkflowRuntimeOptions> options, SidecarConnection connection, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        _options = options.Value;
        _sidecar = new TaskHubSidecarService.TaskHubSidecarServiceClient(connection.Invoker);
        _endpoint = connection.Endpoint;
        _services = services;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<WorkflowWorker>();
        _workflowSlots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentWorkflows));
        _activitySlots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentActivities));
    }

    private enum ConnectionState
    {
        Starting,
        Connected,
        Disconnected,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = _options.ReconnectMinDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A deadline, because a half-open connection would otherwise hold the worker here forever.
                await _sidecar.HelloAsync(new Google.Protobuf.WellKnownTypes.Empty(), deadline: DateTime.UtcNow + HelloTimeout, cancellationToken: stoppingToken);
                using var stream = _sidecar.GetWorkItems(new GetWorkItemsRequest(), cancellationToken: stoppingToken);
                ChangeState(ConnectionState.Connected, null);
                delay = _options.ReconnectMinDelay;
                while (await stream.ResponseStream.MoveNext(stoppingToken))
                {
                    await DispatchAsync(stream.ResponseStream.Current, stoppingToken);
                }

                ChangeState(ConnectionState.Disconnected, "the sidecar closed the work-item stream");
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e)
            {
                ChangeState(ConnectionState.Disconnected, $"{e.StatusCode}: {e.Status.Detail}");
            }
            catch (Exception e)
            {
                // Whatever broke the stream, the worker must outlive it: a background service that throws stops the host.
                ChangeState(ConnectionState.Disconnected, $"{e.GetType().Name}: {e.Message}");
            }

            try
            {
                // Jitter keeps many replicas from reconnecting in lockstep after a sidecar restart.
                await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 100)), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }

        // Graceful stop: answer what is in hand; the host's shutdown timeout bounds the wait.
        await Task.WhenAll(_inFlight.Keys);
    }

    private async Task DispatchAsync(WorkItem item, CancellationToken stoppingToken)
    {
        var (slots, work) = item.RequestCase switch
        {
            WorkItem.RequestOneofCase.WorkflowRequest => (_workflowSlots, (Func<Task>)(() => RunWorkflowAsync(item.WorkflowRequest, item.CompletionToken, stoppingToken))),
            WorkItem.RequestOneofCase.ActivityRequest => (_activitySlots, () => RunActivityAsync(item.ActivityRequest, item.CompletionToken, stoppingToken)),
            _ => (null, null),
        };
        if (slots is null || work is null)
        {
            LogUnknownWorkItem(_logger, item.RequestCase.ToString());
            return;
        }

        // Waiting for a slot holds the stream back, which is the backpressure the sidecar expects.
        await slots.WaitAsync(stoppingToken);
        var task = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            finally
            {
                slots.Release();
            }
        }, CancellationToken.None);
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunWorkflowAsync(WorkflowRequest request, string completionToken, CancellationToken stoppingToken)
    {
        var replay = new WorkflowReplay(request, name => CreateWorkflow(name), _options.JsonSerializerOptions, _loggerFactory);
        WorkflowResponse response;
        var started = request.PastEvents.Concat(request.NewEvents).FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted;
        using (var span = WorkflowTelemetry.StartSpan($"workflow {started?.Name}", WorkflowTelemetry.WorkflowParent(started), request.InstanceId))
        {
            response = replay.Execute(completionToken);
            if (response.Actions.LastOrDefault()?.CompleteWorkflow is { } done)
            {
                span?.SetTag("workflow.status", done.Status.ToString());
                if (done.Status == OrchestrationStatus.Failed)
                {
                    span?.SetStatus(ActivityStatusCode.Error, done.FailureDetails?.ErrorMessage);
                }
            }
        }

        await SendAsync(() => _sidecar.CompleteOrchestratorTaskAsync(response, cancellationToken: stoppingToken).ResponseAsync, request.InstanceId, "workflow step");
    }

    private IWorkflow? CreateWorkflow(string name) =>
        _options.Workflows.TryGetValue(name, out var type) ? (IWorkflow)ActivatorUtilities.CreateInstance(_services, type) : null;

    private async Task RunActivityAsync(ActivityRequest request, string completionToken, CancellationToken stoppingToken)
    {
        var instanceId = request.WorkflowInstance?.InstanceId ?? string.Empty;
        var response = new ActivityResponse { InstanceId = instanceId, TaskId = request.TaskId, CompletionToken = completionToken };
        using (var span = WorkflowTelemetry.StartSpan($"activity {request.Name}", request.ParentTraceContext, instanceId))
        {
            try
            {
                if (!_options.Activities.TryGetValue(request.Name, out var type))
                {
                    throw new NonRetriableActivityException("ActivityNotRegistered", $"No activity named '{request.Name}' is registered with this worker.");
                }

                await using var scope = _services.CreateAsyncScope();
                var activity = (IWorkflowActivity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
                var input = string.IsNullOrEmpty(request.Input) ? null
                    : System.Text.Json.JsonSerializer.Deserialize(request.Input, activity.InputType, _options.JsonSerializerOptions);
                var context = new WorkflowActivityContext(request.Name, instanceId, request.TaskId, request.TaskExecutionId, stoppingToken);
                var result = await activity.RunAsync(context, input);
                if (result is not null)
                {
                    response.Result = System.Text.Json.JsonSerializer.Serialize(result, result.GetType(), _options.JsonSerializerOptions);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested || e is not OperationCanceledException)
            {
                span?.SetStatus(ActivityStatusCode.Error, e.Message);
                response.FailureDetails = WorkflowTaskFailureDetails.ToWire(e);
            }
        }

        await SendAsync(() => _sidecar.CompleteActivityTaskAsync(response, cancellationToken: stoppingToken).ResponseAsync, instanceId, $"activity {request.Name}");
    }

    private async Task SendAsync(Func<Task<CompleteTaskResponse>> send, string instanceId, string what)
    {
        try
        {
            await send();
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException or OperationCanceledException)
        {
            // The sidecar still holds the work item and sends it again once a worker is connected.
            LogAnswerNotDelivered(_logger, what, instanceId, e.Message);
        }
    }

    private void ChangeState(ConnectionState next, string? reason)
    {
        if (next == _state)
        {
            return;
        }

        var previous = _state;
        _state = next;
        if (next == ConnectionState.Connected)
        {
            LogConnected(_logger, _endpoint);
        }
        else if (previous == ConnectionState.Starting)
        {
            LogSidecarNotReady(_logger, _endpoint, reason ?? string.Empty);
        }
        else
        {
            LogDisconnected(_logger, _endpoint, reason ?? string.Empty);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow worker connected to the Dapr sidecar at {Endpoint}")]
    private static partial void LogConnected(ILogger logger, Uri endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dapr sidecar at {Endpoint} is not reachable yet ({Reason}); the workflow worker keeps retrying")]
    private static partial void LogSidecarNotReady(ILogger logger, Uri endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow worker lost the Dapr sidecar at {Endpoint} ({Reason}); reconnecting with backoff")]
    private static partial void LogDisconnected(ILogger logger, Uri endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver the answer to {What} of instance {InstanceId} ({Reason}); the sidecar will send the work item again")]
    private static partial void LogAnswerNotDelivered(ILogger logger, string what, string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a work item of unknown kind {Kind} from a newer sidecar")]
    private static partial void LogUnknownWorkItem(ILogger logger, string kind);
}
