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

    /// <summary>Substring of the lens model, matched after Unicode case folding (<see cref="Text.SearchText.Fold"/>).</summary>
    public string? Lens { get; init; }

    /// <summary>Inclusive bounds on the ISO speed.</summary>
    public int? MinIso { get; init; }
    public int? MaxIso { get; init; }

    /// <summary>Inclusive bounds on the real focal length, in millimetres.</summary>
    public double? MinFocalLength { get; init; }
    public double? MaxFocalLength { get; init; }

    /// <summary>Inclusive bounds on the camera-local time the picture was taken (EXIF has no zone unless an offset is recorded).</summary>
    public DateTime? TakenFrom { get; init; }

    /// <summary>Inclusive, to the second (the precision of EXIF times); see <see cref="TakenBounds"/> for date-only input.</summary>
    public DateTime? TakenTo { get; init; }
    public string? Container { get; init; }

    /// <summary>The exact blob name; needs <see cref="Container"/>.</summary>
    public string? Name { get; init; }
    public string? Sha256 { get; init; }

    /// <summary>True: only records with a GPS position; false: only records without one (failed records included).</summary>
    public bool? HasGps { get; init; }

    /// <summary>Only failed records of this class.</summary>
    public string? FailureClass { get; init; }

    /// <summary>Only records made by an extractor version below this one (0: the extractor never answered).</summary>
    public int? ExtractorVersionBelow { get; init; }

    /// <summary>Only records processed before this instant.</summary>
    public DateTimeOffset? ProcessedBefore { get; init; }

    /// <summary>False (default): only each blob name's current version; true: every stored version.</summary>
    public bool AllVersions { get; init; }

    /// <summary>Only records whose perceptual hash lies within the given distance of a hash, one record excluded (<c>duplicatesOf</c>).</summary>
    public HashNeighbourhood? Near { get; init; }

    /// <summary>Newest first by insertion (default) or by date taken.</summary>
    public ImageOrder Order { get; init; }

    /// <summary>
    /// With <see cref="ImageOrder.Taken"/>: only images whose <c>sort_time</c> is before this text (<c>yyyy-MM-ddTHH:mm:ss</c>),
    /// the first instant after the period <c>startAt</c> names.
    /// </summary>
    public string? TakenBefore { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>The last row of the previous page (from its cursor), in this query's order.</summary>
    public PageKey? After { get; init; }
}

/// <summary>The orders <c>GET /images</c> pages in, newest first.</summary>
public enum ImageOrder
{
    /// <summary>By insertion (<c>order=processed</c>).</summary>
    Processed,

    /// <summary>
    /// By date taken, falling back to the blob's upload time, then to when it was processed (<c>order=taken</c>), ties by
    /// insertion.
    /// </summary>
    Taken,
}

/// <summary>Where a page ended: the order, its last row's sequence number and, for <see cref="ImageOrder.Taken"/>, its sort time.</summary>
public sealed record PageKey(ImageOrder Order, long Seq, string? SortTime = null);

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

    /// <summary>
    /// A newer version of the same blob name is stored and replaced versions are not kept
    /// (<see cref="StoreOptions.KeepReplacedVersions"/>): nothing was written, and the record's thumbnails are released.
    /// </summary>
    Superseded,

    /// <summary>The id was deleted (a tombstone is kept) and the blob was not written again after that: nothing was written.</summary>
    Deleted,
}

/// <summary>
/// The result of a write: what happened, the record the store now holds for the id (the one sent, when nothing was
/// stored), and the thumbnail blobs it released (queued for deletion through the thumbnails binding in the same
/// transaction; the caller may delete them at once and confirm with <see cref="IMetadataStore.CompleteThumbnailDeletionsAsync"/>).
/// </summary>
public sealed record UpsertResult(UpsertOutcome Outcome, ImageRecord Stored, IReadOnlyList<string> ReleasedThumbnails);

/// <summary>The result of a delete: whether a record was removed, and the thumbnail blobs released (see <see cref="UpsertResult"/>).</summary>
public sealed record DeleteResult(bool Removed, IReadOnlyList<string> ReleasedThumbnails);

/// <summary>A bounding box in degrees: west, south, east, north (<c>minLon,minLat,maxLon,maxLat</c>).</summary>
public sealed record BoundingBox(double MinLon, double MinLat, double MaxLon, double MaxLat);

/// <summary>
/// A position in <c>GET /images/changes</c>: the key of the last change a client has seen (two integers whose meaning
/// is the provider's: <see cref="ChangeStampSql"/>) and when the token was issued (a token older than the removals'
/// retention may have missed deletions).
/// </summary>
public sealed record ChangeToken(long Tx, long Seq, DateTimeOffset IssuedAt);

/// <summary>Raised when the database cannot be reached or answers with a transient error; callers should retry.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The store cannot start: its database or data folder refuses what the store must do before it serves (create the
/// file, take the migration lock, migrate). The message says what and where, for the operator; the service logs it as
/// one line and exits, instead of crashing with a stack.
/// </summary>
public sealed class StoreStartupException(string message, Exception inner) : Exception(message, inner);
