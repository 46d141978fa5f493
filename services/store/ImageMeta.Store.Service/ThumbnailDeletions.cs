using System.Globalization;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.Options;

namespace ImageMeta.Store.Service;

/// <summary>
/// Deletes thumbnail blobs through the <c>thumbnails</c> binding's <c>delete</c> operation, which both component types
/// document: <c>bindings.localstorage</c> removes the file named by the <c>fileName</c> metadata
/// (docs.dapr.io/reference/components-reference/supported-bindings/localstorage/, "Delete file") and
/// <c>bindings.azure.blobstorage</c> the blob named by <c>blobName</c> (…/supported-bindings/blobstorage/, "Delete blob");
/// a missing blob counts as deleted (the adapters in src/ImageMeta.Blobs). The store queues each deletion in the transaction that makes a
/// thumbnail an orphan, so none is lost when the binding fails: what fails here stays queued and is retried by
/// <see cref="StoreMaintenance"/> with a growing delay.
/// </summary>
public sealed class ThumbnailDeletions(IMetadataStore store, [FromKeyedServices(DaprTopology.Components.Thumbnails)] IBlobBinding thumbnails, ILogger<ThumbnailDeletions> logger)
{
    /// <summary>What a caller is told to wait before asking again when a deletion failed.</summary>
    public static readonly string RetryAfterSeconds = 10.ToString(CultureInfo.InvariantCulture);

    /// <summary>Deletes the blobs and forgets the queued deletions that succeeded; false when any failed (they stay queued).</summary>
    public async Task<bool> TryDeleteAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        if (names.Count == 0)
        {
            return true;
        }

        var done = new List<string>();
        var failed = new List<string>();
        foreach (var name in names)
        {
            try
            {
                await thumbnails.DeleteAsync(name, cancellationToken);
                done.Add(name);
            }
            catch (Exception e) when (e is BlobBindingUnavailableException or BindingOperationException)
            {
                // The sidecar's or storage's message can name hosts: the log keeps it.
                logger.LogWarning(e, "Deleting thumbnail {Name} through the {Binding} binding failed; it stays queued", name, DaprTopology.Components.Thumbnails);
                failed.Add(name);
            }
        }

        await store.CompleteThumbnailDeletionsAsync(done, cancellationToken);
        await store.PostponeThumbnailDeletionsAsync(failed, cancellationToken);
        return failed.Count == 0;
    }
}

/// <summary>
/// The store's background work, every <see cref="StoreOptions.MaintenanceInterval"/>: purges tombstones and removal
/// entries past <see cref="StoreOptions.TombstoneRetention"/>, and deletes the thumbnails whose deletion is due. Every
/// instance runs it; each step is idempotent, so instances working at once only repeat each other's work.
/// </summary>
public sealed class StoreMaintenance(IMetadataStore store, ThumbnailDeletions deletions, IOptions<StoreOptions> options, TimeProvider time, ILogger<StoreMaintenance> logger) : BackgroundService
{
    /// <summary>Thumbnail deletions done per round at most, so a backlog never holds one round long.</summary>
    public const int DeletionsPerRound = 200;

    /// <summary>Runs one round; the tests call it directly.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var purged = await store.PurgeExpiredAsync(cancellationToken);
        if (purged > 0 && logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Purged {Count} expired tombstones and removal entries", purged);
        }

        var due = await store.DueThumbnailDeletionsAsync(DeletionsPerRound, cancellationToken);
        await deletions.TryDeleteAsync(due, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (StoreUnavailableException e)
            {
                logger.LogWarning(e, "Store maintenance skipped a round: the metadata database is unavailable");
            }
        }
    }
}
