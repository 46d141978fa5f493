using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Extractor;

/// <summary>
/// Settings of thumbnail rendering, bound from the <c>Thumbnails</c> configuration section. The byte, pixel and
/// in-flight memory limits are extraction's own (<see cref="ExtractionOptions"/>): a thumbnail reads the same blobs.
/// </summary>
public sealed class ThumbnailOptions
{
    public const string SectionName = "Thumbnails";

    /// <summary>Lossy WebP quality, 1–100 (default 80: artefacts invisible at thumbnail size, about 10 KB for a photo).</summary>
    [Range(1, 100)]
    public int Quality { get; set; } = 80;

    /// <summary>
    /// How long decoding and scaling one image may take (default 30 s). Checked between batches of rows where the
    /// codec decodes row by row (JPEG, BMP), and after each whole-frame step elsewhere; past it the image fails
    /// <c>too-large</c>: it costs more than the service grants one image. Between <see cref="MinRenderTime"/> and
    /// <see cref="MaxRenderTimeBound"/>, checked at start (not by a TimeSpan [Range], whose type conversion breaks
    /// the trimmed NativeAOT build of the CLI, which links this library).
    /// </summary>
    public TimeSpan MaxRenderTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether formats SkiaSharp does not decode (HEIF, AVIF, TIFF, camera RAW previews, JPEG XL, JPEG 2000, PSD,
    /// Netpbm, CUR) get thumbnails through <see cref="FallbackDecoder"/> (default on). Off, for an operator who does
    /// not want ImageMagick's native code (its LGPL parts, the HEVC decoder's patents: README) run on uploads: those
    /// formats still get their metadata, and their thumbnail fails <c>unsupported</c>.
    /// </summary>
    public bool FallbackDecoder { get; set; } = true;

    /// <summary>The smallest <see cref="MaxRenderTime"/> accepted.</summary>
    public static TimeSpan MinRenderTime { get; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest <see cref="MaxRenderTime"/> accepted.</summary>
    public static TimeSpan MaxRenderTimeBound { get; } = TimeSpan.FromMinutes(10);
}
