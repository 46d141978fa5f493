namespace ImageMeta.Extractor;

/// <summary>
/// A count of bytes held at once by inspections in flight (content read into memory, pixel buffers of
/// verification decodes), bounded by a capacity. A hold either fits now, waits for room, or is refused,
/// as the caller chooses; whatever is held is given back when the hold is disposed. Waiting never
/// deadlocks: a request larger than the capacity goes when nothing else is held, and when every holder
/// is waiting to grow, one of them goes over the capacity rather than all waiting for ever. Thread-safe.
/// </summary>
public sealed class InFlightBudget(long capacity)
{
    // A monitor rather than System.Threading.Lock: waiting for room needs Monitor.Wait.
    private readonly object _gate = new();
    private long _held;
    private int _holds;
    private int _growersWaiting;

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
    /// else returns null.
    /// </summary>
    public Hold? TryHold(long bytes, bool wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            while (_held > 0 && _held + bytes > Capacity)
            {
                if (!wait)
                {
                    return null;
                }

                Monitor.Wait(_gate);
            }

            _held += bytes;
            _holds++;
            return new Hold(this, bytes);
        }
    }

    private bool TryGrow(long bytes, bool wait)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            _growersWaiting++;
            try
            {
                // Every holder waiting to grow means nothing will be released: let this one through.
                while (_held + bytes > Capacity && _growersWaiting < _holds)
                {
                    if (!wait)
                    {
                        return false;
                    }

                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                _growersWaiting--;
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
            _holds--;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Bytes held until disposed; can grow while held.</summary>
    public sealed class Hold : IDisposable
    {
        private readonly InFlightBudget _budget;
        private long _bytes;
        private int _disposed;

        internal Hold(InFlightBudget budget, long bytes)
        {
            _budget = budget;
            _bytes = bytes;
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        /// <summary>Holds <paramref name="more"/> bytes in addition, waiting for room or not; false when refused.</summary>
        public bool TryGrow(long more, bool wait)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (!_budget.TryGrow(more, wait))
            {
                return false;
            }

            Interlocked.Add(ref _bytes, more);
            return true;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _budget.Release(Interlocked.Exchange(ref _bytes, 0));
            }
        }
    }
}
