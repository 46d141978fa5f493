using ImageMeta.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>What one sweep run did.</summary>
public sealed record SweepReport(int Examined, int Started, int Known, int Vanished, bool ReachedEnd);

/// <summary>
/// The cron sweep: lists the container page by page and starts workflows for blobs nobody has processed.
/// A run examines at most <see cref="IngestOptions.SweepMaxBlobsPerRun"/> blobs and remembers where it
/// stopped, so a large container is covered over several runs and no run outlasts the cron interval by much.
/// The position lives in memory: after a restart the sweep begins again from the start, which costs time but
/// never skips a blob. Runs do not overlap.
/// </summary>
public sealed partial class SweepRunner(IBlobBinding blobs, ImageWorkflowStarter starter, IOptions<IngestOptions> options, ILogger<SweepRunner> logger) : IDisposable
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private string? _continuation;

    /// <summary>Runs one sweep, or returns null when one is already running.</summary>
    public async Task<SweepReport?> RunAsync(CancellationToken cancellationToken)
    {
        if (!await _oneAtATime.WaitAsync(0, cancellationToken))
        {
            return null;
        }

        try
        {
            var o = options.Value;
            int examined = 0, started = 0, known = 0, vanished = 0;
            var reachedEnd = false;
            while (examined < o.SweepMaxBlobsPerRun)
            {
                var page = await blobs.ListAsync(_continuation, Math.Min(o.SweepPageSize, o.SweepMaxBlobsPerRun - examined), cancellationToken);
                await Parallel.ForEachAsync(page.Items, new ParallelOptions { MaxDegreeOfParallelism = o.SweepParallelism, CancellationToken = cancellationToken }, async (item, ct) =>
                {
                    // Listings of some bindings carry no version: then the current one is asked for.
                    var outcome = item.Version is null
                        ? await starter.StartCurrentAsync(item.Name, "sweep", ct)
                        : await starter.StartAsync(item, "sweep", ct);
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
                _continuation = page.Continuation;
                if (page.Continuation is null)
                {
                    reachedEnd = true;
                    break;
                }
            }

            var report = new SweepReport(examined, started, known, vanished, reachedEnd);
            LogSweep(logger, report.Examined, report.Started, report.Known, report.ReachedEnd);
            return report;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep examined {Examined} blobs: {Started} started, {Known} already known; reached the end: {ReachedEnd}")]
    private static partial void LogSweep(ILogger logger, int examined, int started, int known, bool reachedEnd);
}
