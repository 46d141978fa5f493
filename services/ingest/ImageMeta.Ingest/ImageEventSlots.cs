using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>
/// How many queue messages (BlobCreated events) ingest works on at once (<see cref="IngestOptions.EventConcurrency"/>).
/// A burst (a camera card copied into the container: thousands of events) then waits in the queue and in this
/// gate instead of fanning out into as many concurrent blob lookups and workflow starts, which keeps ingest's memory
/// and the sidecar's connection count flat; KEDA adds replicas when the queue stays long.
/// </summary>
public sealed class ImageEventSlots(IOptions<IngestOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.EventConcurrency, options.Value.EventConcurrency);

    /// <summary>Waits for a free slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
