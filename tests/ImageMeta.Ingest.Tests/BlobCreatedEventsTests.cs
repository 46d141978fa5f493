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
    public void A_batch_keeps_blob_events_and_counts_other_types_as_ignored()
    {
        var batch = BlobCreatedEvents.Parse(Json(new[]
        {
            EventGrid("images", "a.png"),
            EventGrid("images", "b.png", "Microsoft.Storage.BlobDeleted"),
            EventGrid("images", "c.png"),
        }));

        Assert.Equal(["a.png", "c.png"], batch.Created.Select(c => c.Name));
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
        var batch = BlobCreatedEvents.Parse(Json(CloudEvent("https://acct.blob.core.windows.net/images/a.jpg", "Microsoft.Storage.BlobDeleted")));

        Assert.False(batch.IsPoison);
        Assert.Empty(batch.Created);
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

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            var batch = BlobCreatedEvents.Parse(bytes);
            Assert.True(batch.IsPoison || batch.Created.Count + batch.Ignored > 0);
        }
    }
}

public sealed class BlobNameRulesTests
{
    [Theory]
    [InlineData("photo.jpg")]
    [InlineData("2026/11/cat photo.JPG")]
    [InlineData("ünïcödé/日本.png")]
    [InlineData("a..b.jpg")]
    public void Ordinary_relative_names_are_accepted(string name) => Assert.Null(BlobNameRules.Problem(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../escape.jpg")]
    [InlineData("a/../../escape.jpg")]
    [InlineData("./a.jpg")]
    [InlineData("/etc/passwd")]
    [InlineData("dir/")]
    [InlineData("a//b.jpg")]
    [InlineData("a\\b.jpg")]
    [InlineData("C:x.jpg")]
    [InlineData("line\nbreak.jpg")]
    [InlineData("nul\0.jpg")]
    [InlineData(" lead.jpg")]
    public void Path_tricks_and_control_characters_are_refused(string? name) => Assert.NotNull(BlobNameRules.Problem(name));

    [Fact]
    public void Over_long_names_are_refused() => Assert.NotNull(BlobNameRules.Problem(new string('a', BlobNameRules.MaxLength + 1)));
}
