using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Ingest.Tests;

/// <summary>POST /images/{id}/reprocess: the image's workflow runs again for the version its record names, and the new record replaces the old.</summary>
public sealed class ReprocessImageTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    [Fact]
    public async Task A_failed_image_processed_again_once_the_extractor_reads_it_becomes_succeeded()
    {
        H.ExtractAnswer = (StatusCodes.Status422UnprocessableEntity, FailureClass.Unsupported);
        var status = await H.UploadAndWaitForWorkflowAsync("new-format.heic");
        var id = status.GetProperty("id").GetString()!;
        Assert.Equal(FailureClass.Unsupported, H.Records[id].Failure?.Class);
        H.ExtractAnswer = (StatusCodes.Status200OK, null);

        using var accepted = await H.Http.PostAsync($"/images/{id}/reprocess", null);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(id, (await accepted.Content.ReadFromJsonAsync<ReprocessAccepted>(ContractJson.Options))!.Id.Value);
        await WaitForAsync(() => H.Engine.StartedInstanceIds.Count(i => i == id) == 2 && H.Records[id].Status == ImageStatus.Succeeded);
        Assert.Equal(ImageStatus.Succeeded, H.Records[id].Status);
        Assert.Equal(2, H.ExtractCalls);
    }

    [Fact]
    public async Task Malformed_unknown_and_deleted_ids_get_400_404_and_409_and_nothing_starts()
    {
        var deleted = new string('b', 32);
        H.Tombstones[deleted] = true;

        using var malformed = await H.Http.PostAsync("/images/nope/reprocess", null);
        using var unknown = await H.Http.PostAsync($"/images/{new string('a', 32)}/reprocess", null);
        using var gone = await H.Http.PostAsync($"/images/{deleted}/reprocess", null);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.Conflict), (malformed.StatusCode, unknown.StatusCode, gone.StatusCode));
        Assert.Contains("deleted", (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(H.Engine.StartedInstanceIds);
    }

    /// <summary>Polls until <paramref name="done"/> or 30 s (a bound, not a timing assertion).</summary>
    private static async Task WaitForAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }
}
