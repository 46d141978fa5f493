using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest.Tests;

/// <summary>The image-events input binding: BlobCreated messages from the storage queue.</summary>
public sealed class ImageEventsTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    [Fact]
    public async Task A_poison_queue_message_is_acknowledged_and_reported()
    {
        using var response = await H.Http.PostAsync("/image-events", new StringContent("this is not an event"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("poison").GetString()));
        Assert.Empty(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_BlobCreated_event_for_an_existing_blob_starts_it_and_one_for_another_container_does_not()
    {
        await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, "dropped.gif"), [7, 7, 7]);
        var events = JsonSerializer.Serialize(new[]
        {
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/images/blobs/dropped.gif", id = "1", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/other/blobs/x.gif", id = "2", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
            new { eventType = "Microsoft.Storage.BlobCreated", subject = "/blobServices/default/containers/images/blobs/gone.gif", id = "3", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
        });

        using var response = await H.Http.PostAsync("/image-events", new StringContent(Convert.ToBase64String(Encoding.UTF8.GetBytes(events))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var handled = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 1, 1), (handled.GetProperty("started").GetInt32(), handled.GetProperty("otherContainer").GetInt32(), handled.GetProperty("vanished").GetInt32()));
        Assert.Single(H.Engine.StartedInstanceIds);
    }

    private static object Created(string id, string name, string container = "images") =>
        new { eventType = "Microsoft.Storage.BlobCreated", subject = $"/blobServices/default/containers/{container}/blobs/{name}", id, eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } };

    private async Task<JsonElement> DeliverAsync(object events)
    {
        using var response = await H.Http.PostAsync("/image-events", new StringContent(JsonSerializer.Serialize(events)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Spellings_of_a_name_that_are_not_its_canonical_form_are_poison_and_only_the_canonical_one_starts()
    {
        Directory.CreateDirectory(Path.Combine(H.ImagesFolder, "d"));
        await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, "d", "n.png"), [4, 2]);
        string[] spellings = ["x/../d/n.png", "d//n.png", "./d/n.png", "/d/n.png", "d/./n.png", "d/n.png/", "d\\n.png", "d/n.png"];

        var handled = await DeliverAsync(spellings.Select((name, i) => Created(i.ToString(System.Globalization.CultureInfo.InvariantCulture), name)).ToArray());

        Assert.Equal((1, spellings.Length - 1), (handled.GetProperty("started").GetInt32(), handled.GetProperty("poisonEvents").GetInt32()));
        var id = Assert.Single(H.Engine.StartedInstanceIds);
        Assert.Contains("\"d/n.png\"", H.Engine.InputOf(id), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_naming_a_folder_or_holding_NUL_is_poison_not_an_error_and_the_rest_of_its_batch_is_processed()
    {
        Directory.CreateDirectory(Path.Combine(H.ImagesFolder, "folder"));
        await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, "good.png"), [1]);

        var handled = await DeliverAsync(new[] { Created("1", "folder"), Created("2", "nul\u0000.png"), Created("3", "good.png") });

        Assert.Equal((1, 2), (handled.GetProperty("started").GetInt32(), handled.GetProperty("poisonEvents").GetInt32()));
        Assert.Single(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task One_unreadable_event_in_a_batch_does_not_drop_the_valid_ones()
    {
        await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, "kept.png"), [5]);
        var batch = new object[]
        {
            new { eventType = "Microsoft.Storage.BlobCreated", id = "no-subject", eventTime = "2026-11-30T00:00:00Z", dataVersion = "", data = new { api = "PutBlob" } },
            new { subject = "/blobServices/default/containers/images/blobs/x.png", id = "no-type", eventTime = "2026-11-30T00:00:00Z" },
            Created("ok", "kept.png"),
        };

        var handled = await DeliverAsync(batch);

        Assert.Equal(JsonValueKind.Null, handled.TryGetProperty("poison", out var poison) ? poison.ValueKind : JsonValueKind.Null);
        Assert.Equal((1, 2), (handled.GetProperty("started").GetInt32(), handled.GetProperty("poisonEvents").GetInt32()));
    }

    [Fact]
    public async Task A_message_over_one_MiB_is_reported_as_too_long()
    {
        var big = new string('a', BlobCreatedEvents.MaxMessageBytes + 10);

        using var response = await H.Http.PostAsync("/image-events", new StringContent(big));

        var poison = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("poison").GetString();
        Assert.Contains("more than 1048576 bytes", poison, StringComparison.Ordinal);
    }
}
