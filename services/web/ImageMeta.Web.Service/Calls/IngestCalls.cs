using System.Net;
using System.Net.Http.Headers;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Web.Service.Calls;

/// <summary>What ingest said to an upload: accepted, refused (with ingest's status and sentence), or busy for a while.</summary>
public sealed record UploadOutcome(UploadAccepted? Accepted, AppProblem? Refused, TimeSpan? RetryAfter);

/// <summary>
/// What ingest said to an act on images (delete, process again, a reprocessing job's start, pause, resume, cancel):
/// done (<see cref="Status"/> 2xx) or refused with ingest's own sentence (a 4xx it wrote: unknown id, already deleted,
/// a finished job).
/// </summary>
public sealed record ActOutcome(int Status, string? Refusal)
{
    public bool Done => Status is >= 200 and < 300;
}

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

    /// <summary><c>DELETE /images/{id}</c>: 202 while its delete workflow runs, 204 once nothing is left; 404 when nobody knows the image.</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) did not answer usably.</exception>
    public async Task<ActOutcome> DeleteAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Ingest.DeleteAsync($"{DaprTopology.Methods.Images}/{id}", cancellationToken);
        return await ActAsync(response, cancellationToken);
    }

    /// <summary><c>POST /images/{id}/reprocess</c>: 202 when the image's workflow runs again; 404 without a record, 409 for a deleted image.</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) did not answer usably.</exception>
    public async Task<ActOutcome> ReprocessAsync(ImageId id, CancellationToken cancellationToken)
    {
        using var response = await Ingest.PostAsync($"{DaprTopology.Methods.Images}/{id}/reprocess", content: null, cancellationToken);
        return await ActAsync(response, cancellationToken);
    }

    /// <summary><c>GET /reprocessing</c>: running and past jobs, newest first.</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) did not answer usably.</exception>
    public async Task<ReprocessingJobs> JobsAsync(CancellationToken cancellationToken)
    {
        using var response = await Ingest.GetAsync(DaprTopology.Methods.Reprocessing, cancellationToken);
        return await AppAnswer.ReadAsync<ReprocessingJobs>(response, cancellationToken);
    }

    /// <summary><c>POST /reprocessing</c>: starts a job over the records <paramref name="request"/> matches.</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) did not answer usably.</exception>
    public async Task<ActOutcome> StartJobAsync(ReprocessingRequest request, CancellationToken cancellationToken)
    {
        using var response = await Ingest.PostAsJsonAsync(DaprTopology.Methods.Reprocessing, request, ContractJson.Options, cancellationToken);
        return await ActAsync(response, cancellationToken);
    }

    /// <summary><c>POST /reprocessing/{id}/{action}</c> with <paramref name="action"/> one of <see cref="JobActions"/>.</summary>
    /// <exception cref="AppUnavailableException">Ingest (or its sidecar) did not answer usably.</exception>
    public async Task<ActOutcome> JobActionAsync(string jobId, string action, CancellationToken cancellationToken)
    {
        if (!JobActions.Contains(action))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "Not a job action.");
        }

        using var response = await Ingest.PostAsync($"{DaprTopology.Methods.Reprocessing}/{Uri.EscapeDataString(jobId)}/{action}", content: null, cancellationToken);
        return await ActAsync(response, cancellationToken);
    }

    /// <summary>What a job can be told: its workflow's suspend, resume and terminate.</summary>
    public static readonly IReadOnlySet<string> JobActions = new HashSet<string>(StringComparer.Ordinal) { "pause", "resume", "cancel" };

    /// <summary>A 2xx is done; a 4xx ingest wrote is its refusal; anything else (5xx, daprd answering for ingest) throws.</summary>
    private static async Task<ActOutcome> ActAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return new ActOutcome((int)response.StatusCode, null);
        }

        var problem = await AppProblem.ReadAsync(response, cancellationToken);
        if (problem.FromSidecar || problem.Status >= 500)
        {
            throw problem.ToException();
        }

        return new ActOutcome(problem.Status, problem.Sentence);
    }
}
