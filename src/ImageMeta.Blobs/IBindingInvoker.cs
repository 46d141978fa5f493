using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Options;

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
/// Invokes the binding through the Dapr sidecar with <see cref="DaprClient"/> (gRPC <c>InvokeBinding</c>).
/// Each attempt has a deadline (<see cref="BlobBindingOptions.CallTimeout"/>): a response lost between the
/// sidecar and the app would otherwise hold the caller, and with it an upload, an event or a whole sweep,
/// forever. An attempt that runs out of time is sent again, up to <see cref="BlobBindingOptions.CallAttempts"/>;
/// that is safe because every operation the adapters use is idempotent for us (get, list and delete are;
/// a repeated create writes the same bytes, and workflows are keyed by the version the last create reports).
/// Errors the sidecar does answer are not retried here: retrying the component is daprd's resiliency policy.
/// </summary>
public sealed class DaprBindingInvoker(DaprClient dapr, IOptions<BlobBindingOptions>? options = null) : IBindingInvoker
{
    private readonly TimeSpan _timeout = options?.Value.CallTimeout ?? BlobBindingOptions.DefaultCallTimeout;
    private readonly int _attempts = Math.Max(1, options?.Value.CallAttempts ?? BlobBindingOptions.DefaultCallAttempts);

    public async Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        for (var attempt = 1; ; attempt++)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            try
            {
                return await dapr.InvokeBindingAsync(request, deadline.Token);
            }
            catch (Exception e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= _attempts)
                {
                    throw new BlobBindingUnavailableException(
                        $"The Dapr sidecar did not answer the '{request.Operation}' call on binding '{request.BindingName}' within {_timeout.TotalSeconds:0.#} s, {attempt} time(s).", e);
                }
            }
            catch (DaprException e) when (e.InnerException is RpcException rpc)
            {
                throw rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.ResourceExhausted
                    ? new BlobBindingUnavailableException($"The Dapr sidecar did not answer the '{request.Operation}' call on binding '{request.BindingName}': {rpc.Status.Detail}", e)
                    : new BindingOperationException(rpc.Status.Detail, e);
            }
            catch (HttpRequestException e)
            {
                throw new BlobBindingUnavailableException($"The Dapr sidecar could not be reached: {e.Message}", e);
            }
        }
    }
}
