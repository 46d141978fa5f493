using System.Globalization;
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
        // The image was deleted while this run was under way (the store keeps a tombstone): the delete wins.
        if (problem is { FromSidecar: false, Status: StatusCodes.Conflict, FailureClass: Contracts.FailureClass.Deleted })
        {
            return SaveOutcome.Deleted;
        }

        // The store refuses the record itself: sending it again cannot help.
        return response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity && !problem.FromSidecar
            ? new SaveOutcome(problem.Sentence)
            : throw problem.ToException();
    }

    /// <summary>
    /// What the store says of an image before a delete: its record; none (404); or deleted (410 <c>deleted</c>: a
    /// tombstone, written by the store's delete after everything else of the image was gone).
    /// </summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<(ImageRecord? Record, bool Deleted)> ReadBeforeDeleteAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return (await AppAnswer.ReadAsync<ImageRecord>(response, cancellationToken), false);
        }

        var problem = await AppProblem.ReadAsync(response, cancellationToken);
        return problem switch
        {
            { FromSidecar: false, Status: StatusCodes.NotFound } => (null, false),
            { FromSidecar: false, Status: StatusCodes.Gone, FailureClass: Contracts.FailureClass.Deleted } => (null, true),
            _ => throw problem.ToException(),
        };
    }

    /// <summary>
    /// Removes an image's record and its thumbnail blobs and writes its tombstone (<c>DELETE images/{id}</c>: 204 whether
    /// or not a record was there, so a repeated delete is harmless). A 503 (thumbnails not deleted yet; the record is
    /// gone) is thrown like any other failure, for the caller to try again.
    /// </summary>
    /// <exception cref="AppUnavailableException">The store did not confirm the delete.</exception>
    public async Task DeleteAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Store.DeleteAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw (await AppProblem.ReadAsync(response, cancellationToken)).ToException();
        }
    }

    /// <summary>Most records of one blob name read at once (every stored version of it, <c>versions=all</c>).</summary>
    public const int MaxVersionsPerName = 100;

    /// <summary>The stored records of every version of one blob name, newest first (at most <see cref="MaxVersionsPerName"/>).</summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<IReadOnlyList<ImageRecord>> RecordsNamedAsync(string container, string name, CancellationToken cancellationToken)
    {
        var query = $"{DaprTopology.Methods.Images}?container={Uri.EscapeDataString(container)}&name={Uri.EscapeDataString(name)}&versions=all&limit={MaxVersionsPerName}";
        using var response = await Store.GetAsync(query, cancellationToken);
        return (await AppAnswer.ReadAsync<ImagePage>(response, cancellationToken)).Items;
    }

    /// <summary>
    /// One keyset page of the current records that match a reprocessing filter (<c>GET images</c> with the filter's
    /// parameters, newest insertion first), and the cursor of the next page (null after the last).
    /// </summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<ImagePage> MatchingPageAsync(ReprocessingFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = new List<string> { $"limit={limit.ToString(CultureInfo.InvariantCulture)}" };
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("status", filter.Status);
        Add("failureClass", filter.FailureClass);
        Add("format", filter.Format);
        Add("extractorVersionBelow", filter.ExtractorVersionBelow?.ToString(CultureInfo.InvariantCulture));
        Add("processedBefore", filter.ProcessedBefore?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        Add("cursor", cursor);
        using var response = await Store.GetAsync($"{DaprTopology.Methods.Images}?{string.Join('&', query)}", cancellationToken);
        return await AppAnswer.ReadAsync<ImagePage>(response, cancellationToken);
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

    /// <summary>Most ids the store's lookup takes in one call.</summary>
    public const int MaxLookupIds = 500;

    /// <summary>
    /// What the store knows of these images, in one call per <see cref="MaxLookupIds"/> ids (<c>POST images/lookup</c>):
    /// the ids without a record are absent. A store that does not serve the lookup yet (404/405 during a rolling upgrade)
    /// is asked one id at a time.
    /// </summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<IReadOnlyDictionary<ImageId, RecordSummary>> LookupAsync(IReadOnlyCollection<ImageId> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<ImageId, RecordSummary>();
        foreach (var chunk in ids.Distinct().Chunk(MaxLookupIds))
        {
            using var response = await Store.PostAsJsonAsync($"{DaprTopology.Methods.Images}/lookup", new LookupRequest(chunk), ContractJson.Options, cancellationToken);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar)
            {
                foreach (var id in chunk)
                {
                    if (await FindRecordAsync(id, cancellationToken) is { } record)
                    {
                        found[id] = new RecordSummary(record.Id, record.Status, record.Failure?.Class, record.ExtractorVersion, record.Blob);
                    }
                }

                continue;
            }

            foreach (var record in (await AppAnswer.ReadAsync<LookupAnswer>(response, cancellationToken)).Records)
            {
                found[record.Id] = record;
            }
        }

        return found;
    }

    private sealed record LookupRequest(IReadOnlyList<ImageId> Ids);

    private sealed record LookupAnswer(IReadOnlyList<RecordSummary> Records);
}

/// <summary>What the store's lookup answers per image: enough to tell whether it needs processing again.</summary>
/// <summary>The HTTP statuses the store's answers are told apart by.</summary>
file static class StatusCodes
{
    public const int NotFound = 404;
    public const int Conflict = 409;
    public const int Gone = 410;
}

public sealed record RecordSummary(ImageId Id, string Status, string? FailureClass, int ExtractorVersion, BlobReference Blob)
{
    /// <summary>A record whose outcome says nothing about the image (a service was missing): the repair loop runs it again.</summary>
    public bool NeedsRepair => FailureClass == Contracts.FailureClass.Unavailable;
}
