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
/// linkage; services/store/README.md) with the number of records in them. Both figures are null when the library holds
/// more hashed images than the store counts groups over (<see cref="NearDuplicateGroupsNotCounted"/> says so).
/// </summary>
public sealed record ImageStats(
    long Total,
    IReadOnlyDictionary<string, long> ByFormat,
    IReadOnlyDictionary<string, long> ByStatus,
    decimal TotalBytes,
    long? NearDuplicateGroups = 0,
    long? NearDuplicateImages = 0)
{
    /// <summary>Why the near-duplicate figures are null (too many hashed images to count groups over); null when they are counted.</summary>
    public string? NearDuplicateGroupsNotCounted { get; init; }

    /// <summary>When the near-duplicate figures were computed, where they are refreshed in the background; null when computed for this answer.</summary>
    public DateTimeOffset? NearDuplicateGroupsAsOf { get; init; }
}

/// <summary><c>GET /images/timeline</c>: how many images fall in each month of <c>order=taken</c>'s date, newest first.</summary>
public sealed record ImageTimeline(IReadOnlyList<TimelineMonth> Months);

/// <summary>One month of <see cref="ImageTimeline"/>: images taken then (or, with no date taken, uploaded then).</summary>
public sealed record TimelineMonth(int Year, int Month, long Count);

/// <summary>
/// <c>GET /images/positions</c>: the geotagged images inside a bounding box, as <see cref="Points"/> when there are at most
/// the asked limit, otherwise as <see cref="Clusters"/> (the other list is then empty); <see cref="Total"/> is how many
/// positions the box holds.
/// </summary>
public sealed record ImagePositions(IReadOnlyList<ImagePosition> Points, IReadOnlyList<PositionCluster> Clusters, long Total);

/// <summary>One geotagged image of <see cref="ImagePositions"/>.</summary>
public sealed record ImagePosition(ImageId Id, double Lat, double Lon);

/// <summary>Several geotagged images close together: their mean position and how many they are.</summary>
public sealed record PositionCluster(double Lat, double Lon, long Count);

/// <summary>
/// <c>GET /images/changes</c>: records written and ids removed (deleted, or replaced by a newer version) after a token,
/// oldest first; <see cref="Next"/> is the token to ask with next time.
/// </summary>
public sealed record ImageChanges(IReadOnlyList<ImageRecord> Records, IReadOnlyList<ImageId> Deleted, string Next);

/// <summary>The body of <c>POST /images/lookup</c>: at most 500 image ids.</summary>
public sealed record ImageLookupRequest(IReadOnlyList<string> Ids);

/// <summary>
/// The answer of <c>POST /images/lookup</c>: a summary for each asked id that has a record, and the asked ids that were
/// deleted (a tombstone is kept for them).
/// </summary>
public sealed record ImageLookup(IReadOnlyList<ImageSummary> Records, IReadOnlyList<ImageId> Deleted);

/// <summary>What <c>POST /images/lookup</c> says about one record: enough to decide whether to process its blob again.</summary>
public sealed record ImageSummary(ImageId Id, string Status, string? FailureClass, int ExtractorVersion, BlobReference Blob);
