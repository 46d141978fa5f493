using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>Where image records live. One implementation, parameterized by a provider per database.</summary>
public interface IMetadataStore
{
    /// <summary>Creates or upgrades the schema; safe when several instances start at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes the record unless the stored one is as new or newer, the id was deleted since the blob was written, or a
    /// newer version of its blob name is stored; keeps one version of each name current. Counts, months and the changes
    /// feed change in the same transaction.
    /// </summary>
    Task<UpsertResult> UpsertAsync(ImageRecord record, CancellationToken cancellationToken);

    /// <summary>Removes the record (if any) and keeps a tombstone for the id; idempotent.</summary>
    Task<DeleteResult> DeleteAsync(ImageId id, CancellationToken cancellationToken);

    Task<ImageRecord?> GetAsync(ImageId id, CancellationToken cancellationToken);

    /// <summary>Whether a tombstone is kept for the id (it was deleted within the retention).</summary>
    Task<bool> IsDeletedAsync(ImageId id, CancellationToken cancellationToken);

    Task<ImagePage> QueryAsync(ImageQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Records whose perceptual hash differs from <paramref name="near"/>'s hash in at most its distance, nearest
    /// first, ties newest first, the excluded image left out; at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<SimilarImage>> SimilarAsync(HashNeighbourhood near, int limit, CancellationToken cancellationToken);

    Task<ImageStats> StatsAsync(CancellationToken cancellationToken);

    /// <summary>Current images per month of the date taken (else upload time), newest first; maintained counts unless filtered.</summary>
    Task<ImageTimeline> TimelineAsync(string? status, string? format, CancellationToken cancellationToken);

    /// <summary>Geotagged current images in a box: the points when at most <paramref name="limit"/>, else clusters.</summary>
    Task<ImagePositions> PositionsAsync(BoundingBox box, int limit, CancellationToken cancellationToken);

    /// <summary>Current records written and ids removed after <paramref name="after"/> (null: from now), oldest first.</summary>
    Task<ImageChanges> ChangesAsync(ChangeToken? after, int limit, CancellationToken cancellationToken);

    /// <summary>Whether a changes token is too old to be answered completely: removals older than the tombstone retention are purged.</summary>
    bool IsExpired(ChangeToken token);

    /// <summary>Summaries of the records of these ids, and which of them are deleted.</summary>
    Task<ImageLookup> LookupAsync(IReadOnlyList<ImageId> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Current records of one container in blob-name order, after <paramref name="after"/> (null: from the first name)
    /// through <paramref name="through"/> (null: to the last), at most <paramref name="limit"/>: the sweep's reconciliation.
    /// </summary>
    Task<ImageNamePage> NamesAsync(string container, string? after, string? through, int limit, CancellationToken cancellationToken);

    /// <summary>Thumbnail blobs whose deletion is due (released by writes and deletes), oldest first.</summary>
    Task<IReadOnlyList<string>> DueThumbnailDeletionsAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Forgets thumbnail deletions that are done (the blobs are gone).</summary>
    Task CompleteThumbnailDeletionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken);

    /// <summary>Tries these thumbnail deletions again later, with a backoff that grows with each failed attempt.</summary>
    Task PostponeThumbnailDeletionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken);

    /// <summary>Drops tombstones and removal entries past the retention; returns how many rows went.</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Proves that a write can succeed now: a write transaction that inserts a probe row and is rolled back, so a
    /// read-only file, a read-only replica or a full transaction log fails it (readiness), and nothing stays behind.
    /// </summary>
    Task PingAsync(CancellationToken cancellationToken);
}
