using System.Net;
using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Ingest;

/// <summary>The store's current records of one container in blob-name order, a keyset page at a time.</summary>
public interface IStoredNames
{
    /// <summary>One page, or null when the store does not serve the listing (an older store during a rolling upgrade).</summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    Task<ImageNamePage?> ReadAsync(ImageNamesRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IStoredNames"/> through service invocation: <c>POST images/names</c> on the store
/// (<see cref="DaprTopology.Methods.ImageNames"/>), bounded by <see cref="IngestOptions.InvocationTimeout"/> as every call
/// to the store is.
/// </summary>
public sealed class StoredNames(IHttpClientFactory clients) : IStoredNames
{
    public async Task<ImageNamePage?> ReadAsync(ImageNamesRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await clients.CreateClient(DaprTopology.AppIds.Store).PostAsJsonAsync(DaprTopology.Methods.ImageNames, request, ContractJson.Options, cancellationToken);
        // 404 or 405 from the store itself (not from the sidecar): a store that predates the listing.
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar)
        {
            return null;
        }

        return await AppAnswer.ReadAsync<ImageNamePage>(response, cancellationToken);
    }
}
