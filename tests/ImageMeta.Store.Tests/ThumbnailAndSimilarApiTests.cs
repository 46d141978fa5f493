using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// <c>GET /images/{id}/thumbnail</c>, <c>/similar</c> and <c>duplicatesOf</c> over HTTP, on SQLite, with the store's
/// real Dapr client reading thumbnails through a sidecar double's <c>bindings.localstorage</c> folder over gRPC. The
/// double's one blob binding is named <c>images</c>, so the store is pointed at that name
/// (<c>Thumbnails:BindingName</c>): configuration only, the request shapes are those of the thumbnails component.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes through IAsyncLifetime.")]
public sealed class ThumbnailAndSimilarApiTests : IAsyncLifetime
{
    private StoreOnSidecar _store = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _store = await StoreOnSidecar.StartAsync("thumbs", new Dictionary<string, string>
        {
            ["Thumbnails:BindingName"] = DaprTopology.Components.Images,
            ["Thumbnails:BindingType"] = "localstorage",
            ["Thumbnails:CallTimeout"] = "00:00:05",
            ["Thumbnails:CallAttempts"] = "1",
        });
        _client = _store.Client;
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private async Task<ImageRecord> Put(ImageRecord record)
    {
        var response = await _client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return record;
    }

    /// <summary>A WebP's first bytes and some payload: the store streams bytes, it never decodes them.</summary>
    private byte[] WriteThumbnail(ImageRecord record)
    {
        var bytes = Encoding.ASCII.GetBytes("RIFF\u0010\0\0\0WEBPVP8 ").Concat(Enumerable.Range(0, 300).Select(i => (byte)i)).ToArray();
        File.WriteAllBytes(Path.Combine(_store.Blobs, record.Thumbnail!.Name), bytes);
        return bytes;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task The_thumbnail_is_streamed_as_webp_cacheable_for_good_and_an_unchanged_etag_answers_304()
    {
        var record = await Put(SampleRecords.Succeeded("thumbs/a.jpg").WithThumbnail(0xFEDC_BA98_7654_3210));
        var bytes = WriteThumbnail(record);

        var first = await _client.GetAsync($"/images/{record.Id}/thumbnail");
        var etag = first.Headers.ETag;
        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/images/{record.Id}/thumbnail");
        conditional.Headers.IfNoneMatch.Add(etag!);
        var again = await _client.SendAsync(conditional);
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/images/{record.Id}/thumbnail");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        var changed = await _client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("image/webp", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await first.Content.ReadAsByteArrayAsync());
        Assert.True(first.Headers.CacheControl?.Extensions.Any(e => e.Name == "immutable"));
        Assert.True(first.Headers.CacheControl?.MaxAge >= TimeSpan.FromDays(365));
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        Assert.Empty(await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, again.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task A_missing_thumbnail_answers_404_saying_which_part_is_missing()
    {
        var unsupported = await Put(SampleRecords.Succeeded("thumbs/none.jpg") with { ThumbnailFailure = new ProcessingFailure(FailureClass.Unsupported, "No decoder for HEIC.") });
        var old = await Put(SampleRecords.Succeeded("thumbs/old.jpg"));
        var lost = await Put(SampleRecords.Succeeded("thumbs/lost.jpg").WithThumbnail(1));

        var unknown = await _client.GetAsync($"/images/{new string('a', ImageId.Length)}/thumbnail");
        var failed = await _client.GetAsync($"/images/{unsupported.Id}/thumbnail");
        var before = await _client.GetAsync($"/images/{old.Id}/thumbnail");
        var missingBlob = await _client.GetAsync($"/images/{lost.Id}/thumbnail");

        Assert.All(new[] { unknown, failed, before, missingBlob }, r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal("Unknown image", (await Problem(unknown)).GetProperty("title").GetString());
        Assert.Contains("No decoder for HEIC.", (await Problem(failed)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("No thumbnail", (await Problem(before)).GetProperty("title").GetString());
        Assert.Equal("Thumbnail blob missing", (await Problem(missingBlob)).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images/not-an-id/thumbnail")).StatusCode);
    }

    [Fact]
    public async Task The_thumbnail_answers_503_when_the_sidecar_is_down()
    {
        var record = await Put(SampleRecords.Succeeded("thumbs/down.jpg").WithThumbnail(2));
        WriteThumbnail(record);
        await _store.Network.DisposeAsync();

        var response = await _client.GetAsync($"/images/{record.Id}/thumbnail");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("retry", (await Problem(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Similar_answers_distances_and_records_nearest_first_within_bounds()
    {
        var self = await Put(SampleRecords.Succeeded("near/self.jpg").WithThumbnail(0x8000_0000_0000_0000));
        var one = await Put(SampleRecords.Succeeded("near/one.jpg").WithThumbnail(0x8000_0000_0000_0001));
        var twelve = await Put(SampleRecords.Succeeded("near/twelve.jpg").WithThumbnail(0x8000_0000_0000_0FFF));
        var noHash = await Put(SampleRecords.Succeeded("near/nohash.jpg"));

        var byDefault = await _client.GetFromJsonAsync<JsonElement>($"/images/{self.Id}/similar");
        var wider = await _client.GetFromJsonAsync<JsonElement>($"/images/{self.Id}/similar?maxDistance=12&limit=1000");
        var first = await _client.GetFromJsonAsync<JsonElement>($"/images/{self.Id}/similar?maxDistance=32&limit=1");

        static IEnumerable<(int, string)> Items(JsonElement answer) => answer.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("distance").GetInt32(), i.GetProperty("image").GetProperty("blob").GetProperty("name").GetString()!));
        Assert.Equal([(1, "near/one.jpg")], Items(byDefault));
        Assert.Equal([(1, "near/one.jpg"), (12, "near/twelve.jpg")], Items(wider));
        Assert.Equal([(1, "near/one.jpg")], Items(first));
        Assert.Equal(one.Id.Value, byDefault.GetProperty("items")[0].GetProperty("image").GetProperty("id").GetString());
        Assert.Equal(twelve.Thumbnail!.PerceptualHash, wider.GetProperty("items")[1].GetProperty("image").GetProperty("thumbnail").GetProperty("perceptualHash").GetString());
        foreach (var bad in new[] { "maxDistance=33", "maxDistance=-1", "maxDistance=x", "limit=0" })
        {
            var response = await _client.GetAsync($"/images/{self.Id}/similar?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty(bad.Split('=')[0], out _), bad);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images/{new string('b', ImageId.Length)}/similar")).StatusCode);
        var conflict = await _client.GetAsync($"/images/{noHash.Id}/similar");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("Image has no perceptual hash", (await Problem(conflict)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Duplicates_of_lists_near_duplicates_in_pages_and_stats_count_the_groups()
    {
        var self = await Put(SampleRecords.Succeeded("dups/self.jpg").WithThumbnail(0x0123_4567_89AB_CDEF));
        await Put(SampleRecords.Succeeded("dups/copy1.jpg").WithThumbnail(0x0123_4567_89AB_CDEE));
        await Put(SampleRecords.Succeeded("dups/copy2.png", format: ImageFormats.Png).WithThumbnail(0x0123_4567_89AB_CDED));
        await Put(SampleRecords.Succeeded("dups/other.jpg").WithThumbnail(0xFEDC_BA98_7654_3210));
        var noHash = await Put(SampleRecords.Succeeded("dups/nohash.jpg"));

        var page1 = await _client.GetFromJsonAsync<JsonElement>($"/images?duplicatesOf={self.Id}&limit=1");
        var page2 = await _client.GetFromJsonAsync<JsonElement>($"/images?duplicatesOf={self.Id}&limit=1&cursor={page1.GetProperty("nextCursor").GetString()}");
        var pngOnly = await _client.GetFromJsonAsync<JsonElement>($"/images?duplicatesOf={self.Id}&format=png");
        var stats = await _client.GetFromJsonAsync<JsonElement>("/images/stats");

        static string[] Names(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("blob").GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["dups/copy2.png"], Names(page1));
        Assert.Equal(["dups/copy1.jpg"], Names(page2));
        Assert.False(page2.TryGetProperty("nextCursor", out _));
        Assert.Equal(["dups/copy2.png"], Names(pngOnly));
        Assert.Equal(1, stats.GetProperty("nearDuplicateGroups").GetInt64());
        Assert.Equal(3, stats.GetProperty("nearDuplicateImages").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images?duplicatesOf={new string('c', ImageId.Length)}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _client.GetAsync($"/images?duplicatesOf={noHash.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync("/images?duplicatesOf=nope")).StatusCode);
    }

    [Fact]
    public async Task Thumbnail_fields_the_validator_refuses_get_400_naming_the_field_and_write_nothing()
    {
        var good = SampleRecords.Succeeded("refuse/a.jpg").WithThumbnail(7);
        var cases = new (string Field, ImageRecord Record)[]
        {
            ("thumbnail.name", good with { Thumbnail = good.Thumbnail! with { Name = "../images/other.webp" } }),
            ("thumbnail.width", good with { Thumbnail = good.Thumbnail! with { Width = ImageThumbnail.MaxEdge + 1 } }),
            ("thumbnail.perceptualHash", good with { Thumbnail = good.Thumbnail! with { PerceptualHash = "ABCDEF0123456789" } }),
            ("thumbnailFailure", good with { ThumbnailFailure = new ProcessingFailure(FailureClass.Corrupt, "both") }),
            ("thumbnailFailure.class", SampleRecords.Succeeded("refuse/b.jpg") with { ThumbnailFailure = new ProcessingFailure("cosmic-rays", "?") }),
        };

        foreach (var (field, record) in cases)
        {
            var response = await _client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty(field, out _), field);
        }

        Assert.Equal(0, (await _client.GetFromJsonAsync<JsonElement>("/images/stats")).GetProperty("total").GetInt64());
    }
}
