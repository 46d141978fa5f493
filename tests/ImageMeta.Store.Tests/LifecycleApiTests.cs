using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Store.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageMeta.Store.Tests;

/// <summary>
/// This round's routes over HTTP, on SQLite, with the store's real Dapr client and the sidecar double's <c>thumbnails</c>
/// folder: delete with tombstones (410, 409) and thumbnail deletion, replace, the renditions, the stats' cache headers,
/// timeline, positions, changes and lookup answers, and the query validation naming each parameter.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes through IAsyncLifetime.")]
public sealed class LifecycleApiTests : IAsyncLifetime
{
    private readonly MovableClock _clock = new(DateTimeOffset.UtcNow);
    private StoreOnSidecar _store = null!;
    private HttpClient _client = null!;

    /// <summary>The system clock, moved forward when a test says so (timers keep real time).</summary>
    private sealed class MovableClock(DateTimeOffset start) : TimeProvider
    {
        private readonly TimeSpan _offset = start - TimeProvider.System.GetUtcNow();

        public TimeSpan Moved { get; set; }

        public override DateTimeOffset GetUtcNow() => TimeProvider.System.GetUtcNow() + _offset + Moved;
    }

    public async Task InitializeAsync()
    {
        _store = await StoreOnSidecar.StartAsync("lifecycle", new Dictionary<string, string>
        {
            ["Thumbnails:BindingType"] = "localstorage",
            ["Thumbnails:CallTimeout"] = "00:00:02",
            ["Thumbnails:CallAttempts"] = "1",
        }, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_clock)));
        _client = _store.Client;
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private async Task<HttpResponseMessage> Put(ImageRecord record) =>
        await _client.PutAsync($"/images/{record.Id}", new StringContent(JsonSerializer.Serialize(record, ContractJson.Options), Encoding.UTF8, "application/json"));

    /// <summary>A record with a thumbnail and both renditions, whose three blobs are in the thumbnails folder.</summary>
    private ImageRecord WithBlobs(ImageRecord record, ulong hash)
    {
        var thumbnail = record.WithThumbnail(hash).Thumbnail! with
        {
            Large = new ImageRendition(ImageThumbnail.LargeNameFor(record.Id), 640, 480, 2000),
            Preview = new ImageRendition(ImageThumbnail.PreviewNameFor(record.Id), 1600, 1200, 9000),
        };
        foreach (var (name, size) in new[] { (thumbnail.Name, 300), (thumbnail.Large.Name, 2000), (thumbnail.Preview.Name, 9000) })
        {
            File.WriteAllBytes(Path.Combine(_store.Thumbnails, name), Encoding.ASCII.GetBytes("RIFF....WEBPVP8 ").Concat(Enumerable.Repeat((byte)name.Length, size)).ToArray());
        }

        return record with { Thumbnail = thumbnail };
    }

    private bool HasThumbnailBlobs(ImageId id) => ImageThumbnail.BlobNamesFor(id).Any(n => File.Exists(Path.Combine(_store.Thumbnails, n)));

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Delete_removes_record_and_thumbnails_then_answers_410_for_reads_and_409_for_a_late_save()
    {
        var record = WithBlobs(SampleRecords.Succeeded("life/cat.jpg"), 0x1234);
        Assert.Equal(HttpStatusCode.Created, (await Put(record)).StatusCode);

        var deleted = await _client.DeleteAsync($"/images/{record.Id}");
        var again = await _client.DeleteAsync($"/images/{record.Id}");
        var get = await _client.GetAsync($"/images/{record.Id}");
        var thumbnail = await _client.GetAsync($"/images/{record.Id}/thumbnail");
        var late = await Put(record with { ProcessedAt = record.ProcessedAt.AddMinutes(1) });

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.False(HasThumbnailBlobs(record.Id));
        Assert.Equal(HttpStatusCode.Gone, get.StatusCode);
        Assert.Equal(FailureClass.Deleted, (await Problem(get)).GetProperty("failureClass").GetString());
        Assert.Equal(HttpStatusCode.Gone, thumbnail.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal(FailureClass.Deleted, (await Problem(late)).GetProperty("failureClass").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/images/{SampleRecords.Succeeded("life/never.jpg").Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.DeleteAsync("/images/not-an-id")).StatusCode);
        Assert.Equal(0, (await _client.GetFromJsonAsync<JsonElement>("/images/stats")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_delete_whose_thumbnails_cannot_be_deleted_answers_503_and_they_go_on_a_retry_or_in_the_background()
    {
        var first = WithBlobs(SampleRecords.Succeeded("life/first.jpg"), 0x1);
        var second = WithBlobs(SampleRecords.Succeeded("life/second.jpg"), 0x2);
        await Put(first);
        await Put(second);

        _store.Sidecar.LoseNextBindingResponses(1);
        var unavailable = await _client.DeleteAsync($"/images/{first.Id}");
        var retried = await _client.DeleteAsync($"/images/{first.Id}");
        _store.Sidecar.LoseNextBindingResponses(1);
        var secondUnavailable = await _client.DeleteAsync($"/images/{second.Id}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.NotNull(unavailable.Headers.RetryAfter);
        Assert.Equal(FailureClass.Unavailable, (await Problem(unavailable)).GetProperty("failureClass").GetString());
        Assert.Equal(HttpStatusCode.Gone, (await _client.GetAsync($"/images/{first.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        Assert.False(HasThumbnailBlobs(first.Id));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, secondUnavailable.StatusCode);
        Assert.True(HasThumbnailBlobs(second.Id));

        // The queued deletion is retried by the maintenance round once its delay has passed.
        var maintenance = _store.Factory.Services.GetRequiredService<StoreMaintenance>();
        await maintenance.RunOnceAsync(default);
        Assert.True(HasThumbnailBlobs(second.Id));
        _clock.Moved = TimeSpan.FromMinutes(2);
        await maintenance.RunOnceAsync(default);
        Assert.False(HasThumbnailBlobs(second.Id));
    }

    [Fact]
    public async Task A_new_version_of_a_blob_replaces_the_old_one_and_deletes_its_thumbnails()
    {
        var v1 = WithBlobs(SampleRecords.Succeeded("life/overwritten.jpg", version: "v1"), 0x10);
        var v2 = WithBlobs(SampleRecords.Succeeded("life/overwritten.jpg", version: "v2", lastModified: v1.Blob.LastModified!.Value.AddMinutes(5)), 0x20);
        await Put(v1);

        var replaced = await Put(v2);
        var late = await Put(v1 with { ProcessedAt = v1.ProcessedAt.AddHours(1) });
        var page = await _client.GetFromJsonAsync<ImagePage>("/images?versions=all", ContractJson.Options);

        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.False(HasThumbnailBlobs(v1.Id));
        Assert.True(HasThumbnailBlobs(v2.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images/{v1.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("superseded", late.Headers.GetValues("X-Upsert-Outcome").Single());
        Assert.Equal([v2.Id], page!.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task The_renditions_are_served_like_the_thumbnail_with_their_own_tags()
    {
        var record = WithBlobs(SampleRecords.Succeeded("life/viewer.jpg"), 0xABC);
        var old = SampleRecords.Succeeded("life/before-renditions.jpg").WithThumbnail(0xDEF);
        await Put(record);
        await Put(old);

        var thumbnail = await _client.GetAsync($"/images/{record.Id}/thumbnail");
        var large = await _client.GetAsync($"/images/{record.Id}/thumbnail?scale=2");
        var preview = await _client.GetAsync($"/images/{record.Id}/preview");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/images/{record.Id}/preview");
        conditional.Headers.IfNoneMatch.Add(preview.Headers.ETag!);
        var notModified = await _client.SendAsync(conditional);

        Assert.Equal(300 + 16, (await thumbnail.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(2000 + 16, (await large.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal(9000 + 16, (await preview.Content.ReadAsByteArrayAsync()).Length);
        Assert.All(new[] { large, preview }, r => Assert.Equal("image/webp", r.Content.Headers.ContentType?.MediaType));
        Assert.Equal(ImagesApi.ThumbnailCacheControl, preview.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal(3, new[] { thumbnail, large, preview }.Select(r => r.Headers.ETag!.Tag).Distinct().Count());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images/{old.Id}/preview")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync($"/images/{old.Id}/thumbnail?scale=2")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _client.GetAsync($"/images/{record.Id}/thumbnail?scale=3")).StatusCode);
    }

    [Fact]
    public async Task Stats_carry_an_etag_and_a_max_age_and_an_unchanged_answer_is_a_304()
    {
        await Put(SampleRecords.Succeeded("life/stats-1.jpg"));
        var first = await _client.GetAsync("/images/stats");
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/images/stats");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var unchanged = await _client.SendAsync(conditional);
        await Put(SampleRecords.Succeeded("life/stats-2.jpg"));
        using var afterWrite = new HttpRequestMessage(HttpMethod.Get, "/images/stats");
        afterWrite.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var changed = await _client.SendAsync(afterWrite);

        Assert.Equal(TimeSpan.FromSeconds(5), first.Headers.CacheControl?.MaxAge);
        Assert.True(first.Headers.CacheControl?.Private);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(2, (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Timeline_positions_changes_and_lookup_answer_the_agreed_shapes()
    {
        var start = await _client.GetFromJsonAsync<JsonElement>("/images/changes");
        var paris = SampleRecords.Succeeded("life/paris.jpg", takenAt: "2024-05-11T10:00:00");
        await Put(paris);
        await Put(SampleRecords.Failed("life/broken.jpg"));

        var timeline = await _client.GetFromJsonAsync<JsonElement>("/images/timeline");
        var positions = await _client.GetFromJsonAsync<JsonElement>("/images/positions?bbox=2,48,3,49&limit=10");
        var changes = await _client.GetFromJsonAsync<JsonElement>($"/images/changes?after={start.GetProperty("next").GetString()}&limit=10");
        var lookup = await _client.PostAsJsonAsync("/images/lookup", new { ids = new[] { paris.Id.Value } });

        Assert.Equal(0, start.GetProperty("records").GetArrayLength());
        Assert.Equal(
            [(2026, 1, 1), (2024, 5, 1)],
            timeline.GetProperty("months").EnumerateArray().Select(m => (m.GetProperty("year").GetInt32(), m.GetProperty("month").GetInt32(), m.GetProperty("count").GetInt32())));
        Assert.Equal(1, positions.GetProperty("total").GetInt64());
        var point = positions.GetProperty("points")[0];
        Assert.Equal((paris.Id.Value, 48.85, 2.29), (point.GetProperty("id").GetString(), point.GetProperty("lat").GetDouble(), point.GetProperty("lon").GetDouble()));
        Assert.Equal(0, positions.GetProperty("clusters").GetArrayLength());
        Assert.Equal(2, changes.GetProperty("records").GetArrayLength());
        Assert.Equal(0, changes.GetProperty("deleted").GetArrayLength());
        Assert.False(string.IsNullOrEmpty(changes.GetProperty("next").GetString()));
        var summary = (await lookup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("records")[0];
        Assert.Equal((paris.Id.Value, ImageStatus.Succeeded, 0), (summary.GetProperty("id").GetString(), summary.GetProperty("status").GetString(), summary.GetProperty("extractorVersion").GetInt32()));
        Assert.Equal(paris.Blob.Name, summary.GetProperty("blob").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Bad_query_values_are_400s_naming_the_parameter()
    {
        var cases = new (string Query, string Parameter)[]
        {
            ("/images?lens=" + new string('l', 257), "lens"),
            ("/images?lens=a%0Ab", "lens"),
            ("/images?minIso=x", "minIso"),
            ("/images?maxIso=-1", "maxIso"),
            ("/images?minFocalLength=abc", "minFocalLength"),
            ("/images?maxFocalLength=NaN", "maxFocalLength"),
            ("/images?failureClass=" + new string('f', 33), "failureClass"),
            ("/images?extractorVersionBelow=-1", "extractorVersionBelow"),
            ("/images?processedBefore=2024-01-01", "processedBefore"),
            ("/images?name=a.jpg", "name"),
            ("/images?versions=some", "versions"),
            ("/images?order=size", "order"),
            ("/images?startAt=2024-05", "startAt"),
            ("/images?order=taken&startAt=2024-13", "startAt"),
            ("/images?order=taken&cursor=" + PageCursor.Encode(new PageKey(ImageOrder.Processed, 5)), "cursor"),
            ("/images?cursor=" + PageCursor.Encode(new PageKey(ImageOrder.Taken, 5, "2024-01-01T00:00:00")), "cursor"),
            ("/images/timeline?status=maybe", "status"),
            ("/images/positions?bbox=1,2,3", "bbox"),
            ("/images/positions?bbox=10,0,5,1", "bbox"),
            ("/images/positions?bbox=0,0,1,1&limit=0", "limit"),
            ("/images/changes?after=bogus", "after"),
            ("/images/changes?limit=501", "limit"),
        };

        foreach (var (query, parameter) in cases)
        {
            var response = await _client.GetAsync(query);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, query);
            Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty(parameter, out _), query);
        }

        var tooMany = await _client.PostAsJsonAsync("/images/lookup", new { ids = Enumerable.Range(0, 501).Select(i => SampleRecords.Succeeded($"x/{i}").Id.Value) });
        var malformed = await _client.PostAsJsonAsync("/images/lookup", new { ids = new[] { "nope" } });
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.True((await Problem(malformed)).GetProperty("errors").TryGetProperty("ids", out _));
        // Good values of the same parameters are accepted.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/images?lens=zuiko&minIso=100&maxFocalLength=50.5&processedBefore=2030-01-01T00:00:00Z&order=taken&startAt=2024-05-31&versions=all")).StatusCode);
    }

    [Fact]
    public async Task A_timeline_page_walks_on_with_its_cursor_and_a_late_save_of_new_metadata_fields_is_validated()
    {
        for (var day = 1; day <= 5; day++)
        {
            await Put(SampleRecords.Succeeded($"life/day-{day}.jpg", takenAt: $"2024-03-0{day}T12:00:00"));
        }

        var first = await _client.GetFromJsonAsync<ImagePage>("/images?order=taken&startAt=2024-03-04&limit=2", ContractJson.Options);
        var second = await _client.GetFromJsonAsync<ImagePage>($"/images?order=taken&limit=2&cursor={first!.NextCursor}", ContractJson.Options);
        Assert.Equal(["life/day-4.jpg", "life/day-3.jpg"], first.Items.Select(i => i.Blob.Name));
        Assert.Equal(["life/day-2.jpg", "life/day-1.jpg"], second!.Items.Select(i => i.Blob.Name));

        var good = SampleRecords.Succeeded("life/fields.jpg");
        ImageRecord With(Func<ExifMetadata, ExifMetadata> change) => good with { Metadata = good.Metadata! with { Exif = change(good.Metadata.Exif!) } };
        var refusals = new (ImageRecord Record, string Field)[]
        {
            (With(e => e with { ExposureProgram = "sport" }), "metadata.exif.exposureProgram"),
            (With(e => e with { WhiteBalance = "cloudy" }), "metadata.exif.whiteBalance"),
            (With(e => e with { Artist = new string('a', 1025) }), "metadata.exif.artist"),
            (With(e => e with { Copyright = "(c)\u0000" }), "metadata.exif.copyright"),
            (With(e => e with { Software = new string('s', 1025) }), "metadata.exif.software"),
            (With(e => e with { FocalLength35mm = -3 }), "metadata.exif.focalLength35mm"),
            (good with { Metadata = good.Metadata! with { ColorProfile = new string('p', 257) } }, "metadata.colorProfile"),
            (good with { ExtractorVersion = -1 }, "extractorVersion"),
            (good with { ExtractorBuild = new string('b', 129) }, "extractorBuild"),
            (WithBlobs(good, 1) with { Thumbnail = WithBlobs(good, 1).Thumbnail! with { Preview = new ImageRendition("other.preview.webp", 10, 10, 10) } }, "thumbnail.preview.name"),
            (WithBlobs(good, 1) with { Thumbnail = WithBlobs(good, 1).Thumbnail! with { Large = new ImageRendition(ImageThumbnail.LargeNameFor(good.Id), 641, 10, 10) } }, "thumbnail.large.width"),
        };
        foreach (var (record, field) in refusals)
        {
            var response = await Put(record);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, field);
            Assert.True((await Problem(response)).GetProperty("errors").TryGetProperty(field, out _), field);
        }

        var exif = good.Metadata!.Exif! with
        {
            ExposureProgram = ExposurePrograms.AperturePriority,
            WhiteBalance = WhiteBalances.Manual,
            FlashFired = true,
            FocalLength35mm = 24,
            Artist = "Ö. Photographer",
            Copyright = "© 2024",
            Software = "darktable 4.6",
        };
        var accepted = good with { Metadata = good.Metadata with { Exif = exif }, ExtractorVersion = 2, ExtractorBuild = "1.2.3+abc" };
        Assert.Equal(HttpStatusCode.Created, (await Put(accepted)).StatusCode);
        Assert.Equal(accepted, await _client.GetFromJsonAsync<ImageRecord>($"/images/{accepted.Id}", ContractJson.Options));
    }
}
