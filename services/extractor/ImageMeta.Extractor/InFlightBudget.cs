namespace ImageMeta.Extractor;

/// <summary>
/// A count of bytes held at once by inspections in flight (content read into memory, pixel buffers of
/// verification decodes), bounded by a capacity. A hold either fits now, waits for room, or is refused,
/// as the caller chooses (a hold larger than the capacity waits until it is alone); whatever is held is given back when the hold is disposed. Thread-safe.
/// </summary>
public sealed class InFlightBudget(long capacity)
{
    // A monitor rather than System.Threading.Lock: waiting for room needs Monitor.Wait.
    private readonly object _gate = new();
    private long _held;

    public long Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be positive.");

    /// <summary>Bytes held right now.</summary>
    public long Held
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>
    /// Holds <paramref name="bytes"/> when they fit; otherwise waits for room when <paramref name="wait"/>,
    /// else returns null. A request larger than the whole capacity is admitted when nothing else is held.
    /// </summary>
    public Hold? TryHold(long bytes, bool wait) => TryAdd(bytes, wait) ? new Hold(this, bytes) : null;

    private bool TryAdd(long bytes, bool wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            // Over-capacity requests go alone rather than never: an empty budget admits anything.
            while (_held > 0 && _held + bytes > Capacity)
            {
                if (!wait)
                {
                    return false;
                }

                Monitor.Wait(_gate);
            }

            _held += bytes;
            return true;
        }
    }

    private void Release(long bytes)
    {
        lock (_gate)
        {
            _held -= bytes;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Bytes held until disposed; can grow while held.</summary>
    public sealed class Hold : IDisposable
    {
        private readonly InFlightBudget _budget;
        private long _bytes;

        internal Hold(InFlightBudget budget, long bytes)
        {
            _budget = budget;
            _bytes = bytes;
        }

        public long Bytes => _bytes;

        /// <summary>Holds <paramref name="more"/> bytes in addition, on the same terms as <see cref="TryHold"/>; false when refused.</summary>
        public bool TryGrow(long more, bool wait)
        {
            if (!_budget.TryAdd(more, wait))
            {
                return false;
            }

            Interlocked.Add(ref _bytes, more);
            return true;
        }

        public void Dispose()
        {
            var bytes = Interlocked.Exchange(ref _bytes, 0);
            if (bytes > 0)
            {
                _budget.Release(bytes);
            }
        }
    }
}
