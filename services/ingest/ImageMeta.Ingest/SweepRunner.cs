using System.Threading.RateLimiting;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>What one sweep run did. <paramref name="Overtaken"/>: another replica moved the position meanwhile, so this run stopped.</summary>
public sealed record SweepReport(int Examined, int Started, int Known, int Vanished, bool ReachedEnd, bool Overtaken = false);

/// <summary>
/// The cron sweep: lists the container page by page and starts workflows for blobs nobody has processed.
/// A run examines at most <see cref="IngestOptions.SweepMaxBlobsPerRun"/> blobs and records where it stopped
/// after every page, so a large container is covered over several runs and no run outlasts the cron interval by much.
/// The position is kept in a Dapr state store (<see cref="SweepPositions"/>): it survives a restart, and the cron
/// binding, which fires in every replica, does not make N replicas list the container N times. Two replicas that
/// read the same position both work that page (the starter makes the repeat harmless); the first to record the next
/// position wins and the other stops. Runs in one replica do not overlap.
/// </summary>
public sealed partial class SweepRunner(IBlobBinding blobs, ImageWorkflowStarter starter, SweepPositions positions, IOptions<IngestOptions> options, ILogger<SweepRunner> logger) : IDisposable
{
    private readonly ConcurrencyLimiter _oneAtATime = new(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });

    /// <summary>Runs one sweep, or returns null when one is already running.</summary>
    public async Task<SweepReport?> RunAsync(CancellationToken cancellationToken)
    {
        using var run = _oneAtATime.AttemptAcquire();
        if (!run.IsAcquired)
        {
            return null;
        }

        var o = options.Value;
        int examined = 0, started = 0, known = 0, vanished = 0;
        bool reachedEnd = false, overtaken = false;
        var (position, etag) = await positions.ReadAsync(cancellationToken);
        while (examined < o.SweepMaxBlobsPerRun)
        {
            var page = await blobs.ListAsync(position.Continuation, Math.Min(o.SweepPageSize, o.SweepMaxBlobsPerRun - examined), cancellationToken);
            await Parallel.ForEachAsync(page.Items, new ParallelOptions { MaxDegreeOfParallelism = o.SweepParallelism, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                // Listings of some bindings carry no version: then the current one is asked for.
                var outcome = item.Version is null
                    ? await starter.StartCurrentAsync(item.Name, ImageTrigger.Sweep, ct)
                    : await starter.StartAsync(item, ImageTrigger.Sweep, ct);
                switch (outcome)
                {
                    case StartOutcome.Started:
                        Interlocked.Increment(ref started);
                        break;
                    case StartOutcome.AlreadyKnown:
                        Interlocked.Increment(ref known);
                        break;
                    default:
                        Interlocked.Increment(ref vanished);
                        break;
                }
            });
            examined += page.Items.Count;
            // At the end the next sweep starts over: blobs written behind the position are found then.
            position = new SweepPosition(page.Continuation);
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

        var report = new SweepReport(examined, started, known, vanished, reachedEnd, overtaken);
        LogSweep(logger, report.Examined, report.Started, report.Known, report.ReachedEnd, report.Overtaken);
        return report;
    }

    public void Dispose() => _oneAtATime.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep examined {Examined} blobs: {Started} started, {Known} already known; reached the end: {ReachedEnd}; overtaken by another replica: {Overtaken}")]
    private static partial void LogSweep(ILogger logger, int examined, int started, int known, bool reachedEnd, bool overtaken);
}
