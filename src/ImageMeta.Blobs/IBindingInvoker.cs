using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ImageMeta.Dapr;
using Microsoft.Extensions.Options;
using Autogen = Dapr.Client.Autogen.Grpc.v1;

namespace ImageMeta.Blobs;

/// <summary>The one call the adapters make: invoke an operation on the output binding. A seam so tests can answer with the documented shapes.</summary>
public interface IBindingInvoker
{
    /// <exception cref="BindingOperationException">The component answered with an error (its message is kept).</exception>
    /// <exception cref="BlobBindingUnavailableException">The sidecar could not be reached or timed out.</exception>
    Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken);
}

/// <summary>The binding component itself reported an error (as opposed to the sidecar being unreachable).</summary>
public sealed class BindingOperationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Invokes the binding through the Dapr sidecar's gRPC <c>InvokeBinding</c>, with the generated client rather than
/// <see cref="DaprClient"/>: <see cref="DaprClient.InvokeBindingAsync(BindingRequest, CancellationToken)"/> copies
/// the request data into a new <see cref="ByteString"/>, which for an upload is one more copy of its base64 form.
/// Here the request wraps the caller's bytes (<see cref="UnsafeByteOperations.UnsafeWrap"/>; they are not changed
/// while the call runs) and the response's data is the parsed message's own bytes, so a blob is held once.
/// Each attempt has a deadline (<see cref="BlobBindingOptions.CallTimeout"/>): a response lost between the
/// sidecar and the app would otherwise hold the caller, and with it an upload, an event or a whole sweep,
/// forever. An attempt that runs out of time is sent again, up to <see cref="BlobBindingOptions.CallAttempts"/>;
/// that is safe because every operation the adapters use is idempotent for us (get, list and delete are;
/// a repeated create writes the same bytes, and workflows are keyed by the version the last create reports).
/// Errors the sidecar does answer are not retried here: retrying the component is daprd's resiliency policy.
/// </summary>
public sealed class DaprBindingInvoker : IBindingInvoker, IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Autogen.Dapr.DaprClient _sidecar;
    private readonly Metadata? _headers;
    private readonly TimeSpan _timeout;
    private readonly int _attempts;

    /// <param name="grpcEndpoint">The sidecar's gRPC endpoint, e.g. <c>http://127.0.0.1:50001</c>.</param>
    /// <param name="apiToken">Sent as <c>dapr-api-token</c> when set.</param>
    /// <param name="maxMessageBytes">Largest message sent or received (a create carries base64: 4/3 of the blob).</param>
    /// <param name="options">Call deadline and attempts; the defaults when null.</param>
    public DaprBindingInvoker(string grpcEndpoint, string? apiToken, int maxMessageBytes, IOptions<BlobBindingOptions>? options = null)
    {
        _channel = GrpcChannel.ForAddress(grpcEndpoint, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
        });
        _sidecar = new Autogen.Dapr.DaprClient(_channel);
        _headers = apiToken is { Length: > 0 } ? new Metadata { { DaprSidecar.ApiTokenHeader, apiToken } } : null;
        _timeout = options?.Value.CallTimeout ?? BlobBindingOptions.DefaultCallTimeout;
        _attempts = Math.Max(1, options?.Value.CallAttempts ?? BlobBindingOptions.DefaultCallAttempts);
    }

    public async Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var envelope = new Autogen.InvokeBindingRequest
        {
            Name = request.BindingName,
            Operation = request.Operation,
            Data = UnsafeByteOperations.UnsafeWrap(request.Data),
        };
        envelope.Metadata.Add(request.Metadata);
        for (var attempt = 1; ; attempt++)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            try
            {
                var response = await _sidecar.InvokeBindingAsync(envelope, new CallOptions(_headers, cancellationToken: deadline.Token));
                return new BindingResponse(request, response.Data.Memory, response.Metadata);
            }
            catch (Exception e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= _attempts)
                {
                    throw new BlobBindingUnavailableException(
                        $"The Dapr sidecar did not answer the '{request.Operation}' call on binding '{request.BindingName}' within {_timeout.TotalSeconds:0.#} s, {attempt} time(s).", e);
                }
            }
            catch (RpcException rpc) when (rpc.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                // The caller gave up (a client that went away): that is a cancellation, not an outage.
                throw new OperationCanceledException($"The '{request.Operation}' call on binding '{request.BindingName}' was cancelled.", rpc, cancellationToken);
            }
            catch (RpcException rpc)
            {
                throw rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.ResourceExhausted
                    ? new BlobBindingUnavailableException($"The Dapr sidecar did not answer the '{request.Operation}' call on binding '{request.BindingName}': {rpc.Status.Detail}", rpc)
                    : new BindingOperationException(rpc.Status.Detail, rpc);
            }
            catch (HttpRequestException e)
            {
                throw new BlobBindingUnavailableException($"The Dapr sidecar could not be reached: {e.Message}", e);
            }
        }
    }

    public void Dispose() => _channel.Dispose();
}
