using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ImageMeta.Workflow;

/// <summary>
/// The one gRPC channel to the Dapr sidecar that the worker and <see cref="DaprWorkflowClient"/> share:
/// the endpoint from <c>DAPR_GRPC_ENDPOINT</c> or <c>DAPR_GRPC_PORT</c>, and <c>dapr-api-token</c> on every
/// call when <c>DAPR_API_TOKEN</c> is set (docs.dapr.io, "Enable API token authentication in Dapr").
/// </summary>
public sealed class SidecarConnection : IDisposable
{
    /// <summary>The port daprd's gRPC API listens on when nothing else is said.</summary>
    public const int DefaultGrpcPort = 50001;

    private readonly GrpcChannel _channel;

    public SidecarConnection(IOptions<WorkflowRuntimeOptions> options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        Endpoint = ResolveEndpoint(options.Value.GrpcEndpoint, configuration);
        _channel = GrpcChannel.ForAddress(Endpoint, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.Value.MaxMessageBytes,
            MaxSendMessageSize = options.Value.MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                // The work-item stream stays open for the app's lifetime; pings notice a dead sidecar.
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        });
        var token = ServiceDefaultsExtensions.DaprApiToken(configuration);
        Invoker = token is null
            ? _channel.CreateCallInvoker()
            : _channel.CreateCallInvoker().Intercept(metadata =>
            {
                metadata.Add("dapr-api-token", token);
                return metadata;
            });
    }

    /// <summary>The sidecar's gRPC address.</summary>
    public Uri Endpoint { get; }

    /// <summary>Calls made through this invoker carry the API token.</summary>
    public CallInvoker Invoker { get; }

    internal static Uri ResolveEndpoint(string? configured, IConfiguration configuration)
    {
        // The same rule every service's Dapr client follows; daprd's own default port when nothing is set.
        var endpoint = configured is { Length: > 0 }
            ? configured
            : ServiceDefaultsExtensions.SidecarEndpoint(configuration, "GRPC") ?? $"http://127.0.0.1:{DefaultGrpcPort.ToString(CultureInfo.InvariantCulture)}";

        // DAPR_GRPC_ENDPOINT may be given as host:port; without a scheme, loopback means cleartext h2c.
        if (!endpoint.Contains("://", StringComparison.Ordinal))
        {
            endpoint = "http://" + endpoint;
        }

        return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"The Dapr gRPC endpoint '{endpoint}' is not a valid address.");
    }

    public void Dispose() => _channel.Dispose();
}
