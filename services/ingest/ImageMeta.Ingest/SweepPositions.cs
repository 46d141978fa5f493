using Dapr.Client;
using ImageMeta.Blobs;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// Where the next sweep lists from: the listing's continuation token, or null for the start of the container; and how
/// far the reconciliation of stored records got (<see cref="ReconciledRange"/>): null when unknown (a position saved
/// before the reconciliation existed), so it waits for the listing to start over.
/// </summary>
public sealed record SweepPosition(string? Continuation, ReconciledRange? Reconciled = null)
{
    /// <summary>The start of the container: nothing listed, nothing reconciled yet, and the range known.</summary>
    public static SweepPosition Start { get; } = new(null, new ReconciledRange(null));
}

/// <summary>The stored records reconciled so far in this pass: every name up to <paramref name="Through"/> (null: none yet).</summary>
public sealed record ReconciledRange(string? Through);

/// <summary>
/// The sweep's position in the Dapr state store <see cref="IngestOptions.SweepStateStore"/>, one key per container.
/// Every ingest replica reads and moves the same key (Dapr prefixes it with the app id, which replicas share), and
/// the store outlives any replica, so a restart continues where the last sweep stopped. Moves are first-write-wins
/// on the key's ETag: of two replicas that read the same position, only one moves it on.
/// </summary>
public sealed class SweepPositions(DaprClient dapr, IBlobBinding blobs, IOptions<IngestOptions> options)
{
    /// <summary>"||" is reserved in state keys (docs.dapr.io "State management API reference").</summary>
    private string Key => $"sweep-position:{blobs.Container.Replace("||", "|", StringComparison.Ordinal)}";

    /// <summary>The current position and its ETag (empty when none was ever saved).</summary>
    public async Task<(SweepPosition Position, string ETag)> ReadAsync(CancellationToken cancellationToken)
    {
        var (position, etag) = await dapr.GetStateAndETagAsync<SweepPosition?>(options.Value.SweepStateStore, Key, cancellationToken: cancellationToken);
        return (position ?? SweepPosition.Start, etag ?? string.Empty);
    }

    /// <summary>
    /// Moves the position on if it still has <paramref name="etag"/>, and returns the new ETag; null when another
    /// replica moved it first. An empty ETag (no position yet) writes unconditionally, as Dapr does.
    /// </summary>
    public async Task<string?> TryMoveAsync(SweepPosition next, string etag, CancellationToken cancellationToken)
    {
        if (!await dapr.TrySaveStateAsync(options.Value.SweepStateStore, Key, next, etag, cancellationToken: cancellationToken))
        {
            return null;
        }

        // Dapr's save does not answer the new ETag; a read does. If someone moved it in between, ours is not current.
        var (current, newETag) = await ReadAsync(cancellationToken);
        return current == next ? newETag : null;
    }
}
