using System.Globalization;
using System.Security.Cryptography;

namespace ImageMeta.Testing.Dapr;

/// <summary>The outcome of delivering one input-binding event to the app.</summary>
/// <param name="Acknowledged">daprd's rule: a 2xx answer acknowledges; anything else (or no answer) is a failure.</param>
/// <param name="StatusCode">The app's status, or null when it could not be reached.</param>
/// <param name="Attempts">How many deliveries it took (queue semantics redeliver until acknowledged).</param>
public sealed record BindingDelivery(bool Acknowledged, int? StatusCode, int Attempts);

public sealed partial class SidecarDouble
{
    /// <summary>
    /// Delivers one input-binding event the way daprd does for an HTTP app (dapr/dapr
    /// pkg/runtime/processor/binding/send.go sendBindingEventToApp): <c>POST /{bindingName}</c>, the
    /// payload as the body with content type application/json, each metadata entry as a header, a
    /// <c>traceparent</c> for the sidecar's callback span, and the app token. Only a 2xx answer
    /// acknowledges the event.
    /// </summary>
    public async Task<BindingDelivery> DeliverBindingEventAsync(
        string bindingName,
        ReadOnlyMemory<byte> data,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            headers.Add(new(key, value));
        }

        if (!headers.Any(h => h.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(new("traceparent", NewTraceParent()));
        }

        var call = new AppCall("POST", bindingName, string.Empty, data.ToArray(), "application/json", headers);
        try
        {
            var response = await DeliverToAppAsync(AppId, call, cancellationToken);
            return new BindingDelivery(response.StatusCode is >= 200 and <= 299, response.StatusCode, 1);
        }
        catch (InvocationFailedException)
        {
            return new BindingDelivery(false, null, 1);
        }
    }

    /// <summary>
    /// <c>bindings.azure.storagequeues</c> (components-contrib storagequeues.go): the message is handed to
    /// the app with its queue metadata (<c>messageID</c>, <c>dequeueCount</c>, <c>insertionTime</c>, ...);
    /// it is deleted only when the app acknowledged, otherwise it becomes visible again after the
    /// visibility timeout (30 s by default; tests pass a short one) and is delivered again with a higher
    /// dequeue count. Stops after <paramref name="maxDeliveries"/> (a test bound, not a queue feature).
    /// </summary>
    public async Task<BindingDelivery> DeliverQueueMessageAsync(
        string bindingName,
        string messageText,
        TimeSpan visibilityTimeout,
        int maxDeliveries = 10,
        CancellationToken cancellationToken = default)
    {
        var messageId = Guid.NewGuid().ToString();
        var inserted = DateTimeOffset.UtcNow;
        BindingDelivery last = new(false, null, 0);
        for (var attempt = 1; attempt <= maxDeliveries; attempt++)
        {
            var metadata = new Dictionary<string, string>
            {
                ["messageID"] = messageId,
                ["popReceipt"] = Guid.NewGuid().ToString("N"),
                ["insertionTime"] = inserted.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["expirationTime"] = inserted.AddMinutes(10).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["nextVisibleTime"] = DateTimeOffset.UtcNow.Add(visibilityTimeout).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["dequeueCount"] = attempt.ToString(CultureInfo.InvariantCulture),
            };
            var delivery = await DeliverBindingEventAsync(bindingName, System.Text.Encoding.UTF8.GetBytes(messageText), metadata, cancellationToken);
            last = delivery with { Attempts = attempt };
            if (delivery.Acknowledged)
            {
                return last;
            }

            await Task.Delay(visibilityTimeout, cancellationToken);
        }

        return last;
    }

    /// <summary>
    /// One tick of a <c>bindings.cron</c> component (components-contrib cron.go Read): no data, metadata
    /// <c>timeZone</c> and <c>readTimeUTC</c>. A failed answer is only logged by daprd; the next tick comes anyway.
    /// </summary>
    public Task<BindingDelivery> FireCronAsync(string bindingName, CancellationToken cancellationToken = default) =>
        DeliverBindingEventAsync(
            bindingName,
            ReadOnlyMemory<byte>.Empty,
            new Dictionary<string, string>
            {
                ["timeZone"] = "Local",
                // Go's time.Time.String() layout.
                ["readTimeUTC"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.fffffff '+0000 UTC'", CultureInfo.InvariantCulture),
            },
            cancellationToken);

    /// <summary>A sampled W3C traceparent with fresh ids, as daprd's callback span would carry.</summary>
    private static string NewTraceParent() =>
        $"00-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01";
}
