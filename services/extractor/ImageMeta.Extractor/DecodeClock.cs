using System.Diagnostics;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// The time one inspection's CPU-bound steps (header walks, verification decodes) have used, against
/// <see cref="ExtractionOptions.MaxDecodeTime"/>. Steps call <see cref="Check"/> between batches of work; past the limit
/// it throws <see cref="DecodeTimeExceededException"/>, which the inspector turns into <c>too-large</c>.
/// </summary>
internal sealed class DecodeClock(TimeSpan limit)
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public TimeSpan Limit { get; } = limit;

    public void Check()
    {
        if (Stopwatch.GetElapsedTime(_started) > Limit)
        {
            throw new DecodeTimeExceededException(Limit);
        }
    }

    /// <summary>The failure an inspection past its time ends with.</summary>
    public static ProcessingFailure Failure(TimeSpan limit) =>
        new(FailureClass.TooLarge, $"Reading the image took longer than the limit of {limit.TotalSeconds:0.###} s.");
}

/// <summary>An inspection ran past <see cref="ExtractionOptions.MaxDecodeTime"/>.</summary>
internal sealed class DecodeTimeExceededException(TimeSpan limit) : Exception($"The decode ran past its limit of {limit}.")
{
    public TimeSpan Limit { get; } = limit;
}
