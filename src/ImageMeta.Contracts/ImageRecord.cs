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
    public ExtractionFailure? Failure { get; init; }

    /// <summary>When the pipeline finished with this image (set by the workflow).</summary>
    public required DateTimeOffset ProcessedAt { get; init; }
}

/// <summary>The outcomes a stored record can have.</summary>
public static class ImageStatus
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
