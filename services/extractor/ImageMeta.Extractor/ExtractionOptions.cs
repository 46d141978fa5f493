using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Extractor;

/// <summary>
/// Limits and switches for extraction, bound from the <c>Extraction</c> configuration section.
/// Limits are checked before anything large is allocated: bytes before reading, pixels from the header.
/// </summary>
public sealed class ExtractionOptions
{
    public const string SectionName = "Extraction";

    /// <summary>Largest content accepted, in bytes (default 256 MiB).</summary>
    [Range(1, int.MaxValue)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest image accepted, in pixels of one frame (default 100 megapixels).</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Decode the pixels to prove the data intact (slower; header-only when false).</summary>
    public bool Verify { get; set; }
}
