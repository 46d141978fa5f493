using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// <c>POST /images/names</c> over HTTP (its pages and its refusals), and the thumbnails a save refused by a tombstone
/// leaves behind, deleted through the sidecar double's <c>thumbnails</c> folder.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes through IAsyncLifetime.")]
public sealed class NamesApiTests : IAsyncLifetime
{
    private StoreOnSidecar _store = null!;

    public async Task InitializeAsync() =>
        _store = await StoreOnSidecar.StartAsync("names", new Dictionary<string, string>
        {
            ["Thumbnails:BindingType"] = "localstorage",
            ["Thumbnails:CallTimeout"] = "00:00:02",
            ["Thumbnails:CallAttempts"] = "1",
        });

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private Task<HttpResponseMessage> Put(ImageRecord record) =>
        _store.Client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));

    private Task<HttpResponseMessage> Names(object body) =>
        _store.Client.PostAsync("/" + DaprTopology.Methods.ImageNames, new StringContent(JsonSerializer.Serialize(body, ContractJson.Options), Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Names_answer_keyset_pages_and_refuse_bad_requests_naming_the_field()
    {
        foreach (var name in new[] { "n/c.jpg", "n/a.jpg", "n/b.jpg" })
        {
            Assert.True((await Put(SampleRecords.Succeeded(name))).IsSuccessStatusCode);
        }

        using var first = await Names(new ImageNamesRequest("images", Limit: 2));
        var page = await first.Content.ReadFromJsonAsync<ImageNamePage>(ContractJson.Options);
        using var second = await Names(new ImageNamesRequest("images", After: page!.NextAfter, Limit: 2));
        var rest = await second.Content.ReadFromJsonAsync<ImageNamePage>(ContractJson.Options);

        Assert.Equal(["n/a.jpg", "n/b.jpg"], page.Items.Select(i => i.BlobName));
        Assert.Equal("n/b.jpg", page.NextAfter);
        Assert.Equal(SampleRecords.Succeeded("n/a.jpg").Id, page.Items[0].Id);
        Assert.Equal("v1", page.Items[0].BlobVersion);
        Assert.Equal(["n/c.jpg"], rest!.Items.Select(i => i.BlobName));
        Assert.Null(rest.NextAfter);

        foreach (var (body, field) in new (object, string)[]
        {
            (new { container = "images", limit = 0 }, "limit"),
            (new { container = "images", limit = ImageNamesRequest.MaxLimit + 1 }, "limit"),
            (new { container = "" }, "container"),
            (new { container = "images", after = new string('a', 1025) }, "after"),
            (new { container = "images", through = new string('a', 1025) }, "through"),
        })
        {
            using var refused = await Names(body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), field);
        }

        using var notJson = await _store.Client.PostAsync("/" + DaprTopology.Methods.ImageNames, new StringContent("{", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task A_save_refused_by_a_tombstone_deletes_the_thumbnails_its_run_wrote_after_the_delete()
    {
        var record = SampleRecords.Succeeded("n/late.jpg").WithThumbnail(0x99);
        Assert.Equal(HttpStatusCode.NoContent, (await _store.Client.DeleteAsync($"/images/{record.Id}")).StatusCode);
        // The run, still under way when the delete came, writes its thumbnail, then saves.
        var thumbnail = Path.Combine(_store.Thumbnails, ImageThumbnail.NameFor(record.Id));
        await File.WriteAllBytesAsync(thumbnail, Encoding.ASCII.GetBytes("RIFF....WEBPVP8 late"));

        using var late = await Put(record);

        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.False(File.Exists(thumbnail));
        Assert.Equal(HttpStatusCode.Gone, (await _store.Client.GetAsync($"/images/{record.Id}")).StatusCode);
    }
}
