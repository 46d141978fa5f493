using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>Filters for listing images; every filter is optional and they combine with AND.</summary>
public sealed record ImageQuery
{
    public string? Format { get; init; }
    public string? Status { get; init; }
    public int? MinWidth { get; init; }
    public int? MaxWidth { get; init; }
    public int? MinHeight { get; init; }
    public int? MaxHeight { get; init; }

    /// <summary>Case-insensitive substring of the camera make or model.</summary>
    public string? Camera { get; init; }

    /// <summary>Inclusive bounds on the camera-local time the picture was taken (EXIF has no zone unless an offset is recorded).</summary>
    public DateTime? TakenFrom { get; init; }

    /// <summary>Inclusive, to the second (the precision of EXIF times); see <see cref="TakenBounds"/> for date-only input.</summary>
    public DateTime? TakenTo { get; init; }
    public string? Container { get; init; }
    public string? Sha256 { get; init; }

    /// <summary>True: only records with a GPS position; false: only records without one (failed records included).</summary>
    public bool? HasGps { get; init; }

    /// <summary>Only records whose perceptual hash lies within the given distance of a hash, one record excluded (<c>duplicatesOf</c>).</summary>
    public HashNeighbourhood? Near { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Rows older than this sequence number (from a previous page's cursor).</summary>
    public long? Before { get; init; }
}

/// <summary>
/// Reads the <c>takenFrom</c>/<c>takenTo</c> query values: camera-local times without a zone
/// (<c>yyyy-MM-dd</c> or <c>yyyy-MM-ddTHH:mm[:ss[.fffffff]]</c>). A date alone covers its whole day, so
/// <c>takenFrom=D&amp;takenTo=D</c> selects every picture taken on D.
/// </summary>
public static class TakenBounds
{
    private static readonly string[] DateTimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];

    /// <summary>Parses a lower bound: a date alone means its first second.</summary>
    public static bool TryParseFrom(string text, out DateTime bound) => TryParse(text, endOfDay: false, out bound);

    /// <summary>Parses an upper bound: a date alone means its last second.</summary>
    public static bool TryParseTo(string text, out DateTime bound) => TryParse(text, endOfDay: true, out bound);

    private static bool TryParse(string text, bool endOfDay, out DateTime bound)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            bound = endOfDay ? day.ToDateTime(new TimeOnly(23, 59, 59)) : day.ToDateTime(TimeOnly.MinValue);
            return true;
        }

        return DateTime.TryParseExact(text, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out bound);
    }
}

/// <summary>The records whose perceptual hash differs from <paramref name="Hash"/> in at most <paramref name="MaxDistance"/> bits, except <paramref name="Exclude"/> (the image asked about).</summary>
public sealed record HashNeighbourhood(ulong Hash, int MaxDistance, ImageId Exclude);

/// <summary>What an upsert did.</summary>
public enum UpsertOutcome
{
    /// <summary>No row had this id; one was written.</summary>
    Inserted,

    /// <summary>The stored row was older and was replaced.</summary>
    Updated,

    /// <summary>The stored row was as new or newer; nothing changed.</summary>
    Unchanged,
}

/// <summary>Raised when the database cannot be reached or answers with a transient error; callers should retry.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
