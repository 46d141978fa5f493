using System.Net;
using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Ingest;

/// <summary>
/// Ingest's calls to the store (service invocation through <see cref="AppCalls"/>, bounded by
/// <see cref="IngestOptions.InvocationTimeout"/>): saving a record, and reading what the store knows of an image.
/// </summary>
public sealed class StoreCalls(IHttpClientFactory clients)
{
    private HttpClient Store => clients.CreateClient(DaprTopology.AppIds.Store);

    /// <summary>Upserts a record; the outcome carries the store's reason when it refuses the record itself (400/422).</summary>
    /// <exception cref="AppUnavailableException">No usable answer; worth trying again.</exception>
    public async Task<SaveOutcome> SaveAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var response = await Store.PutAsJsonAsync($"{DaprTopology.Methods.Images}/{record.Id}", record, ContractJson.Options, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return SaveOutcome.Stored;
        }

        var problem = await AppProblem.ReadAsync(response, cancellationToken);
        // The store refuses the record itself: sending it again cannot help.
        return response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity && !problem.FromSidecar
            ? new SaveOutcome(problem.Sentence)
            : throw problem.ToException();
    }

    /// <summary>The record of an image, or null when it has none.</summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<ImageRecord?> FindRecordAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar)
        {
            return null;
        }

        return await AppAnswer.ReadAsync<ImageRecord>(response, cancellationToken);
    }
}
