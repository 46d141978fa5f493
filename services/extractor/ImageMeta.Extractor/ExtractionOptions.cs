using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Extractor;

/// <summary>
/// Limits and switches for extraction, bound from the <c>Extraction</c> configuration section.
/// Limits are checked before anything large is allocated: bytes before reading, pixels from the header,
/// and the memory of all inspections in flight together before each large buffer.
/// </summary>
public sealed class ExtractionOptions : IValidatableObject
{
    public const string SectionName = "Extraction";

    /// <summary>Bytes a verification decode may need per pixel of the frame at most (RGBA, 8 bits a channel).</summary>
    public const int DecodedBytesPerPixel = 4;

    /// <summary>Largest content accepted, in bytes (default 256 MiB).</summary>
    [Range(1, int.MaxValue)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Largest image accepted, in pixels of one frame (default 100 megapixels).</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Decode the pixels to prove the data intact (slower; header-only when false).</summary>
    public bool Verify { get; set; }

    /// <summary>
    /// Bytes all inspections in flight may hold at once: content read into memory plus the pixel buffers
    /// of verification decodes (default 768 MiB, for a 2 GiB container). Must fit one request at the
    /// limits (<see cref="MaxBytes"/> plus a decoded frame of <see cref="MaxPixels"/>), so that a lone
    /// request is never refused for want of room.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxBytesInFlight { get; set; } = 768L * 1024 * 1024;

    /// <summary>What an inspection does when <see cref="MaxBytesInFlight"/> has no room for it (default: wait its turn).</summary>
    public BusyPolicy WhenBusy { get; set; } = BusyPolicy.Wait;

    /// <summary>Seconds a refused caller is told to wait before trying again (the HTTP <c>Retry-After</c>).</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>
    /// How long the CPU-bound steps of one inspection may take (default 30 s): the walk over block and chunk headers
    /// beyond the header (GIF, animated WebP), and a verification decode (checked between batches of rows and between
    /// frames). Past it the image fails <c>too-large</c>: it costs more than one image is granted. Between
    /// <see cref="MinDecodeTime"/> and <see cref="MaxDecodeTimeBound"/>, checked in <see cref="Validate"/> (not by a TimeSpan
    /// [Range], whose type conversion breaks the trimmed NativeAOT build of the CLI).
    /// </summary>
    public TimeSpan MaxDecodeTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The smallest <see cref="MaxDecodeTime"/> accepted.</summary>
    public static TimeSpan MinDecodeTime { get; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The largest <see cref="MaxDecodeTime"/> accepted.</summary>
    public static TimeSpan MaxDecodeTimeBound { get; } = TimeSpan.FromMinutes(10);

    /// <summary>The bytes one request at the limits can hold: its content and one decoded frame.</summary>
    public long LargestSingleHold => MaxBytes + (MaxPixels * DecodedBytesPerPixel);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxDecodeTime < MinDecodeTime || MaxDecodeTime > MaxDecodeTimeBound)
        {
            yield return new ValidationResult($"MaxDecodeTime must be between {MinDecodeTime} and {MaxDecodeTimeBound}.", [nameof(MaxDecodeTime)]);
        }

        if (MaxBytesInFlight < LargestSingleHold)
        {
            yield return new ValidationResult(
                $"MaxBytesInFlight ({MaxBytesInFlight}) must hold one request at the limits: MaxBytes + {DecodedBytesPerPixel} × MaxPixels = {LargestSingleHold}.",
                [nameof(MaxBytesInFlight)]);
        }
    }
}

/// <summary>What to do when the in-flight memory budget has no room for an inspection.</summary>
public enum BusyPolicy
{
    /// <summary>Block until room frees up (a command-line scan: every file gets its turn).</summary>
    Wait,

    /// <summary>Fail at once with <c>unavailable</c> (a service: the caller retries later, as told by <c>Retry-After</c>).</summary>
    Refuse,
}
