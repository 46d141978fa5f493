using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// A loopback stand-in for one daprd: the Dapr HTTP API on an HTTP/1.1 port and the Dapr gRPC API
/// (plus, for ingest, the Durable Task sidecar service) on an h2c port. Only behaviour daprd documents
/// or implements is reproduced; each piece cites where (dapr/dapr, dapr/components-contrib, docs.dapr.io).
/// Test code only.
/// </summary>
public sealed partial class SidecarDouble : IAsyncDisposable
{
    /// <summary>The header daprd uses for both the app token and the Dapr API token (docs: "Authenticate requests from Dapr using token authentication").</summary>
    public const string ApiTokenHeader = "dapr-api-token";

    private readonly SidecarNetwork _network;
    private WebApplication? _app;
    private int _rejectedForToken;

    internal SidecarDouble(SidecarNetwork network, SidecarOptions options)
    {
        _network = network;
        Options = options;
    }

    public SidecarOptions Options { get; }

    public string AppId => Options.AppId;

    /// <summary>The state stores of the network this sidecar belongs to.</summary>
    internal StateStoreDouble State => _network.State;

    /// <summary>The Dapr HTTP API port (the app's <c>DAPR_HTTP_PORT</c>).</summary>
    public int HttpPort { get; private set; }

    /// <summary>The Dapr gRPC API port (the app's <c>DAPR_GRPC_PORT</c>).</summary>
    public int GrpcPort { get; private set; }

    public string HttpEndpoint => $"http://127.0.0.1:{HttpPort}";

    public string GrpcEndpoint => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>Calls refused because they lacked the configured <see cref="SidecarOptions.DaprApiToken"/>.</summary>
    public int RejectedForMissingApiToken => Volatile.Read(ref _rejectedForToken);

    /// <summary>The environment an app needs to find this sidecar, as daprd (or <c>dapr run</c>) sets it.</summary>
    public IReadOnlyDictionary<string, string> AppEnvironment()
    {
        var env = new Dictionary<string, string>
        {
            ["APP_ID"] = AppId,
            ["DAPR_HTTP_PORT"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_HTTP_ENDPOINT"] = HttpEndpoint,
            ["DAPR_GRPC_ENDPOINT"] = GrpcEndpoint,
        };
        if (Options.AppApiToken is { } appToken)
        {
            env["APP_API_TOKEN"] = appToken;
        }

        if (Options.DaprApiToken is { } daprToken)
        {
            env["DAPR_API_TOKEN"] = daprToken;
        }

        return env;
    }

    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        HttpPort = Options.HttpPort != 0 ? Options.HttpPort : LoopbackPorts.Free();
        GrpcPort = Options.GrpcPort != 0 ? Options.GrpcPort : LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = Options.MaxBodyBytes;
            kestrel.Listen(IPAddress.Loopback, HttpPort, o => o.Protocols = HttpProtocols.Http1);
            // daprd's gRPC API is plaintext HTTP/2 on localhost; clients connect with prior knowledge (h2c).
            kestrel.Listen(IPAddress.Loopback, GrpcPort, o => o.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddRouting();
        builder.Services.AddGrpc(grpc =>
        {
            // daprd applies --max-body-size to gRPC messages as well (MaxRecvMsgSize/MaxSendMsgSize).
            grpc.MaxReceiveMessageSize = (int)Math.Min(int.MaxValue, Options.MaxBodyBytes);
            grpc.MaxSendMessageSize = (int)Math.Min(int.MaxValue, Options.MaxBodyBytes);
        });
        builder.Services.AddSingleton(this);
        builder.Services.AddSingleton<DaprGrpcApi>();
        Options.ConfigureExtraServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.Use(RequireDaprApiToken);
        MapHttpApi(app);
        app.MapGrpcService<DaprGrpcApi>();
        Options.MapExtraEndpoints?.Invoke(app);

        await app.StartAsync(cancellationToken);
        _app = app;
    }

    /// <summary>
    /// dapr/dapr pkg/api/http/middlewares.go APITokenAuthMiddleware: with a token configured, every HTTP
    /// call but <c>GET /v1.0/healthz</c> and <c>GET /v1.0/healthz/outbound</c> needs it ("invalid api token", 401);
    /// pkg/api/grpc/auth.go: gRPC calls without it get Unauthenticated. The header is not passed on.
    /// </summary>
    private async Task RequireDaprApiToken(HttpContext context, RequestDelegate next)
    {
        if (Options.DaprApiToken is not { } token)
        {
            await next(context);
            return;
        }

        var presented = context.Request.Headers[ApiTokenHeader].ToString();
        var path = context.Request.Path.Value?.Trim('/') ?? string.Empty;
        var excluded = HttpMethods.IsGet(context.Request.Method) && path is "v1.0/healthz" or "v1.0/healthz/outbound";
        if (presented != token && !excluded)
        {
            Interlocked.Increment(ref _rejectedForToken);
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                context.Response.ContentType = "application/grpc";
                context.Response.AppendTrailer("grpc-status", ((int)Grpc.Core.StatusCode.Unauthenticated).ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.Response.AppendTrailer("grpc-message", "Unauthorized");
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("invalid api token\n");
            return;
        }

        context.Request.Headers.Remove(ApiTokenHeader);
        await next(context);
    }

    /// <summary>The JSON error body daprd writes (pkg/messages/api_error.go: <c>{"errorCode": ..., "message": ...}</c>).</summary>
    internal static async Task WriteDaprErrorAsync(HttpContext context, int status, string errorCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["errorCode"] = errorCode,
            ["message"] = message,
        }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Streams (GetWorkItems) held open by an app; disposal below closes them.
            }

            await app.DisposeAsync();
        }
    }
}
