namespace ImageMeta.Contracts;

/// <summary>
/// One image as the store keeps it: which blob version it is, whether extraction succeeded, and the
/// metadata or the failure. Every image that entered the pipeline ends as exactly one record.
/// </summary>
public sealed record ImageRecord
{
    /// <summary>Derived from <see cref="Blob"/>: <c>ImageId.For(container, name, version)</c>.</summary>
    public required ImageId Id { get; init; }

    /// <summary>The blob version this record describes.</summary>
    public required BlobReference Blob { get; init; }

    /// <summary><see cref="ImageStatus.Succeeded"/> or <see cref="ImageStatus.Failed"/>.</summary>
    public required string Status { get; init; }

    /// <summary>Present when <see cref="Status"/> is succeeded.</summary>
    public ImageMetadata? Metadata { get; init; }

    /// <summary>Present when <see cref="Status"/> is failed.</summary>
    public ProcessingFailure? Failure { get; init; }

    /// <summary>The preview and perceptual hash; null when there is none (see <see cref="ThumbnailFailure"/>).</summary>
    public ImageThumbnail? Thumbnail { get; init; }

    /// <summary>
    /// Why there is no thumbnail (a format that cannot be decoded, a limit exceeded, the extractor unreachable past
    /// the retries). A thumbnail failure never fails the image: <see cref="Status"/> follows the metadata alone.
    /// Null when <see cref="Thumbnail"/> is present, and on records written before thumbnails existed.
    /// </summary>
    public ProcessingFailure? ThumbnailFailure { get; init; }

    /// <summary>
    /// The extractor's output version that made <see cref="Metadata"/> and <see cref="Thumbnail"/> (the extractor's answer
    /// carries it); 0 when the extractor never answered (an <c>unavailable</c> outcome) or the name was refused before
    /// any extraction (<c>invalid-name</c>). A reprocessing job selects records below the current version.
    /// </summary>
    public int ExtractorVersion { get; init; }

    /// <summary>The build of the extractor that answered (its <c>/healthz</c> version), when it said.</summary>
    public string? ExtractorBuild { get; init; }

    /// <summary>When the pipeline finished with this image (set by the workflow).</summary>
    public required DateTimeOffset ProcessedAt { get; init; }

    /// <summary>
    /// The media type the original is served as for a browser to show (<see cref="ImageFormats.ShownMediaType"/> of
    /// its format), or null when it is served as a download: every failed record, and formats browsers do not display.
    /// </summary>
    public string? OriginalMediaType() => Status == ImageStatus.Succeeded ? ImageFormats.ShownMediaType(Metadata?.Format) : null;

    /// <summary>The name the original is offered for saving as: the blob name's last segment, else the image id.</summary>
    public string OriginalFileName() => Blob.Name[(Blob.Name.LastIndexOf('/') + 1)..] is { Length: > 0 } name ? name : Id.ToString();
}

/// <summary>The outcomes a stored record can have.</summary>
public static class ImageStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
