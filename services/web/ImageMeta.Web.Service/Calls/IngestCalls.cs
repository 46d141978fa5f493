using System.Net;
using System.Net.Http.Headers;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Web.Service.Calls;

/// <summary>What ingest said to an upload: accepted, refused (with ingest's status and sentence), or busy for a while.</summary>
public sealed record UploadOutcome(UploadAccepted? Accepted, AppProblem? Refused, TimeSpan? RetryAfter);

/// <summary>Ingest's upload and status endpoints, through Dapr service invocation (<see cref="AppCalls"/>, app id <c>ingest</c>).</summary>
public sealed class IngestCalls(IHttpClientFactory clients)
{
    private HttpClient Ingest => clients.CreateClient(DaprTopology.AppIds.Ingest);

    /// <summary>Sends one file to <c>POST /images?name=</c> as a raw body (ingest's non-multipart form).</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) cannot take uploads now.</exception>
    public async Task<UploadOutcome> UploadAsync(string name, Stream content, long length, string? contentType, CancellationToken cancellationToken)
    {
        using var body = new StreamContent(content);
        body.Headers.ContentLength = length;
        body.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        using var response = await Ingest.PostAsync($"{DaprTopology.Methods.Images}?name={Uri.EscapeDataString(name)}", body, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return new UploadOutcome(await AppAnswer.ReadAsync<UploadAccepted>(response, cancellationToken), null, null);
        }

        var problem = await AppProblem.ReadAsync(response, cancellationToken);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        if (problem.FromSidecar || (problem.Status >= 500 && !(response.StatusCode == HttpStatusCode.ServiceUnavailable && retryAfter is not null)))
        {
            // A 503 with Retry-After means "busy, come back"; any other 5xx, or daprd answering for ingest, means ingest
            // (or its sidecar) cannot take uploads now.
            throw problem.ToException();
        }

        return new UploadOutcome(null, problem, retryAfter);
    }

    /// <summary>The image's workflow state (ingest answers the workflow only; the record is the store's), or null while ingest knows no workflow.</summary>
    /// <exception cref="AppUnavailableException">No usable answer.</exception>
    public async Task<ImageStatusView?> StatusAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Ingest.GetAsync($"{DaprTopology.Methods.Images}/{id}/status", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && !(await AppProblem.ReadAsync(response, cancellationToken)).FromSidecar)
        {
            return null;
        }

        return await AppAnswer.ReadAsync<ImageStatusView>(response, cancellationToken);
    }
}
