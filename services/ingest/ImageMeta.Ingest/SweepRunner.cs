using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// What one sweep run did. <paramref name="Overtaken"/>: another replica moved the position meanwhile, so this run
/// stopped. <paramref name="Repaired"/>: images run again because they had no usable record (a failed or lost run, an
/// <c>unavailable</c> outcome); <paramref name="Waiting"/>: such images still in their backoff; <paramref name="Unreadable"/>:
/// blobs whose version could not be learned (not answering within the time limit, or failing), tried again on a later run.
/// </summary>
/// <paramref name="Deleted"/>: stored records whose blob version was gone from the listing, deleted by the reconciliation (<see cref="SweepReconciliation"/>).
public sealed record SweepReport(
    int Examined, int Started, int Known, int Vanished, bool ReachedEnd, bool Overtaken = false, int Repaired = 0, int Waiting = 0, int Unreadable = 0, int Deleted = 0);

/// <summary>
/// The cron sweep, which is also the repair loop, on every profile: it lists the container page by page, learns each
/// blob's version (bounded: <see cref="VersionReads"/>), asks the store about the whole page in one lookup, and then
/// starts what nobody processed and runs again, with capped exponential backoff (<see cref="RepairBackoff"/>), what has
/// no usable record: a workflow that failed or was terminated, a completed one whose record is gone, and a record whose
/// outcome was <c>unavailable</c>. A blob whose version cannot be learned (a FIFO, an unreadable file) is counted and
/// left for a later run, with a backoff of its own in this replica, and never holds up the rest of its page or the pages
/// after it. A run examines at most <see cref="IngestOptions.SweepMaxBlobsPerRun"/> blobs and records where it stopped
/// after every page, so a large container is covered over several runs and no run outlasts the cron interval by much.
/// The position is kept in a Dapr state store (<see cref="SweepPositions"/>): it survives a restart, and the cron
/// binding, which fires in every replica, does not make N replicas list the container N times. Two replicas that read
/// the same position both work that page (the starter and the backoff's first-write-wins make the repeat harmless);
/// the first to record the next position wins and the other stops. Runs in one replica do not overlap. After each page,
/// the stored records in the names that page covers are reconciled against it (<see cref="SweepReconciliation"/>): those
/// whose blob is gone are deleted; how far that got is part of the position.
/// </summary>
public sealed partial class SweepRunner(
    IBlobBinding blobs, VersionReads versions, StoreCalls store, ImageWorkflowStarter starter, RepairBackoff repairs, SweepPositions positions,
    SweepReconciliation reconciliation, IngestMetrics metrics, IOptions<IngestOptions> options, TimeProvider time, ILogger<SweepRunner> logger) : IDisposable
{
    /// <summary>At most this many unreadable names are remembered; past it, the oldest due ones go first.</summary>
    private const int MaxUnreadableRemembered = 10_000;

    private readonly ConcurrencyLimiter _oneAtATime = new(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
    private readonly ConcurrentDictionary<string, RepairState> _unreadable = new(StringComparer.Ordinal);

    /// <summary>Runs one sweep, or returns null when one is already running.</summary>
    /// <exception cref="BlobBindingUnavailableException">The listing failed: the position stays, the next run tries again.</exception>
    /// <exception cref="AppUnavailableException">The store could not be asked: the position stays.</exception>
    public async Task<SweepReport?> RunAsync(CancellationToken cancellationToken)
    {
        using var run = _oneAtATime.AttemptAcquire();
        if (!run.IsAcquired)
        {
            return null;
        }

        var o = options.Value;
        var tally = new Tally();
        bool reachedEnd = false, overtaken = false;
        var examined = 0;
        var (position, etag) = await positions.ReadAsync(cancellationToken);
        var reconciled = position.Continuation is null ? new ReconciledRange(null) : position.Reconciled;
        var reconciling = reconciliation.Begin();
        while (examined < o.SweepMaxBlobsPerRun)
        {
            var page = await blobs.ListAsync(position.Continuation, Math.Min(o.SweepPageSize, o.SweepMaxBlobsPerRun - examined), cancellationToken);
            await SweepPageAsync(page.Items, tally, cancellationToken);
            examined += page.Items.Count;
            // Only a range whose start is known is reconciled (a position saved before the reconciliation has none: the
            // next pass from the start has).
            if (reconciled is not null)
            {
                reconciled = new ReconciledRange(await reconciliation.ReconcilePageAsync(reconciling, blobs.Container, page, reconciled.Through, cancellationToken));
            }

            // At the end the next sweep starts over: blobs written behind the position are found then.
            position = new SweepPosition(page.Continuation, page.Continuation is null ? new ReconciledRange(null) : reconciled);
            if (await positions.TryMoveAsync(position, etag, cancellationToken) is not { } moved)
            {
                overtaken = true;
                break;
            }

            etag = moved;
            if (page.Continuation is null)
            {
                reachedEnd = true;
                break;
            }
        }

        var report = new SweepReport(examined, tally.Started, tally.Known, tally.Vanished, reachedEnd, overtaken, tally.Repaired, tally.Waiting, tally.Unreadable, reconciling.Deleted);
        reconciliation.Log(reconciling);
        LogSweep(logger, report.Examined, report.Started, report.Known, report.Repaired, report.Waiting, report.Unreadable, report.ReachedEnd, report.Overtaken);
        return report;
    }

    private async Task SweepPageAsync(IReadOnlyList<BlobReference> items, Tally tally, CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.SweepParallelism, CancellationToken = cancellationToken };

        // Versions first (listings of some bindings carry none: then each blob is described, within bounds).
        var described = new ConcurrentBag<BlobReference>();
        await Parallel.ForEachAsync(items, parallel, async (item, ct) =>
        {
            if (item.Version is not null)
            {
                described.Add(item);
                return;
            }

            if (_unreadable.TryGetValue(item.Name, out var wait) && wait.NextAttemptAt > time.GetUtcNow())
            {
                Interlocked.Increment(ref tally.Unreadable);
                return;
            }

            try
            {
                described.Add(await versions.DescribeAsync(item.Name, ct));
                _unreadable.TryRemove(item.Name, out _);
            }
            catch (BlobNotFoundException)
            {
                Interlocked.Increment(ref tally.Vanished);
            }
            catch (Exception e) when (e is TimeoutException or BlobBindingUnavailableException or BlobNotAFileException or BlobTooLargeException)
            {
                RememberUnreadable(item.Name);
                Interlocked.Increment(ref tally.Unreadable);
                LogUnreadable(logger, item.Name, e.Message);
            }
        });

        // One question to the store for the whole page.
        // Keyed by the id the image is recorded under (a name that breaks the rule: its safe rendering); the starter is
        // given the blob as listed, so it knows why.
        var blobsById = described.GroupBy(b => ImageWorkflowStarter.Recorded(b).ImageId).ToDictionary(g => g.Key, g => g.First());
        var records = await store.LookupAsync(blobsById.Keys, cancellationToken);

        await Parallel.ForEachAsync(blobsById, parallel, async (entry, ct) =>
        {
            var (id, blob) = entry;
            if (records.TryGetValue(id, out var record) && !record.NeedsRepair)
            {
                repairs.Recorded(id.Value);
                CountKnown(tally);
                return;
            }

            switch (await starter.StatusAsync(id, ct))
            {
                case { } running when !running.IsTerminal():
                    CountKnown(tally);
                    return;
                case null when record is null:
                    // Nobody ever started it: a new image, no backoff.
                    Count(tally, await starter.StartAsync(blob, ImageTrigger.Sweep, ct, recordChecked: true), repaired: false);
                    return;
            }

            // Failed, terminated, or done without a usable record: the repair loop, on its schedule.
            if (!await repairs.TryBeginAsync(id.Value, ct))
            {
                Interlocked.Increment(ref tally.Waiting);
                return;
            }

            Count(tally, await starter.StartAsync(blob, ImageTrigger.Repair, ct, recordChecked: true), repaired: true);
        });
    }

    /// <summary>A blob already recorded or still running: counted like the starter counts a known image, so the sweep's duplicates show on the same metric.</summary>
    private void CountKnown(Tally tally)
    {
        Interlocked.Increment(ref tally.Known);
        metrics.Duplicates.Add(1, IngestMetrics.TriggerTag(ImageTrigger.Sweep));
    }

    private static void Count(Tally tally, StartOutcome outcome, bool repaired)
    {
        switch (outcome)
        {
            case StartOutcome.Started when repaired:
                Interlocked.Increment(ref tally.Repaired);
                break;
            case StartOutcome.Started:
                Interlocked.Increment(ref tally.Started);
                break;
            case StartOutcome.AlreadyKnown:
                Interlocked.Increment(ref tally.Known);
                break;
            default:
                Interlocked.Increment(ref tally.Vanished);
                break;
        }
    }

    /// <summary>A name that could not be read waits before it is read again (doubling, capped like the repair loop).</summary>
    private void RememberUnreadable(string name)
    {
        if (_unreadable.Count >= MaxUnreadableRemembered)
        {
            foreach (var stale in _unreadable.OrderBy(e => e.Value.NextAttemptAt).Take(_unreadable.Count / 10).ToList())
            {
                _unreadable.TryRemove(stale.Key, out _);
            }
        }

        var attempts = (_unreadable.TryGetValue(name, out var before) ? before.Attempts : 0) + 1;
        _unreadable[name] = new RepairState(attempts, time.GetUtcNow() + RepairBackoff.Delay(attempts, options.Value));
    }

    public void Dispose() => _oneAtATime.Dispose();

    /// <summary>Counts shared by a page's parallel lanes.</summary>
    private sealed class Tally
    {
        public int Started;
        public int Known;
        public int Vanished;
        public int Repaired;
        public int Waiting;
        public int Unreadable;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep examined {Examined} blobs: {Started} started, {Known} already known, {Repaired} repaired, {Waiting} waiting for their repair, {Unreadable} unreadable; reached the end: {ReachedEnd}; overtaken by another replica: {Overtaken}")]
    private static partial void LogSweep(ILogger logger, int examined, int started, int known, int repaired, int waiting, int unreadable, bool reachedEnd, bool overtaken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep could not learn the version of '{Name}' ({Reason}); a later run tries again")]
    private static partial void LogUnreadable(ILogger logger, string name, string reason);
}
