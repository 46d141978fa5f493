using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace ImageMeta.Ingest;

/// <summary>A blob named by a BlobCreated event: where it is, and what the event says about it.</summary>
public sealed record BlobCreatedNotice(string Container, string Name, string? ETag, long? ContentLength, string EventId);

/// <summary>What one queue message held: created blobs, events of other kinds, or nothing readable.</summary>
public sealed record BlobEventBatch(IReadOnlyList<BlobCreatedNotice> Created, int Ignored, string? PoisonReason)
{
    public bool IsPoison => PoisonReason is not null;
}

/// <summary>
/// Reads the messages Event Grid puts on the storage queue: <c>Microsoft.Storage.BlobCreated</c> events in
/// the Event Grid schema or the CloudEvents 1.0 schema, one event or a batch (JSON array), as plain JSON or
/// base64 (the storage queue binding passes message text through unless its <c>decodeBase64</c> is set).
/// Anything that cannot be read is reported as poison rather than thrown, so the caller can acknowledge it
/// instead of having the queue redeliver it forever.
/// </summary>
public static class BlobCreatedEvents
{
    public const string BlobCreatedType = "Microsoft.Storage.BlobCreated";

    /// <summary>Messages larger than this are not events Event Grid sends (its batches are at most 1 MB).</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    public static BlobEventBatch Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxMessageBytes)
        {
            return Poison($"The message has {message.Length} bytes; event messages are at most {MaxMessageBytes}.");
        }

        var json = Unwrap(message.Trim("\r\n\t "u8).ToArray(), depth: 0);
        if (json is null)
        {
            return Poison("The message is neither JSON nor base64-encoded JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return Poison($"The message is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            var events = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray().ToList(),
                JsonValueKind.Object => [root],
                _ => null,
            };
            if (events is null || events.Count == 0)
            {
                return Poison("The message holds no event object.");
            }

            var created = new List<BlobCreatedNotice>();
            var ignored = 0;
            foreach (var e in events)
            {
                if (e.ValueKind != JsonValueKind.Object)
                {
                    return Poison("An element of the event batch is not an object.");
                }

                // Event Grid schema: eventType; CloudEvents 1.0: type (with specversion).
                var type = String(e, "eventType") ?? String(e, "type");
                if (type is null)
                {
                    return Poison("An event has neither 'eventType' (Event Grid schema) nor 'type' (CloudEvents).");
                }

                if (!string.Equals(type, BlobCreatedType, StringComparison.Ordinal))
                {
                    ignored++;
                    continue;
                }

                if (Locate(e) is not { } location)
                {
                    return Poison("A BlobCreated event names no blob (neither a usable 'subject' nor 'data.url').");
                }

                var data = e.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
                long? length = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("contentLength", out var l) && l.TryGetInt64(out var n) ? n : null;
                created.Add(new BlobCreatedNotice(location.Container, location.Name, data.ValueKind == JsonValueKind.Object ? String(data, "eTag") : null, length, String(e, "id") ?? string.Empty));
            }

            return new BlobEventBatch(created, ignored, null);
        }
    }

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
    private static (string Container, string Name)? Locate(JsonElement e)
    {
        const string marker = "/blobServices/default/containers/";
        if (String(e, "subject") is { } subject && subject.StartsWith(marker, StringComparison.Ordinal))
        {
            var rest = subject[marker.Length..];
            var blobs = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (blobs > 0 && blobs + 7 < rest.Length)
            {
                return (rest[..blobs], rest[(blobs + 7)..]);
            }
        }

        if (e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            && String(data, "url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
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

    private static string? String(JsonElement e, string property) =>
        e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static BlobEventBatch Poison(string reason) => new([], 0, reason);
}
