using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Store.Service;

/// <summary>
/// How many originals the store holds in memory at once (<c>GET /images/{id}/original</c> reads a whole blob, up to
/// <c>Images:MaxBlobBytes</c>, before it sends it), and how long a request waits for its turn before it is answered
/// 503 with <c>Retry-After</c>. Bound from the <c>Images</c> section beside the binding's own keys. With the default
/// <see cref="StoreBlobBindings.DefaultMaxOriginalBytes"/> two reads stay well inside the store's 512 MiB memory limit.
/// </summary>
public sealed class OriginalReadOptions
{
    [Range(1, 64)]
    public int MaxConcurrentReads { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReadQueueTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The gate of <see cref="OriginalReadOptions.MaxConcurrentReads"/>: one per store instance.</summary>
public sealed class OriginalReads(Microsoft.Extensions.Options.IOptions<OriginalReadOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentReads, options.Value.MaxConcurrentReads);

    /// <summary>Takes a slot within the queue timeout; false when none came free (the caller answers 503).</summary>
    public Task<bool> EnterAsync(CancellationToken cancellationToken) => _slots.WaitAsync(options.Value.ReadQueueTimeout, cancellationToken);

    public void Leave() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
