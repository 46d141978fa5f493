using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// The bytes of uploads ingest holds in memory at once (<c>Ingest:UploadMemoryBudgetBytes</c>), a
/// <see cref="ConcurrencyLimiter"/> whose permits are KiB. An upload reserves its declared length before its body is read
/// and gives it back when it is done, whatever the outcome (stored, failed, cut off for arriving too slowly, or the
/// client went away); one that does not fit is refused at once (no queue: a waiting upload would hold its connection and
/// its client's patience, and <c>Retry-After</c> says when to come back). Memory therefore follows the budget, not the
/// number of clients sending at the same moment (services/ingest/README.md has the formula). Refusals are counted on
/// <see cref="RefusedInstrument"/> with a <c>reason</c> tag.
/// </summary>
public sealed class UploadBudget : IDisposable
{
    /// <summary>Counter of refused uploads, tagged <c>reason</c> (<see cref="OverBudget"/>, <see cref="TooLarge"/>, <see cref="TooSlow"/>).</summary>
    public const string RefusedInstrument = "imagemeta.ingest.uploads.refused";

    /// <summary>The <c>reason</c> of an upload refused because the budget was taken by others.</summary>
    public const string OverBudget = "memory-budget";

    /// <summary>The <c>reason</c> of an upload refused for being over <c>Ingest:MaxUploadBytes</c>.</summary>
    public const string TooLarge = "too-large";

    /// <summary>The <c>reason</c> of an upload cut off because its body arrived slower than <c>Ingest:UploadMinBytesPerSecond</c>.</summary>
    public const string TooSlow = "too-slow";

    private const long PermitBytes = 1024;

    private readonly ConcurrencyLimiter _limiter;
    private readonly int _permits;
    private readonly Counter<long> _refused;

    public UploadBudget(IOptions<IngestOptions> options, IngestMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        Capacity = options.Value.UploadMemoryBudgetBytes;
        _permits = Permits(Capacity);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _permits, QueueLimit = 0 });
        _refused = metrics.UploadsRefused;
    }

    /// <summary>The budget in bytes.</summary>
    public long Capacity { get; }

    /// <summary>Bytes reserved by uploads in flight now (in whole KiB).</summary>
    public long Reserved => (_permits - _limiter.GetStatistics()!.CurrentAvailablePermits) * PermitBytes;

    /// <summary>Reserves <paramref name="bytes"/>, or answers null when they do not fit beside what is reserved now; dispose the lease to give them back.</summary>
    public RateLimitLease? TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var permits = Permits(bytes);
        if (permits > _permits)
        {
            return null;
        }

        var lease = _limiter.AttemptAcquire(permits);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    /// <summary>Counts one refused upload.</summary>
    public void CountRefusal(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _limiter.Dispose();

    private static int Permits(long bytes) => (int)Math.Min(int.MaxValue, (bytes + PermitBytes - 1) / PermitBytes);
}
