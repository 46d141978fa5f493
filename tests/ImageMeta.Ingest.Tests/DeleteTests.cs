using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Ingest.Tests;

/// <summary>DELETE /images/{id}: the delete workflow removes the original version and the record, once, and a late save cannot bring it back.</summary>
public sealed class DeleteTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    [Fact]
    public async Task Deleting_a_stored_image_removes_its_blob_and_record_and_a_second_delete_answers_204()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var status = await H.UploadAndWaitForWorkflowAsync("gone.png");
        var id = status.GetProperty("id").GetString()!;
        Assert.True(H.Records.ContainsKey(id));

        using var accepted = await H.Http.DeleteAsync($"/images/{id}");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var answer = await accepted.Content.ReadFromJsonAsync<DeleteAccepted>(ContractJson.Options);
        Assert.Equal((id, ImageDeletions.InstanceId(ImageId.Parse(id))), (answer!.Id.Value, answer.Workflow));
        var run = await H.Engine.WaitForTerminalAsync(answer.Workflow, TimeSpan.FromSeconds(30));
        Assert.Equal("COMPLETED", run.RuntimeStatus);
        Assert.False(File.Exists(Path.Combine(H.ImagesFolder, "gone.png")));
        Assert.False(H.Records.ContainsKey(id));

        using var again = await H.Http.DeleteAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(1, H.StoreDeletes);
    }

    [Fact]
    public async Task A_malformed_id_answers_400_and_an_unknown_one_404_and_nothing_starts()
    {
        using var malformed = await H.Http.DeleteAsync("/images/not-an-id");
        using var unknown = await H.Http.DeleteAsync($"/images/{new string('a', 32)}");

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("No image", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(H.Engine.StartedInstanceIds);
        Assert.Equal(0, H.StoreDeletes);
    }

    [Fact]
    public async Task A_delete_while_the_image_is_still_processed_wins_and_no_record_comes_back()
    {
        // The extractor is down: the image's workflow waits in its retries (up to 50 of them), without a record.
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(new IngestHarnessOptions
        {
            Settings = new Dictionary<string, string?> { ["Ingest:RetryMaxAttempts"] = "50", ["Ingest:RetryFirstInterval"] = "00:00:00.2" },
        });
        H.ExtractAnswer = (StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable);
        using var upload = await H.UploadAsync("late.png", Encoding.UTF8.GetBytes("late bytes"));
        var id = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var accepted = await H.Http.DeleteAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var delete = await H.Engine.WaitForTerminalAsync(ImageDeletions.InstanceId(ImageId.Parse(id)), TimeSpan.FromSeconds(30));
        Assert.Equal("COMPLETED", delete.RuntimeStatus);

        // The extractor is back: the image's run ends, its save meets the tombstone, and the delete stands.
        Assert.Empty(H.Saved);
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var run = await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal("COMPLETED", run.RuntimeStatus);
        Assert.Contains(ImageWorkflowResult.DeletedStatus, run.OutputJson, StringComparison.Ordinal);
        Assert.False(H.Records.ContainsKey(id));
        Assert.Empty(H.Saved);
        Assert.False(File.Exists(Path.Combine(H.ImagesFolder, "late.png")));
    }

    [Fact]
    public async Task A_BlobDeleted_event_for_a_blob_deleted_behind_the_pipeline_s_back_removes_its_record()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var status = await H.UploadAndWaitForWorkflowAsync("behind-the-back.png");
        var id = status.GetProperty("id").GetString()!;
        File.Delete(Path.Combine(H.ImagesFolder, "behind-the-back.png"));
        var message = """[{"id":"e1","eventType":"Microsoft.Storage.BlobDeleted","subject":"/blobServices/default/containers/images/blobs/behind-the-back.png","eventTime":"2026-12-01T00:00:00Z","dataVersion":"","metadataVersion":"1","topic":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a","data":{"api":"DeleteBlob","contentType":"image/png","blobType":"BlockBlob","url":"https://a.blob.core.windows.net/images/behind-the-back.png","sequencer":"1"}}]""";

        using var delivery = await H.Http.PostAsync("/image-events", new StringContent(message));

        Assert.True(delivery.IsSuccessStatusCode, await delivery.Content.ReadAsStringAsync());
        Assert.Equal(1, (await delivery.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("removed").GetInt32());
        var run = await H.Engine.WaitForTerminalAsync(ImageDeletions.InstanceId(ImageId.Parse(id)), TimeSpan.FromSeconds(30));
        Assert.Equal("COMPLETED", run.RuntimeStatus);
        Assert.Contains(OriginalDeletion.Absent, run.OutputJson, StringComparison.Ordinal);
        Assert.False(H.Records.ContainsKey(id));
        Assert.Equal(1, H.StoreDeletes);
    }

    [Fact]
    public async Task A_BlobDeleted_event_for_a_name_written_again_since_keeps_the_current_version()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var status = await H.UploadAndWaitForWorkflowAsync("rewritten.png");
        var id = status.GetProperty("id").GetString()!;
        var message = """[{"id":"e2","eventType":"Microsoft.Storage.BlobDeleted","subject":"/blobServices/default/containers/images/blobs/rewritten.png","eventTime":"2026-12-01T00:00:00Z","dataVersion":"","metadataVersion":"1","topic":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a","data":{"api":"DeleteBlob","url":"https://a.blob.core.windows.net/images/rewritten.png","sequencer":"1"}}]""";

        // The blob is there at the version the record names (deleted and written again before the event arrived).
        using var delivery = await H.Http.PostAsync("/image-events", new StringContent(message));

        Assert.True(delivery.IsSuccessStatusCode, await delivery.Content.ReadAsStringAsync());
        Assert.Equal(0, (await delivery.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("removed").GetInt32());
        Assert.True(H.Records.ContainsKey(id));
        Assert.Equal(0, H.StoreDeletes);
        Assert.DoesNotContain(ImageDeletions.InstanceId(ImageId.Parse(id)), H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task Deleting_a_replaced_version_keeps_the_blob_that_holds_the_newer_version()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var first = await H.UploadAndWaitForWorkflowAsync("same-name.png");
        var oldId = first.GetProperty("id").GetString()!;
        var newer = Encoding.UTF8.GetBytes("the newer version's bytes");
        using (await H.UploadAsync("same-name.png", newer))
        {
        }

        using var accepted = await H.Http.DeleteAsync($"/images/{oldId}");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var run = await H.Engine.WaitForTerminalAsync(ImageDeletions.InstanceId(ImageId.Parse(oldId)), TimeSpan.FromSeconds(30));

        Assert.Equal("COMPLETED", run.RuntimeStatus);
        Assert.Contains(OriginalDeletion.OtherVersion, run.OutputJson, StringComparison.Ordinal);
        Assert.Equal(newer, await File.ReadAllBytesAsync(Path.Combine(H.ImagesFolder, "same-name.png")));
        Assert.False(H.Records.ContainsKey(oldId));
    }
}
