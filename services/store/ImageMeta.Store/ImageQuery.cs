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

    public DateTime? TakenTo { get; init; }
    public string? Container { get; init; }
    public string? Sha256 { get; init; }
    public int Limit { get; init; } = 50;

    /// <summary>Rows older than this sequence number (from a previous page's cursor).</summary>
    public long? Before { get; init; }
}

/// <summary>One page of records, newest first, and the cursor of the next page (null on the last).</summary>
public sealed record ImagePage(IReadOnlyList<ImageRecord> Items, string? NextCursor);

/// <summary>Counts by format and by status, and the bytes of all images.</summary>
public sealed record ImageStats(long Total, IReadOnlyDictionary<string, long> ByFormat, IReadOnlyDictionary<string, long> ByStatus, long TotalBytes);

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
