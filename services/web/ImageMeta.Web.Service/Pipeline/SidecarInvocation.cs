using System.Text.Json;
using Dapr.Client;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Web.Service.Pipeline;

/// <summary>
/// Dapr's HTTP service invocation for one target app: an HttpClient whose handler sends each request to the sidecar's
/// <c>/v1.0/invoke/{appId}/method/…</c> with <c>dapr-api-token</c> when <c>DAPR_API_TOKEN</c> is set. Transport
/// failures and timeouts become <see cref="PipelineUnavailableException"/>.
/// </summary>
public sealed class SidecarInvocation : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;

    public SidecarInvocation(string appId, IConfiguration configuration, TimeSpan timeout)
    {
        AppId = appId;
        _timeout = timeout;
        _client = DaprClient.CreateInvokeHttpClient(
            appId,
            DaprSidecar.HttpEndpoint(configuration),
            DaprSidecar.ApiToken(configuration));
        _client.Timeout = Timeout.InfiniteTimeSpan;
    }

    public string AppId { get; }

    /// <summary>Sends a request; the caller disposes the answer. Headers are read before returning, the body is not.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (HttpRequestException e)
        {
            throw new PipelineUnavailableException(AppId, e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PipelineUnavailableException(AppId, $"no answer within {_timeout.TotalSeconds:F0} s", e);
        }
    }

    public Task<HttpResponseMessage> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    /// <summary>
    /// A successful answer's JSON body as <typeparamref name="T"/>; any other status, an empty body or JSON of
    /// another shape means the app cannot be used now (<see cref="PipelineUnavailableException"/>).
    /// </summary>
    public async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            throw new PipelineUnavailableException(AppId, $"answered {(int)response.StatusCode}");
        }

        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken)
                ?? throw new PipelineUnavailableException(AppId, "answered an empty body");
        }
        catch (JsonException e)
        {
            throw new PipelineUnavailableException(AppId, "answered something that is not the expected JSON", e);
        }
    }

    /// <summary>The <c>detail</c> and <c>failureClass</c> of a problem answer; nulls when the body is not one.</summary>
    public static async Task<(string? Detail, string? FailureClass)> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        try
        {
            using var problem = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            var root = problem.RootElement;
            return root.ValueKind != JsonValueKind.Object
                ? (null, null)
                : (Text(root, "detail"), Text(root, FailureClass.ProblemMember));
        }
        catch (JsonException)
        {
            return (null, null);
        }

        static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    public void Dispose() => _client.Dispose();
}
