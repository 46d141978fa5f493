namespace ImageMeta.Web.Service.Pipeline;

/// <summary>
/// Ingest or store did not answer usefully (sidecar or app down, a 5xx, a timeout). Pages turn it into a sentence
/// naming what does not work right now; the rest of the page keeps working.
/// </summary>
public sealed class PipelineUnavailableException(string service, string reason, Exception? inner = null)
    : Exception($"{service} is unavailable: {reason}", inner)
{
    /// <summary>The app id that failed.</summary>
    public string Service { get; } = service;
}

/// <summary>The store refused a query as malformed (400); the detail is the store's sentence.</summary>
public sealed class QueryRejectedException(string detail) : Exception(detail);
