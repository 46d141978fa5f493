using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// The part of the gRPC service <c>dapr.proto.runtime.v1.Dapr</c> our apps call. Dapr.Protos ships only
/// the client, so the methods are bound by hand (<see cref="BindService"/>) with the package's message
/// parsers; method names and paths are those of dapr/dapr <c>dapr/proto/runtime/v1/dapr.proto</c>.
/// Handlers are virtual because Grpc.AspNetCore only binds methods whose base definition is declared on
/// the type that carries <see cref="BindServiceMethodAttribute"/> (as on a generated service base).
/// </summary>
[BindServiceMethod(typeof(DaprGrpcApi), nameof(BindService))]
public class DaprGrpcApi(SidecarDouble sidecar)
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    private static readonly Method<InvokeServiceRequest, InvokeResponse> InvokeServiceMethod = Unary<InvokeServiceRequest, InvokeResponse>(nameof(InvokeService), InvokeServiceRequest.Parser);
    private static readonly Method<InvokeBindingRequest, InvokeBindingResponse> InvokeBindingMethod = Unary<InvokeBindingRequest, InvokeBindingResponse>(nameof(InvokeBinding), InvokeBindingRequest.Parser);
    private static readonly Method<GetStateRequest, GetStateResponse> GetStateMethod = Unary<GetStateRequest, GetStateResponse>(nameof(GetState), GetStateRequest.Parser);
    private static readonly Method<SaveStateRequest, Empty> SaveStateMethod = Unary<SaveStateRequest, Empty>(nameof(SaveState), SaveStateRequest.Parser);
    private static readonly Method<DeleteStateRequest, Empty> DeleteStateMethod = Unary<DeleteStateRequest, Empty>(nameof(DeleteState), DeleteStateRequest.Parser);
    private static readonly Method<GetMetadataRequest, GetMetadataResponse> GetMetadataMethod = Unary<GetMetadataRequest, GetMetadataResponse>(nameof(GetMetadata), GetMetadataRequest.Parser);
    private static readonly Method<StartWorkflowRequest, StartWorkflowResponse> StartWorkflowBeta1Method = Unary<StartWorkflowRequest, StartWorkflowResponse>(nameof(StartWorkflowBeta1), StartWorkflowRequest.Parser);
    private static readonly Method<GetWorkflowRequest, GetWorkflowResponse> GetWorkflowBeta1Method = Unary<GetWorkflowRequest, GetWorkflowResponse>(nameof(GetWorkflowBeta1), GetWorkflowRequest.Parser);
    private static readonly Method<RaiseEventWorkflowRequest, Empty> RaiseEventWorkflowBeta1Method = Unary<RaiseEventWorkflowRequest, Empty>(nameof(RaiseEventWorkflowBeta1), RaiseEventWorkflowRequest.Parser);
    private static readonly Method<TerminateWorkflowRequest, Empty> TerminateWorkflowBeta1Method = Unary<TerminateWorkflowRequest, Empty>(nameof(TerminateWorkflowBeta1), TerminateWorkflowRequest.Parser);
    private static readonly Method<PurgeWorkflowRequest, Empty> PurgeWorkflowBeta1Method = Unary<PurgeWorkflowRequest, Empty>(nameof(PurgeWorkflowBeta1), PurgeWorkflowRequest.Parser);

    /// <summary>Called by Grpc.AspNetCore with a null instance; handlers are found by method name on this type.</summary>
    public static void BindService(ServiceBinderBase binder, DaprGrpcApi? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(InvokeServiceMethod, (UnaryServerMethod<InvokeServiceRequest, InvokeResponse>?)null);
        binder.AddMethod(InvokeBindingMethod, (UnaryServerMethod<InvokeBindingRequest, InvokeBindingResponse>?)null);
        binder.AddMethod(GetStateMethod, (UnaryServerMethod<GetStateRequest, GetStateResponse>?)null);
        binder.AddMethod(SaveStateMethod, (UnaryServerMethod<SaveStateRequest, Empty>?)null);
        binder.AddMethod(DeleteStateMethod, (UnaryServerMethod<DeleteStateRequest, Empty>?)null);
        binder.AddMethod(GetMetadataMethod, (UnaryServerMethod<GetMetadataRequest, GetMetadataResponse>?)null);
        binder.AddMethod(StartWorkflowBeta1Method, (UnaryServerMethod<StartWorkflowRequest, StartWorkflowResponse>?)null);
        binder.AddMethod(GetWorkflowBeta1Method, (UnaryServerMethod<GetWorkflowRequest, GetWorkflowResponse>?)null);
        binder.AddMethod(RaiseEventWorkflowBeta1Method, (UnaryServerMethod<RaiseEventWorkflowRequest, Empty>?)null);
        binder.AddMethod(TerminateWorkflowBeta1Method, (UnaryServerMethod<TerminateWorkflowRequest, Empty>?)null);
        binder.AddMethod(PurgeWorkflowBeta1Method, (UnaryServerMethod<PurgeWorkflowRequest, Empty>?)null);
    }

    /// <summary>
    /// dapr/dapr pkg/api/grpc/grpc.go InvokeService towards an HTTP app: the verb and query come from
    /// <c>http_extension</c>, the body from <c>data.value</c>; a non-2xx answer becomes a gRPC error whose
    /// code follows CodeFromHTTPStatus, with the HTTP status in the <c>dapr-http-status</c> header.
    /// </summary>
    public virtual async Task<InvokeResponse> InvokeService(InvokeServiceRequest request, ServerCallContext context)
    {
        var message = request.Message ?? new InvokeRequest();
        var verb = message.HttpExtension?.Verb is { } v and not HTTPExtension.Types.Verb.None ? v.ToString().ToUpperInvariant() : "POST";
        var headers = context.RequestHeaders
            .Where(h => !h.IsBinary && !h.Key.StartsWith(':') && !h.Key.StartsWith("grpc-", StringComparison.Ordinal) && h.Key != "content-type" && h.Key != "te")
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value))
            .ToList();
        var call = new AppCall(verb, message.Method.TrimStart('/'), message.HttpExtension?.Querystring ?? string.Empty,
            message.Data?.Value.ToByteArray() ?? [], message.ContentType, headers);

        AppResponse response;
        try
        {
            response = await sidecar.InvokeAppAsync(request.Id, call, context.CancellationToken);
        }
        catch (InvocationFailedException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"failed to invoke, id: {request.Id}, err: {e.Message}"));
        }

        await context.WriteResponseHeadersAsync(new Metadata { { "dapr-http-status", response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        if (response.StatusCode is < 200 or > 299)
        {
            throw new RpcException(new Status(CodeFromHttpStatus(response.StatusCode), ReasonPhrase(response.StatusCode)));
        }

        return new InvokeResponse
        {
            Data = new Any { Value = ByteString.CopyFrom(response.Body) },
            ContentType = response.ContentType ?? string.Empty,
        };
    }

    /// <summary>dapr/dapr pkg/api/grpc/grpc.go InvokeBinding: component errors are Internal with ERR_INVOKE_OUTPUT_BINDING's text.</summary>
    public virtual async Task<InvokeBindingResponse> InvokeBinding(InvokeBindingRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (sidecar.ArriveOverGrpcAndLoseAnswer())
        {
            // Ends only when the caller cancels the call.
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        try
        {
            var data = sidecar.InvokeOutputBinding(request.Name, request.Operation, request.Data.ToByteArray(), request.Metadata);
            var response = new InvokeBindingResponse();
            if (data is not null)
            {
                response.Data = ByteString.CopyFrom(data);
            }

            return response;
        }
        catch (BindingOperationException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error invoking output binding {request.Name}: {e.Message}"));
        }
    }

    /// <summary>
    /// dapr/dapr pkg/api/grpc/grpc.go GetState: a missing key answers empty data and an empty ETag, not an error; an
    /// unknown store is InvalidArgument (ERR_STATE_STORE_NOT_FOUND, "state store {name} is not found").
    /// </summary>
    public virtual Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStateStore(request.StoreName);
        var (value, etag) = sidecar.State.Get(request.StoreName, sidecar.AppId, request.Key);
        return Task.FromResult(new GetStateResponse { Data = value is null ? ByteString.Empty : ByteString.CopyFrom(value), Etag = etag });
    }

    /// <summary>
    /// dapr/dapr pkg/api/grpc/grpc.go SaveState: each item written in order; an ETag that is not the item's current
    /// one fails the call with Aborted (the code Dapr.Client's TrySaveStateAsync turns into <c>false</c>). An item
    /// without an ETag but with first-write concurrency is an insert that fails the same way when the key exists
    /// (<see cref="StateStoreDouble.Save"/> cites the components that do so).
    /// </summary>
    public virtual Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStateStore(request.StoreName);
        foreach (var item in request.States)
        {
            StateCall(() => sidecar.State.Save(request.StoreName, sidecar.AppId, item.Key, item.Value.ToByteArray(), item.Etag?.Value,
                firstWrite: item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite), "ERR_STATE_SAVE", request.StoreName);
        }

        return Task.FromResult(new Empty());
    }

    /// <summary>dapr/dapr pkg/api/grpc/grpc.go DeleteState: same ETag rule as SaveState.</summary>
    public virtual Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireStateStore(request.StoreName);
        StateCall(() => sidecar.State.Delete(request.StoreName, sidecar.AppId, request.Key, request.Etag?.Value), "ERR_STATE_DELETE", request.StoreName);
        return Task.FromResult(new Empty());
    }

    private void RequireStateStore(string name)
    {
        if (!sidecar.Options.Components.Any(c => c.Name == name && c.Type.StartsWith("state.", StringComparison.Ordinal)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"state store {name} is not found"));
        }
    }

    /// <summary>dapr/dapr pkg/api/grpc/grpc.go stateErrorResponse: an ETag mismatch is Aborted, with the operation's error text.</summary>
    private static void StateCall(Action operation, string errorCode, string store)
    {
        try
        {
            operation();
        }
        catch (StateStoreDouble.ETagMismatchException e)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"{errorCode}: failed on state store {store}: {e.Message}"));
        }
    }

    /// <summary>docs.dapr.io "Metadata API", gRPC form.</summary>
    public virtual Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var response = new GetMetadataResponse { Id = sidecar.AppId, RuntimeVersion = "edge-double" };
        foreach (var (name, type) in sidecar.Options.Components)
        {
            response.RegisteredComponents.Add(new RegisteredComponents { Name = name, Type = type, Version = "v1" });
        }

        return Task.FromResult(response);
    }

    public virtual async Task<StartWorkflowResponse> StartWorkflowBeta1(StartWorkflowRequest request, ServerCallContext context)
    {
        var (status, error, response) = await sidecar.StartWorkflowAsync(
            request.WorkflowComponent, request.WorkflowName, request.InstanceId, request.Input.ToStringUtf8(),
            context.RequestHeaders.GetValue("traceparent"), context.RequestHeaders.GetValue("tracestate"), context.CancellationToken);
        return error is { } e ? throw new RpcException(new Status(status == 400 ? StatusCode.InvalidArgument : StatusCode.Internal, e.Message)) : response;
    }

    /// <summary>An unknown instance is answered with just its id (universal/workflow.go GetWorkflow), not an error.</summary>
    public virtual async Task<GetWorkflowResponse> GetWorkflowBeta1(GetWorkflowRequest request, ServerCallContext context)
    {
        var (status, error, response) = await sidecar.GetWorkflowAsync(request.WorkflowComponent, request.InstanceId, context.CancellationToken);
        return error is { } e ? throw new RpcException(new Status(status == 400 ? StatusCode.InvalidArgument : StatusCode.Internal, e.Message)) : response;
    }

    /// <summary>dapr/dapr pkg/api/universal/workflow.go RaiseEventWorkflow: an unknown instance is an error (ERR_RAISE_EVENT_WORKFLOW).</summary>
    public virtual async Task<Empty> RaiseEventWorkflowBeta1(RaiseEventWorkflowRequest request, ServerCallContext context)
    {
        var workflows = RequireWorkflows(request.WorkflowComponent);
        try
        {
            await workflows.RaiseEventAsync(request.InstanceId, request.EventName, request.EventData.IsEmpty ? null : request.EventData.ToStringUtf8(), context.CancellationToken);
        }
        catch (KeyNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error raising event on workflow '{request.InstanceId}': {e.Message}"));
        }

        return new Empty();
    }

    /// <summary>dapr/dapr pkg/api/universal/workflow.go TerminateWorkflow (ERR_TERMINATE_WORKFLOW on an unknown instance).</summary>
    public virtual async Task<Empty> TerminateWorkflowBeta1(TerminateWorkflowRequest request, ServerCallContext context)
    {
        var workflows = RequireWorkflows(request.WorkflowComponent);
        try
        {
            await workflows.TerminateAsync(request.InstanceId, null, context.CancellationToken);
        }
        catch (KeyNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error terminating workflow '{request.InstanceId}': {e.Message}"));
        }

        return new Empty();
    }

    /// <summary>dapr/dapr pkg/api/universal/workflow.go PurgeWorkflow: only terminal instances can be purged (ERR_PURGE_WORKFLOW).</summary>
    public virtual async Task<Empty> PurgeWorkflowBeta1(PurgeWorkflowRequest request, ServerCallContext context)
    {
        var workflows = RequireWorkflows(request.WorkflowComponent);
        return await workflows.PurgeAsync(request.InstanceId, context.CancellationToken)
            ? new Empty()
            : throw new RpcException(new Status(StatusCode.Internal, $"error purging workflow '{request.InstanceId}': instance not found or not in a terminal state"));
    }

    private IWorkflowManagement RequireWorkflows(string component) =>
        sidecar.Options.Workflows is { } workflows && component == "dapr"
            ? workflows
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"workflow component '{component}' does not exist"));

    /// <summary>dapr/dapr pkg/messaging/v1/util.go CodeFromHTTPStatus.</summary>
    internal static StatusCode CodeFromHttpStatus(int status) => status switch
    {
        >= 200 and < 300 => StatusCode.OK,
        408 => StatusCode.Cancelled,
        500 => StatusCode.Unknown,
        400 => StatusCode.Internal,
        504 => StatusCode.DeadlineExceeded,
        404 => StatusCode.NotFound,
        409 => StatusCode.AlreadyExists,
        403 => StatusCode.PermissionDenied,
        401 => StatusCode.Unauthenticated,
        429 => StatusCode.ResourceExhausted,
        501 => StatusCode.Unimplemented,
        503 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> parser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>, new() =>
        new(MethodType.Unary, ServiceName, name,
            Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom),
            Marshallers.Create(m => m.ToByteArray(), bytes => new MessageParser<TResponse>(() => new TResponse()).ParseFrom(bytes)));
}
