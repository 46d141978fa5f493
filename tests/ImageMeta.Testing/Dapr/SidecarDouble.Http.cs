using System.Text;
using System.Text.Json;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ImageMeta.Testing.Dapr;

public sealed partial class SidecarDouble
{
    /// <summary>Header form of service invocation (docs.dapr.io "Invoke services using HTTP": <c>dapr-app-id</c>).</summary>
    public const string AppIdHeader = "dapr-app-id";

    private static readonly string[] AllVerbs = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"];

    private void MapHttpApi(WebApplication app)
    {
        // docs.dapr.io "Health API": GET /v1.0/healthz answers 204 once the sidecar is ready;
        // GET /v1.0/healthz/outbound (used by the SDKs' WaitForSidecarAsync) answers 204 once the
        // outbound APIs are up. A double is ready as soon as it listens.
        app.MapGet("/v1.0/healthz", () => Results.NoContent());
        app.MapGet("/v1.0/healthz/outbound", () => Results.NoContent());
        app.MapGet("/v1.0/metadata", () => Results.Json(MetadataDocument()));

        // dapr/dapr pkg/api/http/directmessaging.go: /v1.0/invoke/{id}/method/{method...}, any verb.
        app.MapMethods("/v1.0/invoke/{**rest}", AllVerbs, InvokeOverHttpAsync);

        // dapr/dapr pkg/api/http/http.go onOutputBindingMessage.
        app.MapPost("/v1.0/bindings/{name}", InvokeBindingOverHttpAsync);

        // dapr/dapr pkg/api/http/workflow.go: start and get, stable and beta1 paths.
        foreach (var version in new[] { "v1.0", "v1.0-beta1" })
        {
            app.MapPost($"/{version}/workflows/{{component}}/{{name}}/start", StartWorkflowOverHttpAsync);
            app.MapGet($"/{version}/workflows/{{component}}/{{instanceId}}", GetWorkflowOverHttpAsync);
        }

        // The header form is daprd's fallback route ("InvokeService", IsFallback): any path that no other
        // API matched, when dapr-app-id is present, is a method on that app.
        app.MapFallback(async context =>
        {
            if (context.Request.Headers.ContainsKey(AppIdHeader))
            {
                await InvokeOverHttpAsync(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
    }

    /// <summary>docs.dapr.io "Metadata API": the sidecar's id, runtime version, components and app connection.</summary>
    private Dictionary<string, object?> MetadataDocument() => new()
    {
        ["id"] = AppId,
        ["runtimeVersion"] = "edge-double",
        ["enabledFeatures"] = Array.Empty<string>(),
        ["components"] = Options.Components.Select(c => new Dictionary<string, object> { ["name"] = c.Name, ["type"] = c.Type, ["version"] = "v1", ["capabilities"] = Array.Empty<string>() }).ToList(),
        ["extended"] = new Dictionary<string, string> { ["appCommand"] = string.Empty },
        ["appConnectionProperties"] = new Dictionary<string, object>
        {
            ["port"] = Options.AppPort,
            ["protocol"] = "http",
            ["channelAddress"] = "127.0.0.1",
            ["maxConcurrency"] = -1,
        },
    };

    private async Task InvokeOverHttpAsync(HttpContext context)
    {
        if (!TryFindTargetAndMethod(context.Request, out var targetAppId, out var method))
        {
            await WriteDaprErrorAsync(context, StatusCodes.Status404NotFound, "ERR_DIRECT_INVOKE", "failed getting app id either from the URL path or the header dapr-app-id");
            return;
        }

        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }

        var headers = context.Request.Headers
            .Where(h => !h.Key.Equals(AppIdHeader, StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty)))
            .ToList();
        var call = new AppCall(context.Request.Method, method, context.Request.QueryString.Value?.TrimStart('?') ?? string.Empty, body, context.Request.ContentType, headers);

        AppResponse response;
        try
        {
            response = await InvokeAppAsync(targetAppId, call, context.RequestAborted);
        }
        catch (InvocationFailedException e)
        {
            // directmessaging.go: a transport failure becomes ErrDirectInvoke, 500, with this message.
            await WriteDaprErrorAsync(context, StatusCodes.Status500InternalServerError, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {targetAppId}, err: {e.Message}");
            return;
        }

        // directmessaging.go: the app's status, headers and body go back to the caller unchanged.
        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            if (!IsHopByHop(name) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.Append(name, value);
            }
        }

        if (response.ContentType is { } contentType)
        {
            context.Response.ContentType = contentType;
        }

        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
    }

    /// <summary>dapr/dapr directmessaging.go findTargetIDAndMethod: the header first, then the URL form.</summary>
    private static bool TryFindTargetAndMethod(HttpRequest request, out string targetAppId, out string method)
    {
        var path = request.Path.Value ?? "/";
        if (request.Headers[AppIdHeader].ToString() is { Length: > 0 } headerAppId)
        {
            targetAppId = headerAppId;
            method = CleanPath(path).TrimStart('/');
            return true;
        }

        const string prefix = "/v1.0/invoke/";
        if (path.StartsWith(prefix, StringComparison.Ordinal))
        {
            var rest = path[prefix.Length..];
            var at = rest.IndexOf("/method/", StringComparison.Ordinal);
            if (at > 0)
            {
                targetAppId = Uri.UnescapeDataString(rest[..at]);
                method = CleanPath(rest[(at + "/method/".Length)..]).TrimStart('/');
                if (method == ".")
                {
                    method = string.Empty;
                }

                return true;
            }
        }

        targetAppId = method = string.Empty;
        return false;
    }

    /// <summary>Go's path.Clean for the method part: collapses "//", "." and "..".</summary>
    internal static string CleanPath(string path)
    {
        var cleaned = string.Join('/', CleanSegments(path));
        return path.StartsWith('/') ? "/" + cleaned : (cleaned.Length == 0 ? "." : cleaned);
    }

    /// <summary>The segments of a slash-separated path after Go's cleaning rules, never climbing above its root.</summary>
    internal static List<string> CleanSegments(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return parts;
    }

    private async Task InvokeBindingOverHttpAsync(HttpContext context, string name)
    {
        JsonDocument request;
        try
        {
            request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException e)
        {
            await WriteDaprErrorAsync(context, StatusCodes.Status400BadRequest, "ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {e.Message}");
            return;
        }

        using (request)
        {
            var root = request.RootElement;
            var operation = root.TryGetProperty("operation", out var op) && op.ValueKind == JsonValueKind.String ? op.GetString()! : string.Empty;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in md.EnumerateObject())
                {
                    metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                }
            }

            // http.go: the "data" value is re-marshalled to JSON (json.Marshal(req.Data)), so a string
            // arrives at the component quoted; absent data is the JSON literal null.
            var data = root.TryGetProperty("data", out var d)
                ? JsonSerializer.SerializeToUtf8Bytes(d)
                : "null"u8.ToArray();

            byte[]? result;
            try
            {
                result = InvokeOutputBinding(name, operation, data, metadata);
            }
            catch (BindingOperationException e)
            {
                await WriteDaprErrorAsync(context, StatusCodes.Status500InternalServerError, "ERR_INVOKE_OUTPUT_BINDING", $"error invoking output binding {name}: {e.Message}");
                return;
            }

            if (result is null)
            {
                // http.go respondWithEmpty: 204.
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            await context.Response.Body.WriteAsync(result, context.RequestAborted);
        }
    }

    private int _bindingResponsesToLose;
    private int _bindingCallsOverGrpc;

    /// <summary>Output-binding calls that arrived over gRPC, answered or not.</summary>
    public int BindingCallsOverGrpc => Volatile.Read(ref _bindingCallsOverGrpc);

    /// <summary>
    /// Fault injection, not a daprd behaviour: the next <paramref name="count"/> output-binding calls over gRPC get
    /// no answer until the caller gives up, as when a response is lost between sidecar and app (Kestrel itself
    /// loses one now and then, dotnet/aspnetcore#53736) or a sidecar hangs.
    /// </summary>
    public void LoseNextBindingResponses(int count) => Volatile.Write(ref _bindingResponsesToLose, count);

    /// <summary>Counts a gRPC binding call and says whether its answer is to be lost.</summary>
    internal bool ArriveOverGrpcAndLoseAnswer()
    {
        Interlocked.Increment(ref _bindingCallsOverGrpc);
        while (true)
        {
            var left = Volatile.Read(ref _bindingResponsesToLose);
            if (left <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _bindingResponsesToLose, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Output bindings this sidecar has (the local profile's <c>images</c>, and <c>thumbnails</c> where its scopes
    /// load it: extractor and store); others fail as daprd does. daprd loads a component only in the apps its
    /// <c>scopes</c> name (docs.dapr.io, "How-To: Scope components to one or more applications"). <c>images</c> is
    /// scoped to ingest, extractor and store in every profile, so the web app's sidecar has no binding at all (the
    /// tests' own stand-in app ids keep <c>images</c>).
    /// </summary>
    internal byte[]? InvokeOutputBinding(string name, string operation, byte[] data, IReadOnlyDictionary<string, string> metadata)
    {
        var binding = name switch
        {
            DaprTopology.Components.Images when Options.AppId is not DaprTopology.AppIds.Web => _network.Images,
            DaprTopology.Components.Thumbnails when Options.AppId is DaprTopology.AppIds.Extractor or DaprTopology.AppIds.Store => _network.Thumbnails,
            _ => null,
        };

        // dapr/dapr pkg/runtime/processor/binding/send.go.
        return binding is null
            ? throw new BindingOperationException($"couldn't find output binding {name}")
            : binding.Invoke(operation, data, metadata);
    }

    private async Task StartWorkflowOverHttpAsync(HttpContext context, string component, string name)
    {
        var instanceId = context.Request.Query["instanceID"].ToString();
        string input;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            // workflow.go onStartWorkflowHandler: the body is the input, taken as-is.
            input = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var (status, error, response) = await StartWorkflowAsync(
            component, name, instanceId, input, context.Request.Headers.TraceParent, context.Request.Headers.TraceState, context.RequestAborted);
        if (error is not null)
        {
            await WriteDaprErrorAsync(context, status, error.Value.Code, error.Value.Message);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonFormatter.Default.Format(response), context.RequestAborted);
    }

    private async Task GetWorkflowOverHttpAsync(HttpContext context, string component, string instanceId)
    {
        var (status, error, response) = await GetWorkflowAsync(component, instanceId, context.RequestAborted);
        if (error is null && response.Properties.Count == 0 && string.IsNullOrEmpty(response.WorkflowName))
        {
            // workflow.go onGetWorkflowHandler: no properties means no instance → ErrWorkflowInstanceNotFound (404).
            error = ("ERR_INSTANCE_ID_NOT_FOUND", $"unable to find workflow with the provided instance ID: {instanceId}");
            status = StatusCodes.Status404NotFound;
        }

        if (error is not null)
        {
            await WriteDaprErrorAsync(context, status, error.Value.Code, error.Value.Message);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonFormatter.Default.Format(response), context.RequestAborted);
    }

    /// <summary>dapr/dapr pkg/api/universal/workflow.go StartWorkflow, shared by HTTP and gRPC.</summary>
    internal async Task<(int Status, (string Code, string Message)? Error, StartWorkflowResponse Response)> StartWorkflowAsync(
        string component, string name, string instanceId, string input, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        if (Options.Workflows is not { } workflows || component != "dapr")
        {
            return (400, ("ERR_WORKFLOW_COMPONENT_NOT_FOUND", $"workflow component '{component}' does not exist"), new());
        }

        if (instanceId.Length == 0)
        {
            // The instance id is optional; daprd makes a random one.
            instanceId = Guid.NewGuid().ToString();
        }

        if (instanceId.Length > 64)
        {
            return (400, ("ERR_WORKFLOW_INSTANCE_ID_TOO_LONG", "workflow instance ID exceeds the max length of 64 characters"), new());
        }

        if (!instanceId.All(c => char.IsLetterOrDigit(c) || c is '_' or '-'))
        {
            return (400, ("ERR_INSTANCE_ID_INVALID", $"workflow instance ID '{instanceId}' is invalid: only alphanumeric and underscore characters are allowed"), new());
        }

        if (name.Length == 0)
        {
            return (400, ("ERR_WORKFLOW_NAME_MISSING", "workflow name is not configured"), new());
        }

        try
        {
            // An empty body is no input (workflow.go passes nil); the caller's trace context becomes the
            // execution-started event's parent (dapr/dapr wfengine: the start call's span context is propagated).
            await workflows.StartAsync(name, instanceId, input.Length == 0 ? null : input,
                string.IsNullOrEmpty(traceParent) ? null : traceParent, string.IsNullOrEmpty(traceState) ? null : traceState, cancellationToken);
        }
        catch (WorkflowAlreadyRunningException e)
        {
            // ErrStartWorkflow wraps the engine's refusal: 500 / Internal.
            return (500, ("ERR_START_WORKFLOW", $"error starting workflow '{name}': unable to start workflow: {e.Message}"), new());
        }

        return (202, null, new StartWorkflowResponse { InstanceId = instanceId });
    }

    /// <summary>dapr/dapr pkg/api/universal/workflow.go GetWorkflow, shared by HTTP and gRPC.</summary>
    internal async Task<(int Status, (string Code, string Message)? Error, GetWorkflowResponse Response)> GetWorkflowAsync(
        string component, string instanceId, CancellationToken cancellationToken)
    {
        if (Options.Workflows is not { } workflows || component != "dapr")
        {
            return (400, ("ERR_WORKFLOW_COMPONENT_NOT_FOUND", $"workflow component '{component}' does not exist"), new());
        }

        if (instanceId.Length == 0)
        {
            return (400, ("ERR_WORKFLOW_INSTANCE_ID_PROVIDED_MISSING", "no instance ID was provided"), new());
        }

        var view = await workflows.GetAsync(instanceId, cancellationToken);
        if (view is null)
        {
            // Not found is not an error at this layer: the answer carries only the instance id.
            return (200, null, new GetWorkflowResponse { InstanceId = instanceId });
        }

        var response = new GetWorkflowResponse
        {
            InstanceId = instanceId,
            WorkflowName = view.WorkflowName,
            CreatedAt = Timestamp.FromDateTimeOffset(view.CreatedAt),
            LastUpdatedAt = Timestamp.FromDateTimeOffset(view.LastUpdatedAt),
            RuntimeStatus = view.RuntimeStatus,
        };
        if (view.CustomStatus is { } custom)
        {
            response.Properties["dapr.workflow.custom_status"] = custom;
        }

        if (view.InputJson is { } input)
        {
            response.Properties["dapr.workflow.input"] = input;
        }

        if (view.FailureType is not null || view.FailureMessage is not null)
        {
            response.Properties["dapr.workflow.failure.error_type"] = view.FailureType ?? string.Empty;
            response.Properties["dapr.workflow.failure.error_message"] = view.FailureMessage ?? string.Empty;
        }
        else if (view.OutputJson is { } output)
        {
            response.Properties["dapr.workflow.output"] = output;
        }

        return (200, null, response);
    }
}
