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
}
