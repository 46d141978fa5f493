using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// How many queue messages (BlobCreated events) ingest works on at once (<see cref="IngestOptions.EventConcurrency"/>), a
/// <see cref="ConcurrencyLimiter"/> whose queue serves the oldest delivery first. A burst (a camera card copied into the
/// container: thousands of events) then waits in the queue and in this gate instead of fanning out into as many
/// concurrent blob lookups and workflow starts, which keeps ingest's memory and the sidecar's connection count flat;
/// KEDA adds replicas when the queue stays long.
/// </summary>
public sealed class ImageEventSlots(IOptions<IngestOptions> options) : IDisposable
{
    private readonly ConcurrencyLimiter _slots = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.EventConcurrency,
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>Waits for a free slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken) =>
        await _slots.AcquireAsync(1, cancellationToken);

    public void Dispose() => _slots.Dispose();
}
