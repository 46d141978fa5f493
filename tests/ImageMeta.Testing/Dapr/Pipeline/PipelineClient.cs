using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>An upload's answer: the image id ingest derived, where to ask for its status, and the trace it started.</summary>
public sealed record UploadResult(ImageId Id, Uri? StatusLocation, string TraceId);

/// <summary>
/// What a user does with the running pipeline (the README's round trip): upload to ingest, ask ingest
/// for status, read and query records from the store. Talks to the apps' own ports, as curl does.
/// </summary>
public sealed class PipelineClient(Uri ingest, Uri store, string? appApiToken = null) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public Uri IngestAddress { get; } = ingest;

    public Uri StoreAddress { get; } = store;

    /// <summary>
    /// <c>POST /images?name=...</c> with the raw bytes, carrying a fresh sampled <c>traceparent</c> so the
    /// caller knows which trace the upload starts.
    /// </summary>
    public async Task<UploadResult> UploadAsync(string name, byte[] content, CancellationToken cancellationToken = default)
    {
        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var spanId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(IngestAddress, $"images?name={Uri.EscapeDataString(name)}"))
        {
            Content = new ByteArrayContent(content),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{spanId}-01");
        AddToken(request);
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new HttpRequestException($"Upload of '{name}' answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        using var json = JsonDocument.Parse(body);
        var id = ImageId.Parse(json.RootElement.GetProperty("id").GetString()!);
        var location = response.Headers.Location is { } l ? (l.IsAbsoluteUri ? l : new Uri(IngestAddress, l)) : null;
        return new UploadResult(id, location, traceId);
    }

    /// <summary>A raw upload for negative cases: the status code and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> TryUploadAsync(string name, byte[] content, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(IngestAddress, $"images?name={Uri.EscapeDataString(name)}"))
        {
            Content = new ByteArrayContent(content),
        };
        AddToken(request);
        using var response = await _http.SendAsync(request, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary><c>GET /images/{id}/status</c> on ingest, as JSON.</summary>
    public async Task<JsonDocument> GetStatusAsync(ImageId id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(IngestAddress, $"images/{id}/status"));
        AddToken(request);
        using var response = await _http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>The store's record, or null while there is none (404).</summary>
    public async Task<ImageRecord?> GetRecordAsync(ImageId id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(StoreAddress, $"images/{id}"));
        AddToken(request);
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ImageRecord>(ContractJson.Options, cancellationToken);
    }

    /// <summary>A GET on the store's app port (for example a thumbnail), with optional request headers; the caller disposes the answer.</summary>
    public async Task<HttpResponseMessage> GetFromStoreAsync(string path, IReadOnlyDictionary<string, string>? headers = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(StoreAddress, path));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        AddToken(request);
        return await _http.SendAsync(request, cancellationToken);
    }

    /// <summary><c>GET /images?{query}</c> on the store, as JSON.</summary>
    public async Task<JsonDocument> QueryAsync(string query, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(StoreAddress, $"images?{query}"));
        AddToken(request);
        using var response = await _http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>
    /// Polls the store until every id has a record or <paramref name="timeout"/> passes; returns what
    /// exists then (the caller asserts on completeness, so a timeout reads as a clear failure, not a hang).
    /// </summary>
    public async Task<IReadOnlyDictionary<ImageId, ImageRecord>> WaitForRecordsAsync(
        IReadOnlyCollection<ImageId> ids, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<ImageId, ImageRecord>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var missing = ids.Where(id => !found.ContainsKey(id)).ToList();
            if (missing.Count == 0 || DateTime.UtcNow > deadline)
            {
                return found;
            }

            await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (id, ct) =>
            {
                ImageRecord? record = null;
                try
                {
                    record = await GetRecordAsync(id, ct);
                }
                catch (HttpRequestException)
                {
                    // The store may be down on purpose (outage scenarios); ask again next round.
                }

                if (record is not null)
                {
                    lock (found)
                    {
                        found[id] = record;
                    }
                }
            });

            if (found.Count < ids.Count)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private void AddToken(HttpRequestMessage request)
    {
        if (appApiToken is not null)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", appApiToken);
        }
    }

    public void Dispose() => _http.Dispose();
}
