namespace ImageMeta.Contracts;

/// <summary>
/// Why a processing step produced nothing: the image's metadata (<see cref="ImageRecord.Failure"/>) or its thumbnail
/// (<see cref="ImageRecord.ThumbnailFailure"/>). The class is stable and machine-readable (it decides whether anyone
/// retries); the message is for people and never carries internal addresses or stack traces.
/// </summary>
/// <param name="Class">One of <see cref="FailureClass"/>.</param>
/// <param name="Message">A sentence saying what was wrong with this input.</param>
public sealed record ProcessingFailure(string Class, string Message);

/// <summary>
/// The failure classes: the one list. Those of <see cref="Recorded"/> may stand in a record (the first ones describe
/// the content and never change on retry; <see cref="Unavailable"/> describes the surroundings); the others only
/// classify an HTTP problem. Each class's HTTP status is in <c>FailureProblems.StatusFor</c> (ServiceDefaults).
/// </summary>
public static class FailureClass
{
    /// <summary>The problem-details extension member that carries the class over HTTP (extractor to ingest, ingest to clients).</summary>
    public const string ProblemMember = "failureClass";

    /// <summary>The content has no bytes.</summary>
    public const string Empty = "empty";

    /// <summary>Not an image, or a format the extractor does not decode (the message says which).</summary>
    public const string Unsupported = "unsupported";

    /// <summary>The header is unreadable or the data is truncated or damaged.</summary>
    public const string Corrupt = "corrupt";

    /// <summary>Over the configured byte, pixel or time limit (checked from the header, before decoding, where it can be).</summary>
    public const string TooLarge = "too-large";

    /// <summary>The blob does not exist (deleted between the event and the extraction).</summary>
    public const string NotFound = "not-found";

    /// <summary>A dependency was unreachable or failed, or the service had no room; worth retrying.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The blob's name breaks the name rule (permanent); the record's name is then the name's safe rendering.</summary>
    public const string InvalidName = "invalid-name";

    /// <summary>The store's answer for a deleted (tombstoned) id; never a record's class.</summary>
    public const string Deleted = "deleted";

    /// <summary>The request itself is malformed (a body that is no blob reference, a bad parameter); never a record's class.</summary>
    public const string InvalidRequest = "invalid-request";

    /// <summary>The classes that depend only on the content or the name: retrying cannot change them.</summary>
    public static IReadOnlySet<string> Permanent { get; } =
        new HashSet<string>(StringComparer.Ordinal) { Empty, Unsupported, Corrupt, TooLarge, NotFound, InvalidName };

    /// <summary>The classes a stored record's failure (or thumbnail failure) may have.</summary>
    public static IReadOnlySet<string> Recorded { get; } =
        new HashSet<string>(StringComparer.Ordinal) { Empty, Unsupported, Corrupt, TooLarge, NotFound, Unavailable, InvalidName };
}
