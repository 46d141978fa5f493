using Dapr;
using Dapr.Client;
using Grpc.Core;

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

/// <summary>Invokes the binding through the Dapr sidecar with <see cref="DaprClient"/> (gRPC <c>InvokeBinding</c>).</summary>
public sealed class DaprBindingInvoker(DaprClient dapr) : IBindingInvoker
{
    public async Task<BindingResponse> InvokeAsync(BindingRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await dapr.InvokeBindingAsync(request, cancellationToken);
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
