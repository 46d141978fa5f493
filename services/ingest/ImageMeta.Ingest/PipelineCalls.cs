using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// Ingest's calls to the other services, through Dapr service invocation (HTTP through the sidecar), each
/// bounded by <see cref="IngestOptions.InvocationTimeout"/>. Answers are classified once here: a permanent
/// answer becomes a typed outcome (<see cref="ExtractionOutcome"/>, <see cref="SaveOutcome"/>), anything else
/// an exception the workflow's retry policy retries.
/// </summary>
public sealed class PipelineCalls : IDisposable
{
    private readonly IOptions<IngestOptions> _options;
    private readonly Dictionary<string, HttpClient> _apps;

    public PipelineCalls(IConfiguration configuration, IOptions<IngestOptions> options)
    {
        _options = options;
        // Dapr's recommended form of HTTP service invocation: an HttpClient whose handler sends each request
        // to the sidecar's /v1.0/invoke/{appId}/method/... with dapr-api-token when DAPR_API_TOKEN is set.
        var endpoint = ServiceDefaultsExtensions.SidecarEndpoint(configuration, "HTTP");
        var token = ServiceDefaultsExtensions.DaprApiToken(configuration);
        _apps = new Dictionary<string, HttpClient>(StringComparer.Ordinal)
        {
            [DaprTopology.AppIds.Extractor] = Client(DaprTopology.AppIds.Extractor, endpoint, token),
            [DaprTopology.AppIds.Store] = Client(DaprTopology.AppIds.Store, endpoint, token),
        };
    }

    private static HttpClient Client(string appId, string? endpoint, string? token)
    {
        var client = DaprClient.CreateInvokeHttpClient(appId, endpoint, token);
        client.Timeout = Timeout.InfiniteTimeSpan;
        return client;
    }

    /// <summary>Extractor: metadata of a blob version, or the permanent failure that says why there is none.</summary>
    /// <exception cref="HttpRequestException">A transient answer (5xx, or a 4xx without a permanent class).</exception>
    /// <exception cref="TimeoutException">No answer within the invocation timeout.</exception>
    public async Task<ExtractionOutcome> ExtractAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        var (metadata, failure) = await CallExtractorAsync<ImageMetadata>(DaprTopology.Methods.Extract, blob, cancellationToken);
        return metadata is not null ? ExtractionOutcome.Extracted(metadata) : ExtractionOutcome.Failed(failure!);
    }

    /// <summary>
    /// Extractor: render the thumbnail of a blob version (the extractor writes it through the thumbnails binding),
    /// or the permanent failure that says why there is none.
    /// </summary>
    /// <exception cref="HttpRequestException">A transient answer (5xx, or a 4xx without a permanent class).</exception>
    /// <exception cref="TimeoutException">No answer within the invocation timeout.</exception>
    public async Task<ThumbnailOutcome> MakeThumbnailAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        var (thumbnail, failure) = await CallExtractorAsync<ImageThumbnail>(DaprTopology.Methods.Thumbnail, blob, cancellationToken);
        return thumbnail is not null ? ThumbnailOutcome.Made(thumbnail) : ThumbnailOutcome.Failed(failure!);
    }

    /// <summary>
    /// One extractor method on a blob version: its answer, or a permanent failure (a 4xx whose problem names a
    /// permanent class). Anything else is thrown, for the workflow's retry policy.
    /// </summary>
    private async Task<(T? Value, ProcessingFailure? Failure)> CallExtractorAsync<T>(string method, BlobReference blob, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(HttpMethod.Post, DaprTopology.AppIds.Extractor, method, blob, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            var value = await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken)
                ?? throw new InvalidOperationException($"The extractor answered {method} with success and an empty body.");
            return (value, null);
        }

        var (failureClass, detail) = await ReadProblemAsync(response, cancellationToken);
        if ((int)response.StatusCode is >= 400 and < 500 && failureClass is not null && FailureClass.Permanent.Contains(failureClass))
        {
            return (null, new ProcessingFailure(failureClass, detail));
        }

        throw new HttpRequestException($"The extractor answered {method} with {(int)response.StatusCode}: {detail}", null, response.StatusCode);
    }

    /// <summary>Store: upsert a record; the outcome carries the store's reason when it refuses the record itself.</summary>
    /// <exception cref="HttpRequestException">A transient answer (5xx, or another unexpected status).</exception>
    /// <exception cref="TimeoutException">No answer within the invocation timeout.</exception>
    public async Task<SaveOutcome> SaveAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, DaprTopology.AppIds.Store, $"{DaprTopology.Methods.Images}/{record.Id}", record, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return SaveOutcome.Stored;
        }

        var (_, detail) = await ReadProblemAsync(response, cancellationToken);
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
        {
            // The store refuses the record itself: sending it again cannot help.
            return new SaveOutcome(detail);
        }

        throw new HttpRequestException($"The store answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
    }

    /// <summary>Store: the record of an image, or null when it has none.</summary>
    public async Task<ImageRecord?> FindRecordAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, DaprTopology.AppIds.Store, $"{DaprTopology.Methods.Images}/{id}", null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            var (_, detail) = await ReadProblemAsync(response, cancellationToken);
            throw new HttpRequestException($"The store answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<ImageRecord>(ContractJson.Options, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string appId, string path, object? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Value.InvocationTimeout);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
        {
            Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: ContractJson.Options),
        };
        try
        {
            return await _apps[appId].SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{appId} did not answer {method} {path} within {_options.Value.InvocationTimeout}.");
        }
    }

    /// <summary>The <c>failureClass</c> and <c>detail</c> of a problem-details answer, when it is one.</summary>
    private static async Task<(string? FailureClass, string Detail)> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var failureClass = root.TryGetProperty(FailureClass.ProblemMember, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                    : root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                return (failureClass, detail ?? Truncate(text));
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's error page, say): the text itself is the detail.
        }

        return (null, Truncate(text));
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    public void Dispose()
    {
        foreach (var client in _apps.Values)
        {
            client.Dispose();
        }
    }
}
