using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// What one sweep run's reconciliation did: stored records read, and of those the listing did not show, how many were
/// <see cref="Deleted"/> (their blob gone), found <see cref="Present"/> or <see cref="Replaced"/> after all, left
/// <see cref="Unreadable"/> or <see cref="NotChecked"/>, or <see cref="Deferred"/> because the run's deletions reached
/// <see cref="IngestOptions.SweepMaxDeletionsPerRun"/>. <see cref="NotServed"/>: the store has no name listing (an older
/// store), so nothing was reconciled.
/// </summary>
public sealed class ReconciliationRun(int maxDeletions)
{
    private readonly int[] _counts = new int[Enum.GetValues<GoneCheck>().Length];
    private int _checked;
    private int _deleted;
    private int _deferred;
    private int _deletionsLeft = maxDeletions;

    public int Checked => Volatile.Read(ref _checked);

    public int Deleted => Volatile.Read(ref _deleted);

    public int Present => Count(GoneCheck.Present);

    public int Replaced => Count(GoneCheck.Replaced);

    public int Unreadable => Count(GoneCheck.Unreadable);

    public int NotChecked => Count(GoneCheck.NotChecked);

    public int Deferred => Volatile.Read(ref _deferred);

    public bool NotServed { get; set; }

    /// <summary>No more deletions this run (the bound was reached, or the store cannot list names).</summary>
    public bool Stopped => NotServed || Volatile.Read(ref _deletionsLeft) <= 0;

    /// <summary>Takes one of the run's deletions; false once they are spent (the gone record is then counted as deferred).</summary>
    public bool TryTakeDeletion()
    {
        if (Interlocked.Decrement(ref _deletionsLeft) >= 0)
        {
            Interlocked.Increment(ref _deleted);
            return true;
        }

        Interlocked.Increment(ref _deletionsLeft);
        Interlocked.Increment(ref _deferred);
        return false;
    }

    /// <summary>Counts stored records read.</summary>
    public void Read(int rows) => Interlocked.Add(ref _checked, rows);

    /// <summary>Counts a record the listing did not show and that was kept (every outcome but <see cref="GoneCheck.Gone"/>).</summary>
    public void Kept(GoneCheck outcome) => Interlocked.Increment(ref _counts[(int)outcome]);

    private int Count(GoneCheck outcome) => Volatile.Read(ref _counts[(int)outcome]);
}

/// <summary>
/// The sweep's reconciliation of stored records against the container's listing, as a merge join of two name-ordered
/// walks. The sweep lists the container page by page (name order: Azure lists blobs alphabetically, the local-storage
/// adapter sorts ordinally); for each page this asks the store for its current records whose names fall in the page's
/// range, (the previous page's last name, this page's last name] and past the last name on the last page, in keyset
/// pages of <see cref="IngestOptions.SweepPageSize"/> (<see cref="IStoredNames"/>). A record whose name the listing page
/// does not hold is checked once more against the storage (<see cref="IGoneRecords"/>) and, when its blob is gone,
/// deleted through <see cref="DeleteImageWorkflow"/>, like a <c>DELETE</c>: record and thumbnails, and only that version.
/// A record whose name is listed is never a candidate, whatever its version: an overwritten blob's record is replaced
/// by the new version's (the store's replace), or kept as history. Memory is one listing page and one store page, however
/// many records there are. The range walked is a complete listing page, so a listing that fails deletes nothing for
/// the names it did not answer.
/// </summary>
public sealed partial class SweepReconciliation(IStoredNames names, IGoneRecords gone, IngestMetrics metrics, IOptions<IngestOptions> options, ILogger<SweepReconciliation> logger)
{
    /// <summary>Starts the tally of one sweep run.</summary>
    public ReconciliationRun Begin() => new(options.Value.SweepMaxDeletionsPerRun);

    /// <summary>
    /// Reconciles the stored records in the range one listing page covers, and answers where the reconciled range now
    /// ends: <paramref name="page"/>'s last name, or <paramref name="reconciledThrough"/> unchanged for an empty page that
    /// is not the last. On the last page (no continuation) the range runs to the last stored name and the answer is null.
    /// </summary>
    /// <param name="run">The run's tally and deletion bound.</param>
    /// <param name="container">The container listed.</param>
    /// <param name="page">One complete listing page.</param>
    /// <param name="reconciledThrough">The last name of the previous page; null on the first page.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <exception cref="ImageMeta.Dapr.AppUnavailableException">The store could not be asked.</exception>
    public async Task<string?> ReconcilePageAsync(ReconciliationRun run, string container, BlobListPage page, string? reconciledThrough, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(page);
        if (page.Items.Count == 0 && page.Continuation is not null)
        {
            return reconciledThrough;
        }

        var through = page.Continuation is null ? null : page.Items[^1].Name;
        var listed = page.Items.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        await ReconcileRangeAsync(run, container, listed, reconciledThrough, through, cancellationToken);
        return through;
    }

    /// <summary>Walks the stored names in (<paramref name="after"/>, <paramref name="through"/>] beside the names <paramref name="listed"/> holds.</summary>
    private async Task ReconcileRangeAsync(ReconciliationRun run, string container, HashSet<string> listed, string? after, string? through, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.SweepParallelism, CancellationToken = cancellationToken };
        var cursor = after;
        while (!run.Stopped)
        {
            if (await names.ReadAsync(new ImageNamesRequest(container, cursor, through, o.SweepPageSize), cancellationToken) is not { } stored)
            {
                run.NotServed = true;
                return;
            }

            run.Read(stored.Items.Count);
            await Parallel.ForEachAsync(stored.Items.Where(r => !listed.Contains(r.BlobName)), parallel, async (row, ct) =>
            {
                var outcome = await gone.CheckAsync(container, row, ct);
                if (outcome != GoneCheck.Gone)
                {
                    run.Kept(outcome);
                }
                else if (run.TryTakeDeletion())
                {
                    await gone.DeleteAsync(container, row, ct);
                    metrics.SweepDeletions.Add(1);
                    LogDeleting(logger, row.Id.Value, container, row.BlobName);
                }
            });

            if (stored.NextAfter is null)
            {
                return;
            }

            cursor = stored.NextAfter;
        }
    }

    /// <summary>The run's one line.</summary>
    public void Log(ReconciliationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.NotServed)
        {
            LogNotServed(logger);
            return;
        }

        LogRun(logger, run.Checked, run.Deleted, run.Present, run.Replaced, run.Unreadable, run.NotChecked, run.Deferred);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep reconciliation read {Checked} stored records: {Deleted} deleted (blob gone), {Present} present after all, {Replaced} replaced by a newer version, {Unreadable} unreadable, {NotChecked} not checkable (invalid names), {Deferred} left for a later run (deletion bound)")]
    private static partial void LogRun(ILogger logger, int @checked, int deleted, int present, int replaced, int unreadable, int notChecked, int deferred);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep reconciliation skipped: the store does not list records by name (an older store); deleted blobs are still noticed by their BlobDeleted events")]
    private static partial void LogNotServed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep found {ImageId} ({Container}/{Name}) without its blob version; deleting it")]
    private static partial void LogDeleting(ILogger logger, string imageId, string container, string name);
}
