using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Contracts;

/// <summary>
/// The body of the store's <c>POST images/names</c> (<see cref="DaprTopology.Methods.ImageNames"/>): the current records
/// of one container in blob-name order, from just after <see cref="After"/> (null: the first name) through
/// <see cref="Through"/> (null: the last), at most <see cref="Limit"/>. A POST rather than a GET because two names of
/// up to 1,024 characters, escaped, do not fit a request line.
/// </summary>
public sealed record ImageNamesRequest(
    string Container,
    string? After = null,
    string? Through = null,
    [property: Range(1, ImageNamesRequest.MaxLimit)] int Limit = ImageNamesRequest.DefaultLimit)
{
    /// <summary>Rows answered when the request names no limit.</summary>
    public const int DefaultLimit = 500;

    /// <summary>The most rows one answer holds; more is refused with 400.</summary>
    public const int MaxLimit = 1000;
}

/// <summary>
/// One current record as the reconciliation needs it: the id, the blob name and version it was made from, and its
/// failure class (a record of a name that breaks the name rule is kept under the name's safe rendering, not its own).
/// </summary>
public sealed record ImageNameRow(ImageId Id, string BlobName, string? BlobVersion, string? FailureClass = null);

/// <summary>
/// An answer of <c>POST images/names</c>: rows in the store's name order (Unicode code point order), and
/// <see cref="NextAfter"/>, the <c>after</c> of the next page, null when the range holds no more.
/// </summary>
public sealed record ImageNamePage(IReadOnlyList<ImageNameRow> Items, string? NextAfter);
