namespace ImageMeta.Contracts;

/// <summary>
/// The extractor's answer to <c>POST /analyze</c> (<see cref="DaprTopology.Methods.Analyze"/>): what one read of an
/// image version gives. Exactly one of <see cref="Metadata"/> and <see cref="Failure"/>, exactly one of
/// <see cref="Thumbnail"/> and <see cref="ThumbnailFailure"/>; a permanent failure is a value here, never an HTTP error
/// (transient ones answer 503 <c>unavailable</c> instead, so the workflow's activity retries).
/// </summary>
public sealed record ImageAnalysis
{
    /// <summary>The metadata; null when <see cref="Failure"/> says why there is none.</summary>
    public ImageMetadata? Metadata { get; init; }

    /// <summary>Why there is no metadata; null when there is.</summary>
    public ProcessingFailure? Failure { get; init; }

    /// <summary>The thumbnail (with its renditions), already written through the thumbnails binding; null when <see cref="ThumbnailFailure"/> says why not.</summary>
    public ImageThumbnail? Thumbnail { get; init; }

    /// <summary>Why there is no thumbnail; null when there is one. Never fails the image by itself.</summary>
    public ProcessingFailure? ThumbnailFailure { get; init; }

    /// <summary>The extraction output's version (<see cref="ExtractorVersions.Current"/> of the extractor that answered).</summary>
    public required int ExtractorVersion { get; init; }

    /// <summary>The extractor's build version, as its <c>/healthz</c> says (for example <c>1.2.4-alpha.0.5+abc123</c>).</summary>
    public string? ExtractorBuild { get; init; }
}
