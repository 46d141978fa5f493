using System.Net;
using System.Net.Http.Headers;
using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Pipeline;

/// <summary>Ingest's answer to an accepted upload (<c>202 {id, blob, workflow}</c>).</summary>
public sealed record IngestAccepted(ImageId Id, string Workflow);

/// <summary>What ingest said to an upload: accepted, refused (with ingest's status and sentence), or busy for a while.</summary>
public sealed record UploadOutcome(IngestAccepted? Accepted, int Status, string? Detail, string? FailureClass, TimeSpan? RetryAfter);

/// <summary>Ingest's upload and status endpoints, through Dapr service invocation (app id <c>ingest</c>).</summary>
public sealed class IngestCalls(SidecarInvocation ingest)
{
    /// <summary>Sends one file to <c>POST /images?name=</c> as a raw body (ingest's non-multipart form).</summary>
    public async Task<UploadOutcome> UploadAsync(string name, Stream content, long length, string? contentType, CancellationToken cancellationToken)
    {
        using var body = new StreamContent(content);
        body.Headers.ContentLength = length;
        body.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{DaprTopology.Methods.Images}?name={Uri.EscapeDataString(name)}") { Content = body };
        using var response = await ingest.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return new UploadOutcome(await ingest.ReadAsync<IngestAccepted>(response, cancellationToken), 202, null, null, null);
        }

        var (detail, failureClass) = await SidecarInvocation.ProblemAsync(response, cancellationToken);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        if ((int)response.StatusCode >= 500 && !(response.StatusCode == HttpStatusCode.ServiceUnavailable && retryAfter is not null))
        {
            // A 503 with Retry-After means "busy, come back"; any other 5xx means ingest (or its sidecar) cannot take uploads now.
            throw new PipelineUnavailableException(ingest.AppId, detail ?? $"answered {(int)response.StatusCode}");
        }

        return new UploadOutcome(null, (int)response.StatusCode, detail, failureClass, retryAfter);
    }

    /// <summary>The image's workflow state (ingest answers the workflow only; the record is the store's), or null while ingest knows no workflow.</summary>
    public async Task<ImageStatusView?> StatusAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await ingest.GetAsync($"{DaprTopology.Methods.Images}/{id}/status", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ingest.ReadAsync<ImageStatusView>(response, cancellationToken);
    }
}
