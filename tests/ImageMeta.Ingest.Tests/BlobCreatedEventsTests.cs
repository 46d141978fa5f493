using System.Text;
using System.Text.Json;

namespace ImageMeta.Ingest.Tests;

public sealed class BlobCreatedEventsTests
{
    private static Dictionary<string, object?> EventGrid(string container, string name, string type = BlobCreatedEvents.BlobCreatedType) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["topic"] = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
        ["subject"] = $"/blobServices/default/containers/{container}/blobs/{name}",
        ["eventType"] = type,
        ["eventTime"] = "2026-11-25T10:00:00Z",
        ["data"] = new Dictionary<string, object?>
        {
            ["url"] = $"https://acct.blob.core.windows.net/{container}/{Uri.EscapeDataString(name)}",
            ["eTag"] = "0x8DCAFE",
            ["contentLength"] = 1234,
        },
        ["dataVersion"] = "",
        ["metadataVersion"] = "1",
    };

    private static Dictionary<string, object?> CloudEvent(string url, string type = BlobCreatedEvents.BlobCreatedType) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = "ce-1",
        ["source"] = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
        ["type"] = type,
        ["time"] = "2026-11-25T10:00:00Z",
        ["data"] = new Dictionary<string, object?> { ["url"] = url, ["eTag"] = "0x1", ["contentLength"] = 5 },
    };

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    [Fact]
    public void A_single_Event_Grid_event_names_its_container_and_blob()
    {
        var batch = BlobCreatedEvents.Parse(Json(EventGrid("images", "2026/cat photo.jpg")));

        var notice = Assert.Single(batch.Created);
        Assert.False(batch.IsPoison);
        Assert.Equal(("images", "2026/cat photo.jpg", "0x8DCAFE", (long?)1234), (notice.Container, notice.Name, notice.ETag, notice.ContentLength));
    }

    [Fact]
    public void A_batch_keeps_created_and_deleted_blobs_and_counts_other_types_as_ignored()
    {
        var batch = BlobCreatedEvents.Parse(Json(new[]
        {
            EventGrid("images", "a.png"),
            EventGrid("images", "b.png", "Microsoft.Storage.BlobDeleted"),
            EventGrid("images", "c.png"),
            EventGrid("images", "d.png", "Microsoft.Storage.BlobTierChanged"),
        }));

        Assert.Equal(["a.png", "c.png"], batch.Created.Select(c => c.Name));
        Assert.Equal(("images", "b.png"), (Assert.Single(batch.DeletedBlobs).Container, batch.DeletedBlobs[0].Name));
        Assert.Equal(1, batch.Ignored);
    }

    [Fact]
    public void CloudEvents_are_read_from_data_url_in_virtual_host_and_path_style()
    {
        var azure = BlobCreatedEvents.Parse(Json(CloudEvent("https://acct.blob.core.windows.net/images/dir/x%20y.jpg")));
        var azurite = BlobCreatedEvents.Parse(Json(CloudEvent("http://127.0.0.1:10000/devstoreaccount1/images/dir/z.jpg")));

        Assert.Equal(("images", "dir/x y.jpg"), (azure.Created[0].Container, azure.Created[0].Name));
        Assert.Equal(("images", "dir/z.jpg"), (azurite.Created[0].Container, azurite.Created[0].Name));
    }

    [Fact]
    public void Base64_and_json_string_wrapped_messages_are_unwrapped()
    {
        var json = Json(new[] { EventGrid("images", "q.gif") });
        var base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(json));
        var quoted = Json(Convert.ToBase64String(json));

        Assert.Equal("q.gif", Assert.Single(BlobCreatedEvents.Parse(base64).Created).Name);
        Assert.Equal("q.gif", Assert.Single(BlobCreatedEvents.Parse(quoted).Created).Name);
    }

    [Fact]
    public void Other_event_types_alone_are_ignored_not_poison()
    {
        var batch = BlobCreatedEvents.Parse(Json(CloudEvent("https://acct.blob.core.windows.net/images/a.jpg", "Microsoft.Storage.BlobTierChanged")));

        Assert.False(batch.IsPoison);
        Assert.Empty(batch.Created);
        Assert.Empty(batch.DeletedBlobs);
        Assert.Equal(1, batch.Ignored);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, not an event")]
    [InlineData("{\"eventType\": ")]
    [InlineData("[]")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"id\": \"no type\"}")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"eventType\": \"Microsoft.Storage.BlobCreated\", \"subject\": \"/elsewhere\", \"data\": {\"url\": \"not a url\"}}")]
    [InlineData("!!!!")]
    public void Unreadable_messages_are_poison_with_a_reason(string message)
    {
        var batch = BlobCreatedEvents.Parse(Encoding.UTF8.GetBytes(message));

        Assert.True(batch.IsPoison);
        Assert.False(string.IsNullOrWhiteSpace(batch.PoisonReason));
        Assert.Empty(batch.Created);
    }

    [Fact]
    public void Oversized_and_deeply_nested_messages_are_poison_quickly()
    {
        var huge = new byte[BlobCreatedEvents.MaxMessageBytes + 1];
        var deep = Encoding.ASCII.GetBytes(new string('[', 100_000));

        Assert.True(BlobCreatedEvents.Parse(huge).IsPoison);
        Assert.True(BlobCreatedEvents.Parse(deep).IsPoison);
    }

    // ---- what Azure.Messaging.EventGrid brings: the envelopes are checked against their schemas ----

    [Theory]
    [InlineData("source")]
    [InlineData("id")]
    [InlineData("type")]
    public void A_CloudEvent_missing_a_required_attribute_is_poison_naming_it(string attribute)
    {
        var cloudEvent = CloudEvent("https://acct.blob.core.windows.net/images/a.jpg");
        cloudEvent.Remove(attribute);

        var batch = BlobCreatedEvents.Parse(Json(cloudEvent));

        Assert.Empty(batch.Created);
        Assert.StartsWith("The message is not a valid CloudEvents 1.0 event or batch (a required attribute is missing", batch.PoisonReason, StringComparison.Ordinal);
        Assert.Contains(attribute, batch.PoisonReason!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', batch.PoisonReason!);
    }

    [Fact]
    public void A_CloudEvent_of_another_spec_version_is_poison()
    {
        var cloudEvent = CloudEvent("https://acct.blob.core.windows.net/images/a.jpg");
        cloudEvent["specversion"] = "0.3";

        Assert.Contains("'0.3'", BlobCreatedEvents.Parse(Json(cloudEvent)).PoisonReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id", "Id")]
    [InlineData("dataVersion", "DataVersion")]
    [InlineData("eventType", "EventType")]
    [InlineData("data", "the data is missing")]
    public void An_Event_Grid_event_missing_a_required_field_is_poison_naming_it(string field, string named)
    {
        // Before, an event with a usable subject was enough; Event Grid always sends these, so a message without
        // them did not come from it.
        var e = EventGrid("images", "a.jpg");
        e.Remove(field);

        var batch = BlobCreatedEvents.Parse(Json(e));

        Assert.Empty(batch.Created);
        Assert.StartsWith("The message is not a valid Event Grid event or batch (", batch.PoisonReason, StringComparison.Ordinal);
        Assert.Contains(named, batch.PoisonReason!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eventTime", "yesterday", "not in its format")]
    [InlineData("id", 5, "wrong JSON type")]
    [InlineData("eventType", true, "wrong JSON type")]
    public void An_Event_Grid_field_of_the_wrong_format_or_type_is_poison(string field, object value, string reason)
    {
        var e = EventGrid("images", "a.jpg");
        e[field] = value;

        Assert.Contains(reason, BlobCreatedEvents.Parse(Json(e)).PoisonReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_mixing_the_two_schemas_keeps_the_events_of_its_first_schema_and_counts_the_other_as_poison()
    {
        var batch = BlobCreatedEvents.Parse(Json(new object[] { CloudEvent("https://acct.blob.core.windows.net/images/a.jpg"), EventGrid("images", "b.jpg") }));

        Assert.False(batch.IsPoison);
        Assert.Equal("a.jpg", Assert.Single(batch.Created).Name);
        Assert.Single(batch.PoisonEvents);
    }

    [Fact]
    public void A_CloudEvent_with_base64_data_is_read_like_one_with_json_data()
    {
        var cloudEvent = CloudEvent("unused");
        cloudEvent.Remove("data");
        cloudEvent["data_base64"] = Convert.ToBase64String(Json(new Dictionary<string, object?>
        {
            ["url"] = "https://acct.blob.core.windows.net/images/b64.jpg",
            ["eTag"] = "0x2",
            ["contentLength"] = 9,
        }));

        var notice = Assert.Single(BlobCreatedEvents.Parse(Json(cloudEvent)).Created);

        Assert.Equal(("images", "b64.jpg", "0x2", (long?)9, "ce-1"), (notice.Container, notice.Name, notice.ETag, notice.ContentLength, notice.EventId));
    }

    [Fact]
    public void Events_with_fields_replaced_by_random_json_never_throw()
    {
        // The SDK throws several exception types on odd envelopes; each must become a poison reason, never escape.
        object?[] values = [null, 5, -1.5e300, "x", "", true, Array.Empty<int>(), new Dictionary<string, object?>(), "2026-13-45T99:00:00Z", "/blobServices/default/containers/c/blobs/"];
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var e = random.Next(2) == 0 ? EventGrid("images", "a.jpg") : CloudEvent("https://acct.blob.core.windows.net/images/a.jpg");
            var data = (Dictionary<string, object?>)e["data"]!;
            for (var changes = random.Next(1, 4); changes > 0; changes--)
            {
                var target = random.Next(3) == 0 ? data : e;
                var key = target.Keys.ElementAt(random.Next(target.Count));
                if (random.Next(4) == 0)
                {
                    target.Remove(key);
                }
                else
                {
                    target[key] = values[random.Next(values.Length)];
                }
            }

            var batch = BlobCreatedEvents.Parse(Json(random.Next(2) == 0 ? e : new[] { e, e }));
            Assert.True(batch.IsPoison || batch.Created.Count + batch.Ignored + batch.PoisonEvents.Count > 0);
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            var batch = BlobCreatedEvents.Parse(bytes);
            Assert.True(batch.IsPoison || batch.Created.Count + batch.Ignored + batch.PoisonEvents.Count > 0);
        }
    }
}
