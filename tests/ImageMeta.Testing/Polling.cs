namespace ImageMeta.Testing;

/// <summary>
/// Waiting for a state the system reaches on its own (a record stored, a workflow completed): the tests read it again
/// and again until it holds or a bound passes, then assert on the last value read, so a miss says what was seen.
/// </summary>
public static class Polling
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> or the bound; returns the last value read.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan bound, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + bound;
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(interval ?? DefaultInterval);
            value = await read();
        }

        return value;
    }

    /// <summary>The same for a value read without waiting.</summary>
    public static Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done, TimeSpan bound, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        return WaitForAsync(() => Task.FromResult(read()), done, bound, interval);
    }
}
