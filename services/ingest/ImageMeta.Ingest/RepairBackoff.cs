using System.Collections.Concurrent;
using Dapr.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest;

/// <summary>One image's place in the repair loop: how often it was run again, and when it may be next.</summary>
public sealed record RepairState(int Attempts, DateTimeOffset NextAttemptAt);

/// <summary>
/// The repair loop's memory, in the sweep's Dapr state store (<see cref="IngestOptions.SweepStateStore"/>, key
/// <c>repair:{image id}</c>), so every replica and every restart sees the same schedule: an image without a usable record
/// is run again at once the first time, then after <see cref="IngestOptions.RepairFirstInterval"/>, doubling up to
/// <see cref="IngestOptions.RepairMaxInterval"/>, for as long as it needs. An image found still without a usable record
/// after <see cref="IngestOptions.RepairAttemptsBeforeAlert"/> attempts counts on the gauge
/// <c>imagemeta.ingest.images_unrecorded</c> ("images without a record", which the operator's alert watches) until this
/// replica sees its record, or has not seen it for two maximum intervals. Writes are first-write-wins on the key's ETag,
/// so of two replicas that find the same image only one runs it. A repair that stores a usable record forgets the key.
/// </summary>
public sealed partial class RepairBackoff
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unrecorded = new(StringComparer.Ordinal);
    private readonly DaprClient _dapr;
    private readonly IOptions<IngestOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RepairBackoff> _logger;

    public RepairBackoff(DaprClient dapr, IOptions<IngestOptions> options, IngestMetrics metrics, TimeProvider time, ILogger<RepairBackoff> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _dapr = dapr;
        _options = options;
        _time = time;
        _logger = logger;
        metrics.ObserveImagesUnrecorded(() => Unrecorded);
    }

    /// <summary>Images past the limit still without a usable record, seen within the last two maximum intervals.</summary>
    public long Unrecorded
    {
        get
        {
            var since = _time.GetUtcNow() - (2 * _options.Value.RepairMaxInterval);
            foreach (var stale in _unrecorded.Where(e => e.Value < since).ToList())
            {
                _unrecorded.TryRemove(stale.Key, out _);
            }

            return _unrecorded.Count;
        }
    }

    /// <summary>The sweep saw a usable record for the image: it no longer counts as unrecorded.</summary>
    public void Recorded(string imageId) => _unrecorded.TryRemove(imageId, out _);

    /// <summary>The state key of an image; "||" is reserved in keys (docs.dapr.io, "State management API reference"), ids are hex.</summary>
    public static string Key(string imageId) => $"repair:{imageId}";

    /// <summary>
    /// Whether the image may be run again now; if so, the attempt is recorded (and counted past the alert limit) before
    /// the caller starts it. False while its backoff lasts, or when another replica took this attempt.
    /// </summary>
    public async Task<bool> TryBeginAsync(string imageId, CancellationToken cancellationToken)
    {
        var o = _options.Value;
        var now = _time.GetUtcNow();
        var (state, etag) = await _dapr.GetStateAndETagAsync<RepairState?>(o.SweepStateStore, Key(imageId), cancellationToken: cancellationToken);
        if (state is not null && state.Attempts >= o.RepairAttemptsBeforeAlert)
        {
            if (_unrecorded.TryAdd(imageId, now))
            {
                LogStillWithoutRecord(_logger, imageId, state.Attempts);
            }
            else
            {
                _unrecorded[imageId] = now;
            }
        }

        if (state is not null && state.NextAttemptAt > now)
        {
            return false;
        }

        var attempts = (state?.Attempts ?? 0) + 1;
        var next = new RepairState(attempts, now + Delay(attempts, o));
        return await _dapr.TrySaveStateAsync(o.SweepStateStore, Key(imageId), next, etag ?? string.Empty, cancellationToken: cancellationToken);
    }

    /// <summary>Forgets the image's schedule (it has a usable record now).</summary>
    public Task ForgetAsync(string imageId, CancellationToken cancellationToken)
    {
        Recorded(imageId);
        return _dapr.DeleteStateAsync(_options.Value.SweepStateStore, Key(imageId), cancellationToken: cancellationToken);
    }

    /// <summary>The wait after attempt <paramref name="attempts"/>: the first interval, doubling, capped.</summary>
    public static TimeSpan Delay(int attempts, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var seconds = options.RepairFirstInterval.TotalSeconds * Math.Pow(2, Math.Min(62, Math.Max(0, attempts - 1)));
        return seconds >= options.RepairMaxInterval.TotalSeconds ? options.RepairMaxInterval : TimeSpan.FromSeconds(seconds);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {ImageId} still has no usable record after {Attempts} repair attempts; it counts on imagemeta.ingest.images_unrecorded")]
    private static partial void LogStillWithoutRecord(ILogger logger, string imageId, int attempts);
}
