using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// The bytes of uploads ingest holds in memory at once (<c>Ingest:UploadMemoryBudgetBytes</c>). An upload reserves
/// its declared length before its body is read and gives it back when it is done, whatever the outcome (stored,
/// failed, or the client went away); one that does not fit is refused at once. Memory therefore follows the
/// budget, not the number of clients sending at the same moment (services/ingest/README.md has the formula).
/// Refusals are counted on <see cref="RefusedInstrument"/> with a <c>reason</c> tag.
/// </summary>
public sealed class UploadBudget
{
    /// <summary>Counter of refused uploads, tagged <c>reason</c> (<see cref="OverBudget"/>, <see cref="TooLarge"/>).</summary>
    public const string RefusedInstrument = "imagemeta.ingest.uploads.refused";

    /// <summary>The <c>reason</c> of an upload refused because the budget was taken by others.</summary>
    public const string OverBudget = "memory-budget";

    /// <summary>The <c>reason</c> of an upload refused for being over <c>Ingest:MaxUploadBytes</c>.</summary>
    public const string TooLarge = "too-large";

    private readonly Counter<long> _refused;
    private long _reserved;

    public UploadBudget(IOptions<IngestOptions> options, IngestMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        Capacity = options.Value.UploadMemoryBudgetBytes;
        _refused = metrics.UploadsRefused;
    }

    /// <summary>The budget in bytes.</summary>
    public long Capacity { get; }

    /// <summary>Bytes reserved by uploads in flight now.</summary>
    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/>, or answers null when they do not fit beside what is reserved now.</summary>
    public Reservation? TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            var reserved = Interlocked.Read(ref _reserved);
            if (reserved + bytes > Capacity)
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref _reserved, reserved + bytes, reserved) == reserved)
            {
                return new Reservation(this, bytes);
            }
        }
    }

    /// <summary>Counts one refused upload.</summary>
    public void CountRefusal(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Bytes held by one upload; disposing gives them back (once).</summary>
    public sealed class Reservation(UploadBudget budget, long bytes) : IDisposable
    {
        private long _bytes = bytes;

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose()
        {
            var bytes = Interlocked.Exchange(ref _bytes, 0);
            Interlocked.Add(ref budget._reserved, -bytes);
        }
    }
}
