namespace ImageMeta.Contracts;

// The store's query answers, defined once here: the store writes them and the web app reads them (a service never
// references another service).

/// <summary>One page of <c>GET /images</c>: records newest first, and the cursor of the next page (null on the last).</summary>
public sealed record ImagePage(IReadOnlyList<ImageRecord> Items, string? NextCursor);

/// <summary>One answer of the similar-images search: how many bits the hashes differ in, and the record.</summary>
public sealed record SimilarImage(int Distance, ImageRecord Image);

/// <summary>The answer of <c>GET /images/{id}/similar</c>: nearest first, ties newest first.</summary>
public sealed record SimilarImages(IReadOnlyList<SimilarImage> Items);

/// <summary>
/// <c>GET /images/stats</c>: counts by format and by status, the bytes of all images (exact, whatever the rows hold:
/// it may exceed 64 bits), and the near-duplicate groups at <see cref="PerceptualHash.NearDuplicateDistance"/> (single
/// linkage; services/store/README.md) with the number of records in them.
/// </summary>
public sealed record ImageStats(
    long Total,
    IReadOnlyDictionary<string, long> ByFormat,
    IReadOnlyDictionary<string, long> ByStatus,
    decimal TotalBytes,
    long NearDuplicateGroups = 0,
    long NearDuplicateImages = 0);
