using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Dapr;

namespace ImageMeta.Ingest;

/// <summary>
/// The workflow's calls to the extractor (service invocation through <see cref="AppCalls"/>, bounded by
/// <see cref="IngestOptions.InvocationTimeout"/>). A permanent answer (a 4xx whose problem names a permanent class)
/// becomes a typed outcome; anything else is thrown as <see cref="AppUnavailableException"/>, which the workflow's
/// retry policy retries.
/// </summary>
public sealed class ExtractorCalls(IHttpClientFactory clients)
{
    /// <summary>
    /// Metadata, thumbnail and renditions of a blob version from one read of the blob (<see cref="DaprTopology.Methods.Analyze"/>);
    /// each permanent failure is a value in the answer. A permanent problem answer (a request the extractor refuses) fails
    /// both parts with its class.
    /// </summary>
    /// <exception cref="AppUnavailableException">No usable answer; worth trying again.</exception>
    public async Task<ImageAnalysis> AnalyzeAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        var (analysis, failure) = await CallAsync<ImageAnalysis>(DaprTopology.Methods.Analyze, blob, cancellationToken);
        return analysis ?? new ImageAnalysis { Failure = failure, ThumbnailFailure = failure, ExtractorVersion = 0 };
    }

    /// <summary>Metadata of a blob version, or the permanent failure that says why there is none.</summary>
    /// <exception cref="AppUnavailableException">No usable answer; worth trying again.</exception>
    public async Task<ExtractionOutcome> ExtractAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        var (metadata, failure) = await CallAsync<ImageMetadata>(DaprTopology.Methods.Extract, blob, cancellationToken);
        return metadata is not null ? ExtractionOutcome.Extracted(metadata) : ExtractionOutcome.Failed(failure!);
    }

    /// <summary>
    /// Renders the thumbnail of a blob version (the extractor writes it through the thumbnails binding), or the
    /// permanent failure that says why there is none.
    /// </summary>
    /// <exception cref="AppUnavailableException">No usable answer; worth trying again.</exception>
    public async Task<ThumbnailOutcome> MakeThumbnailAsync(BlobReference blob, CancellationToken cancellationToken)
    {
        var (thumbnail, failure) = await CallAsync<ImageThumbnail>(DaprTopology.Methods.Thumbnail, blob, cancellationToken);
        return thumbnail is not null ? ThumbnailOutcome.Made(thumbnail) : ThumbnailOutcome.Failed(failure!);
    }

    private async Task<(T? Value, ProcessingFailure? Failure)> CallAsync<T>(string method, BlobReference blob, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await clients.CreateClient(DaprTopology.AppIds.Extractor).PostAsJsonAsync(method, blob, ContractJson.Options, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return (await AppAnswer.ReadAsync<T>(response, cancellationToken), null);
        }

        var problem = await AppProblem.ReadAsync(response, cancellationToken);
        return problem.IsPermanent ? (null, new ProcessingFailure(problem.FailureClass!, problem.Sentence)) : throw problem.ToException();
    }
}
