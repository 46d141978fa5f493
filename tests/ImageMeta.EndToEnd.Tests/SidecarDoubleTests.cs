using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The sidecar double against the official clients and raw HTTP, so the end-to-end suite stands on a
/// double whose answers match daprd's documented ones (shapes, status codes, error codes).
/// </summary>
public sealed class SidecarDoubleTests : IAsyncLifetime
{
    private readonly SidecarNetwork _network = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private RecordingApp _echo = null!;
    private SidecarDouble _caller = null!;
    private SidecarDouble _callee = null!;

    public async Task InitializeAsync()
    {
        _echo = await RecordingApp.StartAsync();
        _callee = await _network.StartSidecarAsync(new SidecarOptions { AppId = "echo", AppPort = _echo.Port, AppApiToken = "app-token-123" });
        _caller = await _network.StartSidecarAsync(new SidecarOptions { AppId = "caller", AppPort = LoopbackPorts.Free() });
    }

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        await _echo.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task Http_invocation_reaches_the_target_app_with_method_query_trace_context_and_app_token()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{_caller.HttpEndpoint}/v1.0/invoke/echo/method/images/abc?mode=x")
        {
            Content = new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", traceParent);
        request.Headers.Add("tracestate", "k=v");

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("seen:{\"a\":1}", await response.Content.ReadAsStringAsync());
        var seen = Assert.Single(_echo.Requests);
        Assert.Equal("PUT", seen.Method);
        Assert.Equal("/images/abc?mode=x", seen.PathAndQuery);
        Assert.Equal(traceParent, seen.Headers["traceparent"]);
        Assert.Equal("k=v", seen.Headers["tracestate"]);
        Assert.Equal("app-token-123", seen.Headers["dapr-api-token"]);
        Assert.Equal("caller", seen.Headers["dapr-caller-app-id"]);
        var logged = Assert.Single(_network.Invocations.To("echo"));
        Assert.Equal(("caller", "PUT", "images/abc", 202), (logged.CallerAppId, logged.Verb, logged.Method, logged.StatusCode));
    }

    [Fact]
    public async Task Header_form_and_DaprClient_invocation_pass_the_app_status_through()
    {
        using var headerForm = new HttpRequestMessage(HttpMethod.Get, $"{_caller.HttpEndpoint}/status/418");
        headerForm.Headers.Add("dapr-app-id", "echo");
        using var viaHeader = await _http.SendAsync(headerForm);
        Assert.Equal((HttpStatusCode)418, viaHeader.StatusCode);

        // What Dapr.Client's CreateInvokeHttpClient does: a base address of http://{appId} rewritten to the sidecar's invoke URL.
        using var client = DaprClient.CreateInvokeHttpClient("echo", _caller.HttpEndpoint);
        using var viaClient = await client.PostAsJsonAsync("extract", new { name = "x.png" });
        Assert.Equal(HttpStatusCode.Accepted, viaClient.StatusCode);
        Assert.Equal("/extract", _echo.Requests.Last().PathAndQuery);
    }

    [Fact]
    public async Task Unknown_app_and_unreachable_app_get_daprd_s_ERR_DIRECT_INVOKE_500()
    {
        using var unknown = await _http.PostAsync($"{_caller.HttpEndpoint}/v1.0/invoke/nobody/method/x", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.InternalServerError, unknown.StatusCode);
        using var unknownBody = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("ERR_DIRECT_INVOKE", unknownBody.RootElement.GetProperty("errorCode").GetString());
        Assert.StartsWith("failed to invoke, id: nobody", unknownBody.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The caller's own app is not listening on its port: same error class, from the callee side.
        using var down = await _http.PostAsync($"{_callee.HttpEndpoint}/v1.0/invoke/caller/method/x", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.InternalServerError, down.StatusCode);
        Assert.Contains("ERR_DIRECT_INVOKE", await down.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(_network.Invocations.To("caller"), r => r.StatusCode == 500);
    }

    [Fact]
    public async Task Grpc_InvokeService_translates_to_http_and_maps_error_statuses()
    {
        using var channel = GrpcChannel.ForAddress(_caller.GrpcEndpoint);
        var client = new Autogen.Dapr.DaprClient(channel);
        var ok = await client.InvokeServiceAsync(new Autogen.InvokeServiceRequest
        {
            Id = "echo",
            Message = new Autogen.InvokeRequest
            {
                Method = "hello",
                ContentType = "text/plain",
                Data = new Google.Protobuf.WellKnownTypes.Any { Value = ByteString.CopyFromUtf8("hi") },
                HttpExtension = new Autogen.HTTPExtension { Verb = Autogen.HTTPExtension.Types.Verb.Post, Querystring = "q=1" },
            },
        });
        Assert.Equal("seen:hi", ok.Data.Value.ToStringUtf8());
        Assert.Equal("/hello?q=1", _echo.Requests.Last().PathAndQuery);

        var failed = await Assert.ThrowsAsync<RpcException>(async () => await client.InvokeServiceAsync(new Autogen.InvokeServiceRequest
        {
            Id = "echo",
            Message = new Autogen.InvokeRequest { Method = "status/503", HttpExtension = new Autogen.HTTPExtension { Verb = Autogen.HTTPExtension.Types.Verb.Get } },
        }));
        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);
    }

    [Fact]
    public async Task Images_binding_over_grpc_follows_localstorage_create_get_list_delete()
    {
        using var client = new DaprClientBuilder().UseHttpEndpoint(_caller.HttpEndpoint).UseGrpcEndpoint(_caller.GrpcEndpoint).Build();
        var bytes = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 3, 255 };

        // Dapr.Client's typed overload JSON-serializes byte[] as a base64 string; localstorage unquotes and decodes it.
        var created = await client.InvokeBindingAsync<byte[], JsonElement>("images", "create", bytes, new Dictionary<string, string> { ["fileName"] = "a/b/c.png" });
        Assert.Equal("a/b/c.png", created.GetProperty("fileName").GetString());

        var get = await client.InvokeBindingAsync(new BindingRequest("images", "get") { Metadata = { ["fileName"] = "a/b/c.png" } });
        Assert.Equal(bytes, get.Data.ToArray());

        // A raw request body is written as given, unless it happens to be valid base64 (localstorage decodes that).
        await client.InvokeBindingAsync(new BindingRequest("images", "create") { Data = "not base64!"u8.ToArray(), Metadata = { ["fileName"] = "raw.txt" } });
        await client.InvokeBindingAsync(new BindingRequest("images", "create") { Data = "aGk="u8.ToArray(), Metadata = { ["fileName"] = "b64.txt" } });
        Assert.Equal("not base64!", await File.ReadAllTextAsync(Path.Combine(_network.Images.RootPath, "raw.txt")));
        Assert.Equal("hi", await File.ReadAllTextAsync(Path.Combine(_network.Images.RootPath, "b64.txt")));

        var list = await client.InvokeBindingAsync(new BindingRequest("images", "list"));
        var names = JsonSerializer.Deserialize<string[]>(list.Data.Span)!;
        Assert.Equal(
            new[] { "a/b/c.png", "b64.txt", "raw.txt" }.Select(n => Path.Combine(_network.Images.RootPath, n)).Order(StringComparer.Ordinal),
            names);

        // "..": securejoin keeps every name inside the root.
        var escaped = await client.InvokeBindingAsync<byte[], JsonElement>("images", "create", bytes, new Dictionary<string, string> { ["fileName"] = "../../etc/x.png" });
        Assert.Equal("etc/x.png", escaped.GetProperty("fileName").GetString());

        await client.InvokeBindingAsync(new BindingRequest("images", "delete") { Metadata = { ["fileName"] = "a/b/c.png" } });
        var missing = await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest("images", "get") { Metadata = { ["fileName"] = "a/b/c.png" } }));
        var rpc = Assert.IsType<RpcException>(missing.InnerException);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.Contains("error invoking output binding images: file not found: ", rpc.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Images_binding_over_http_uses_daprd_s_request_and_error_shapes()
    {
        var content = Convert.ToBase64String("GIF89a..."u8.ToArray());
        using var created = await _http.PostAsJsonAsync($"{_caller.HttpEndpoint}/v1.0/bindings/images", new { operation = "create", data = content, metadata = new { fileName = "h.gif" } });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("{\"fileName\":\"h.gif\"}", await created.Content.ReadAsStringAsync());

        using var get = await _http.PostAsJsonAsync($"{_caller.HttpEndpoint}/v1.0/bindings/images", new { operation = "get", metadata = new { fileName = "h.gif" } });
        Assert.Equal("GIF89a...", await get.Content.ReadAsStringAsync());

        using var delete = await _http.PostAsJsonAsync($"{_caller.HttpEndpoint}/v1.0/bindings/images", new { operation = "delete", metadata = new { fileName = "h.gif" } });
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        using var missing = await _http.PostAsJsonAsync($"{_caller.HttpEndpoint}/v1.0/bindings/images", new { operation = "get", metadata = new { fileName = "h.gif" } });
        Assert.Equal(HttpStatusCode.InternalServerError, missing.StatusCode);
        using var error = JsonDocument.Parse(await missing.Content.ReadAsStringAsync());
        Assert.Equal("ERR_INVOKE_OUTPUT_BINDING", error.RootElement.GetProperty("errorCode").GetString());
        Assert.StartsWith("error invoking output binding images: file not found:", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queue_input_binding_redelivers_until_the_app_answers_2xx()
    {
        _echo.FailNext("image-events", 2);

        var delivery = await _callee.DeliverQueueMessageAsync("image-events", "{\"eventType\":\"x\"}", TimeSpan.FromMilliseconds(50));

        Assert.True(delivery.Acknowledged);
        Assert.Equal(3, delivery.Attempts);
        var seen = _echo.Requests.Where(r => r.PathAndQuery == "/image-events").ToList();
        Assert.Equal(["1", "2", "3"], seen.Select(r => r.Headers["dequeueCount"]));
        Assert.All(seen, r => Assert.Equal("app-token-123", r.Headers["dapr-api-token"]));
        Assert.All(seen, r => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", r.Headers["traceparent"]));

        var cron = await _callee.FireCronAsync("sweep");
        Assert.True(cron.Acknowledged);
        Assert.Contains(_echo.Requests, r => r.PathAndQuery == "/sweep" && r.Headers.ContainsKey("readTimeUTC"));
    }

    [Fact]
    public async Task Dapr_api_token_is_required_except_on_health_endpoints()
    {
        await using var guarded = await _network.StartSidecarAsync(new SidecarOptions { AppId = "guarded", AppPort = _echo.Port, DaprApiToken = "sidecar-secret" });

        using var health = await _http.GetAsync($"{guarded.HttpEndpoint}/v1.0/healthz");
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);

        using var without = await _http.GetAsync($"{guarded.HttpEndpoint}/v1.0/metadata");
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);

        using var with = new HttpRequestMessage(HttpMethod.Get, $"{guarded.HttpEndpoint}/v1.0/metadata");
        with.Headers.Add("dapr-api-token", "sidecar-secret");
        using var allowed = await _http.SendAsync(with);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("\"id\":\"guarded\"", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var noTokenClient = new DaprClientBuilder().UseHttpEndpoint(guarded.HttpEndpoint).UseGrpcEndpoint(guarded.GrpcEndpoint).Build();
        var refused = await Assert.ThrowsAsync<DaprException>(() => noTokenClient.InvokeBindingAsync(new BindingRequest("images", "list")));
        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(refused.InnerException).StatusCode);
        using var tokenClient = new DaprClientBuilder().UseHttpEndpoint(guarded.HttpEndpoint).UseGrpcEndpoint(guarded.GrpcEndpoint).UseDaprApiToken("sidecar-secret").Build();
        await tokenClient.InvokeBindingAsync(new BindingRequest("images", "list"));
        Assert.Equal(2, guarded.RejectedForMissingApiToken);
    }

    [Fact]
    public async Task The_web_apps_sidecar_has_no_output_binding_as_the_component_scopes_say()
    {
        await using var web = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Web, AppPort = _echo.Port });
        using var client = new DaprClientBuilder().UseHttpEndpoint(web.HttpEndpoint).UseGrpcEndpoint(web.GrpcEndpoint).Build();

        foreach (var component in new[] { DaprTopology.Components.Images, DaprTopology.Components.Thumbnails })
        {
            var refused = await Assert.ThrowsAsync<DaprException>(() => client.InvokeBindingAsync(new BindingRequest(component, "list")));
            Assert.Contains($"couldn't find output binding {component}", refused.InnerException?.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Workflow_http_api_starts_reads_and_refuses_a_running_duplicate()
    {
        var engine = new InMemoryWorkflows();
        await using var ingest = await _network.StartSidecarAsync(new SidecarOptions { AppId = "wf", AppPort = _echo.Port, Workflows = engine });

        using var start = await _http.PostAsync($"{ingest.HttpEndpoint}/v1.0/workflows/dapr/ImageMetadataWorkflow/start?instanceID=abc_123", new StringContent("{\"name\":\"x\"}"));
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal("abc_123", JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.GetProperty("instanceID").GetString());

        using var again = await _http.PostAsync($"{ingest.HttpEndpoint}/v1.0/workflows/dapr/ImageMetadataWorkflow/start?instanceID=abc_123", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.InternalServerError, again.StatusCode);
        Assert.Contains("ERR_START_WORKFLOW", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var status = await _http.GetAsync($"{ingest.HttpEndpoint}/v1.0/workflows/dapr/abc_123");
        using var body = JsonDocument.Parse(await status.Content.ReadAsStringAsync());
        Assert.Equal("RUNNING", body.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Equal("ImageMetadataWorkflow", body.RootElement.GetProperty("workflowName").GetString());
        Assert.Equal("{\"name\":\"x\"}", body.RootElement.GetProperty("properties").GetProperty("dapr.workflow.input").GetString());

        using var unknown = await _http.GetAsync($"{ingest.HttpEndpoint}/v1.0/workflows/dapr/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var invalid = await _http.PostAsync($"{ingest.HttpEndpoint}/v1.0/workflows/dapr/ImageMetadataWorkflow/start?instanceID=a.b", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    /// <summary>A stand-in engine that keeps instances RUNNING: enough to check the API's shapes and rules.</summary>
    private sealed class InMemoryWorkflows : IWorkflowManagement
    {
        private readonly ConcurrentDictionary<string, WorkflowInstanceView> _instances = new();

        public Task StartAsync(string workflowName, string instanceId, string? inputJson, string? traceParent, string? traceState, CancellationToken cancellationToken)
        {
            var now = DateTimeOffset.UtcNow;
            return _instances.TryAdd(instanceId, new WorkflowInstanceView(instanceId, workflowName, "RUNNING", now, now, inputJson, null, null, null, null))
                ? Task.CompletedTask
                : throw new WorkflowAlreadyRunningException(instanceId);
        }

        public Task<WorkflowInstanceView?> GetAsync(string instanceId, CancellationToken cancellationToken) =>
            Task.FromResult(_instances.GetValueOrDefault(instanceId));

        public Task RaiseEventAsync(string instanceId, string eventName, string? inputJson, CancellationToken cancellationToken) =>
            throw new NotSupportedException("This stand-in only starts and reads instances.");

        public Task TerminateAsync(string instanceId, string? outputJson, CancellationToken cancellationToken) =>
            throw new NotSupportedException("This stand-in only starts and reads instances.");

        public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) =>
            throw new NotSupportedException("This stand-in only starts and reads instances.");
    }

    /// <summary>A loopback app that records what reaches it; <c>/status/{code}</c> answers that code.</summary>
    private sealed class RecordingApp : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, int> _failures = new();
        private WebApplication _app = null!;

        public int Port { get; private set; }

        public ConcurrentQueue<SeenRequest> Requests { get; } = new();

        public void FailNext(string path, int times) => _failures[path] = times;

        public static async Task<RecordingApp> StartAsync()
        {
            var recorder = new RecordingApp { Port = LoopbackPorts.Free() };
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, recorder.Port));
            var app = builder.Build();
            app.Run(recorder.HandleAsync);
            await app.StartAsync();
            recorder._app = app;
            return recorder;
        }

        private async Task HandleAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Path.Value!.Trim('/');
            Requests.Enqueue(new SeenRequest(
                context.Request.Method,
                context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            if (path.StartsWith("status/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = int.Parse(path["status/".Length..], System.Globalization.CultureInfo.InvariantCulture);
                return;
            }

            if (_failures.TryGetValue(path, out var left) && left > 0)
            {
                _failures[path] = left - 1;
                context.Response.StatusCode = 500;
                return;
            }

            context.Response.StatusCode = path is "image-events" or "sweep" or "hello" ? 200 : 202;
            await context.Response.WriteAsync("seen:" + body);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed record SeenRequest(string Method, string PathAndQuery, Dictionary<string, string> Headers);
}
