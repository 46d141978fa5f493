using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;

namespace ImageMeta.Ingest;

/// <summary>A blob named by a BlobCreated event: where it is, and what the event says about it.</summary>
public sealed record BlobCreatedNotice(string Container, string Name, string? ETag, long? ContentLength, string EventId);

/// <summary>
/// What one queue message held: created blobs, events of other kinds, BlobCreated events that can never be processed
/// (<see cref="PoisonEvents"/>: no usable blob name, a payload that is not BlobCreated's), or nothing readable at all
/// (<see cref="PoisonReason"/>). One bad event in a batch does not take the good ones with it.
/// </summary>
public sealed record BlobEventBatch(
    IReadOnlyList<BlobCreatedNotice> Created, int Ignored, string? PoisonReason, IReadOnlyList<string> PoisonEvents, IReadOnlyList<BlobCreatedNotice>? Deleted = null)
{
    /// <summary>Blobs named by <c>Microsoft.Storage.BlobDeleted</c> events: their records and thumbnails go.</summary>
    public IReadOnlyList<BlobCreatedNotice> DeletedBlobs => Deleted ?? [];

    public bool IsPoison => PoisonReason is not null;
}

/// <summary>
/// Reads the messages Event Grid puts on the storage queue: <c>Microsoft.Storage.BlobCreated</c> events in
/// the Event Grid schema or the CloudEvents 1.0 schema, one event or a batch (JSON array), as plain JSON or
/// base64 (the storage queue binding passes message text through unless its <c>decodeBase64</c> is set).
/// The envelopes and the event data are read by Azure.Messaging.EventGrid, as Azure's own consumers read them;
/// the unwrapping, the size and depth limits and the poison policy are ours. Anything that cannot be read is
/// reported as poison rather than thrown, so the caller can acknowledge it instead of having the queue
/// redeliver it forever.
/// </summary>
public static class BlobCreatedEvents
{
    public const string BlobCreatedType = SystemEventNames.StorageBlobCreated;

    /// <summary>The event type of a deleted blob (the Event Grid subscription includes it beside BlobCreated).</summary>
    public const string BlobDeletedType = SystemEventNames.StorageBlobDeleted;

    /// <summary>Messages larger than this are not events Event Grid sends (its batches are at most 1 MB).</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>Far deeper than any event, far below what could exhaust the stack.</summary>
    private const int MaxDepth = 32;

    /// <summary>The poison reason of a message longer than <see cref="MaxMessageBytes"/> (found while reading it, without keeping it).</summary>
    public static string TooLong(long bytes) => $"The message has more than {MaxMessageBytes} bytes ({bytes} read); event messages are at most {MaxMessageBytes}.";

    public static BlobEventBatch Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxMessageBytes)
        {
            return Poison(TooLong(message.Length));
        }

        var json = Unwrap(message.Trim("\r\n\t "u8).ToArray(), depth: 0);
        if (json is null)
        {
            return Poison("The message is neither JSON nor base64-encoded JSON.");
        }

        var (cloudEvents, unreadable) = Schema(json);
        if (unreadable is not null)
        {
            return Poison(unreadable);
        }

        var schema = cloudEvents ? "CloudEvents 1.0" : "Event Grid";
        var poisoned = new List<string>();
        List<Envelope> events;
        try
        {
            events = Envelopes(json, cloudEvents);
        }
        catch (Exception e) when (Unreadable(e) is { } what)
        {
            if (!IsArray(json))
            {
                return Poison($"The message is not a valid {schema} event or batch ({what}): {FirstLine(e.Message)}");
            }

            // The SDK reads a batch all or nothing; one event at a time, the readable ones are kept.
            events = [];
            using var batch = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            var index = 0;
            foreach (var element in batch.RootElement.EnumerateArray())
            {
                try
                {
                    events.AddRange(Envelopes(Encoding.UTF8.GetBytes(element.GetRawText()), cloudEvents));
                }
                catch (Exception x) when (Unreadable(x) is { } which)
                {
                    poisoned.Add($"Event {index} of the batch is not a valid {schema} event ({which}): {FirstLine(x.Message)}");
                }

                index++;
            }
        }

        var created = new List<BlobCreatedNotice>();
        var deleted = new List<BlobCreatedNotice>();
        var ignored = 0;
        foreach (var e in events)
        {
            if (string.Equals(e.Type, BlobDeletedType, StringComparison.Ordinal))
            {
                // Only the name matters (the records of that name whose version is gone are removed); a name that breaks
                // the rule was never recorded under it, so there is nothing to find.
                var url = (e.SystemData() as StorageBlobDeletedEventData)?.Url;
                if (Locate(e.Subject, url) is { } gone && BlobNameRule.Problem(gone.Name) is null)
                {
                    deleted.Add(new BlobCreatedNotice(gone.Container, gone.Name, null, null, e.Id ?? string.Empty));
                }
                else
                {
                    ignored++;
                }

                continue;
            }

            if (!string.Equals(e.Type, BlobCreatedType, StringComparison.Ordinal))
            {
                ignored++;
                continue;
            }

            StorageBlobCreatedEventData? data;
            try
            {
                data = e.SystemData() as StorageBlobCreatedEventData;
            }
            catch (Exception x) when (Unreadable(x) is { } what)
            {
                poisoned.Add($"The data of BlobCreated event '{e.Id}' is not a BlobCreated payload ({what}): {FirstLine(x.Message)}");
                continue;
            }

            if (Locate(e.Subject, data?.Url) is not { } location)
            {
                poisoned.Add($"BlobCreated event '{e.Id}' names no blob (neither a usable 'subject' nor 'data.url').");
                continue;
            }

            // The name rule of uploads and the sweep: a name that breaks it is never processed from an event (the sweep
            // records such a blob, under its safe rendering, as failed with the class invalid-name).
            if (BlobNameRule.Problem(location.Name) is { } nameProblem)
            {
                poisoned.Add($"BlobCreated event '{e.Id}' names a blob the pipeline does not accept: {nameProblem}");
                continue;
            }

            created.Add(new BlobCreatedNotice(location.Container, location.Name, data?.ETag, data?.ContentLength, e.Id ?? string.Empty));
        }

        return new BlobEventBatch(created, ignored, null, poisoned, deleted);
    }

    private static List<Envelope> Envelopes(byte[] json, bool cloudEvents) => cloudEvents
        ? [.. CloudEvent.ParseMany(new BinaryData(json)).Select(e => new Envelope(e.Id, e.Type, e.Subject, () => e.TryGetSystemEventData(out var data) ? data : null))]
        : [.. EventGridEvent.ParseMany(new BinaryData(json)).Select(e => new Envelope(e.Id, e.EventType, e.Subject, () => e.TryGetSystemEventData(out var data) ? data : null))];

    private static bool IsArray(byte[] json) => json.Length > 0 && json[0] == (byte)'[';

    /// <summary>One event of either schema, as far as a BlobCreated notice needs it.</summary>
    private sealed record Envelope(string? Id, string? Type, string? Subject, Func<object?> SystemData);

    /// <summary>
    /// Checks the shape the SDK assumes (an object or a non-empty array of objects, within our depth limit) and
    /// tells the schemas apart: a CloudEvent carries <c>specversion</c>, an Event Grid event never does.
    /// </summary>
    private static (bool CloudEvents, string? Poison) Schema(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = document.RootElement;
            var first = root.ValueKind switch
            {
                JsonValueKind.Array when root.GetArrayLength() > 0 => root[0],
                JsonValueKind.Object => root,
                _ => default,
            };
            if (first.ValueKind == JsonValueKind.Undefined)
            {
                return (false, "The message holds no event object.");
            }

            if (root.ValueKind == JsonValueKind.Array && root.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Object))
            {
                return (false, "An element of the event batch is not an object.");
            }

            return (first.TryGetProperty("specversion", out _), null);
        }
        catch (JsonException e)
        {
            return (false, $"The message is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// What the SDK's exceptions mean for input it cannot read (found by feeding it events with each attribute
    /// missing, null or of another JSON type). Any other exception it may throw on some input is poison too: a
    /// message that fails here fails on every delivery, and the queue would hand it out forever. Only running out
    /// of memory is not the message's fault (null: it propagates).
    /// </summary>
    private static string? Unreadable(Exception e) => e switch
    {
        OutOfMemoryException => null,
        JsonException => "not JSON the SDK can read",
        ArgumentException => "a required attribute is missing, null or not allowed",
        FormatException => "a time or other value is not in its format",
        InvalidOperationException => "an attribute has the wrong JSON type, or the data is missing",
        _ => $"refused with {e.GetType().Name}",
    };

    /// <summary>The SDK's messages can run over several lines (advice on skipValidation); the first says what is wrong.</summary>
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>The raw JSON: as given, base64-decoded, or taken out of a JSON string (each at most once).</summary>
    private static byte[]? Unwrap(byte[] text, int depth)
    {
        if (text.Length == 0 || depth > 2)
        {
            return null;
        }

        if (text[0] is (byte)'{' or (byte)'[')
        {
            return text;
        }

        if (text[0] == (byte)'"')
        {
            try
            {
                var inner = JsonSerializer.Deserialize<string>(text);
                return inner is null ? null : Unwrap(Encoding.UTF8.GetBytes(inner.Trim()), depth + 1);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        if (!Base64.IsValid(text, out var decodedLength) || decodedLength == 0)
        {
            return null;
        }

        var decoded = new byte[decodedLength];
        return Base64.DecodeFromUtf8(text, decoded, out _, out var written) == System.Buffers.OperationStatus.Done
            ? Unwrap(decoded.AsSpan(0, written).Trim("\r\n\t "u8).ToArray(), depth + 1)
            : null;
    }

    /// <summary>
    /// Container and blob name, from <c>subject</c> (<c>/blobServices/default/containers/{c}/blobs/{name}</c>, the
    /// same in both schemas and for every host) or else from <c>data.url</c> (virtual-host style
    /// <c>https://acct.blob.core.windows.net/{c}/{name}</c>, or path style <c>http://host:port/{acct}/{c}/{name}</c> as Azurite uses).
    /// </summary>
    private static (string Container, string Name)? Locate(string? subject, string? url)
    {
        const string marker = "/blobServices/default/containers/";
        if (subject is not null && subject.StartsWith(marker, StringComparison.Ordinal))
        {
            var rest = subject[marker.Length..];
            var blobs = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (blobs > 0 && blobs + 7 < rest.Length)
            {
                return (rest[..blobs], rest[(blobs + 7)..]);
            }
        }

        if (url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            var segments = uri.AbsolutePath.TrimStart('/').Split('/', 2);
            var pathStyle = uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || uri.IsLoopback;
            if (pathStyle && segments.Length == 2)
            {
                segments = segments[1].Split('/', 2);
            }

            if (segments.Length == 2 && segments[0].Length > 0 && segments[1].Length > 0)
            {
                return (Uri.UnescapeDataString(segments[0]), Uri.UnescapeDataString(segments[1]));
            }
        }

        return null;
    }

    private static BlobEventBatch Poison(string reason) => new([], 0, reason, []);
}
