using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>Where image records live. One implementation, parameterized by a provider per database.</summary>
public interface IMetadataStore
{
    /// <summary>Creates or upgrades the schema; safe when several instances start at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Writes the record unless the stored one is as new or newer; returns what happened and the stored record.</summary>
    Task<(UpsertOutcome Outcome, ImageRecord Stored)> UpsertAsync(ImageRecord record, CancellationToken cancellationToken);

    Task<ImageRecord?> GetAsync(ImageId id, CancellationToken cancellationToken);

    Task<ImagePage> QueryAsync(ImageQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Records whose perceptual hash differs from <paramref name="near"/>'s hash in at most its distance, nearest
    /// first, ties newest first, the excluded image left out; at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<SimilarImage>> SimilarAsync(HashNeighbourhood near, int limit, CancellationToken cancellationToken);

    Task<ImageStats> StatsAsync(CancellationToken cancellationToken);

    Task PingAsync(CancellationToken cancellationToken);
}
