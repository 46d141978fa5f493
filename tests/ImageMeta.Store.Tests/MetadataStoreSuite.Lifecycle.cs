using System.Text.Json;
using System.Text.Json.Nodes;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The shared suite, part two: what this round's routes build on. Migrations 0004–0007 replayed over rows an older
/// schema holds, the new filters, the timeline order and its cursor, versions (replace), deletes and tombstones, the
/// maintained counts, positions, the changes feed and the lookup, identically on every provider.
/// </summary>
public abstract partial class MetadataStoreSuite
{
    private static readonly DateTimeOffset Day = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A clock the test moves.</summary>
    protected sealed class TestClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>
    /// Inserts a row as the version of migration 0003 wrote it: its columns only, and the record's JSON without the
    /// fields that came later (the extractor version).
    /// </summary>
    protected static async Task InsertLegacyAsync(SqlMetadataStore store, ImageRecord record, bool withHash = true)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(record, ContractJson.Options))!.AsObject();
        json.Remove("extractorVersion");
        var provider = store.Provider;
        var m = record.Metadata;
        var columns = new List<(string Name, object? Value)>
        {
            ("id", record.Id.Value), ("container", record.Blob.Container), ("name", record.Blob.Name), ("version", record.Blob.Version),
            ("status", record.Status), ("format", m?.Format), ("width", m?.Width), ("height", m?.Height), ("byte_size", m?.ByteSize ?? record.Blob.Size),
            ("sha256", m?.Sha256), ("camera_make", m?.Exif?.CameraMake), ("camera_model", m?.Exif?.CameraModel),
            ("taken_local", m?.Exif?.TakenAt is { Length: >= 19 } t ? t[..19] : null), ("gps_latitude", m?.Exif?.Gps?.Latitude),
            ("gps_longitude", m?.Exif?.Gps?.Longitude), ("failure_class", record.Failure?.Class), ("processed_at", provider.ProcessedAtValue(record.ProcessedAt)),
            ("write_rank", SqlMetadataStore.WriteRank(record)), ("record_json", json.ToJsonString()),
        };
        if (withHash)
        {
            columns.Add(("perceptual_hash", record.Thumbnail is { } th && PerceptualHash.TryParse(th.PerceptualHash, out var h) ? SqlMetadataStore.HashColumn(h) : null));
        }

        await ExecuteAsync(store,
            $"INSERT INTO images ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ({string.Join(", ", columns.Select(c => c.Name == "record_json" ? provider.JsonValue("@record_json") : "@" + c.Name))})",
            columns.Select(c => (c.Name, c.Value ?? DBNull.Value)).ToArray());
    }

    private static ImageRecord Photo(string name, string? version = "v1", string? takenAt = "2024-05-01T14:03:07+02:00", DateTimeOffset? lastModified = null, DateTimeOffset? processedAt = null, string? lens = null, int? iso = null, double? focal = null, GpsPosition? gps = null)
    {
        var record = SampleRecords.Succeeded(name, version: version, takenAt: takenAt, lastModified: lastModified, processedAt: processedAt);
        return record with
        {
            Metadata = record.Metadata! with
            {
                Exif = record.Metadata.Exif! with { LensModel = lens, Iso = iso, FocalLength = focal, Gps = gps ?? record.Metadata.Exif.Gps },
            },
        };
    }

    private static async Task<List<string>> NamesAsync(SqlMetadataStore store, ImageQuery query)
    {
        var names = new List<string>();
        var page = await store.QueryAsync(query, default);
        while (true)
        {
            names.AddRange(page.Items.Select(i => i.Blob.Name));
            if (page.NextCursor is not { } cursor)
            {
                return names;
            }

            Assert.True(PageCursor.TryDecode(cursor, out var after));
            page = await store.QueryAsync(query with { After = after }, default);
        }
    }

    [SkippableFact]
    public async Task Migrations_0004_to_0007_replayed_over_older_rows_keep_them_and_fill_the_new_columns()
    {
        var store = await OlderStore("0003");
        var lens = Photo("legacy/lens.jpg", lens: "ÖLYMPUS M.Zuiko 12-40mm", iso: 800, focal: 12, lastModified: Day.AddDays(1));
        var olderVersion = Photo("legacy/twice.jpg", version: "v1", takenAt: null, lastModified: Day.AddDays(2));
        var newerVersion = Photo("legacy/twice.jpg", version: "v2", takenAt: null, lastModified: Day.AddDays(3));
        var failed = SampleRecords.Failed("legacy/failed.jpg");
        foreach (var record in new[] { lens, olderVersion, newerVersion, failed })
        {
            await InsertLegacyAsync(store, record);
        }

        await store.MigrateAsync(default);

        // Everything kept, counted as extractor version 1 in the answer and in the filter.
        Assert.Equal(lens with { ExtractorVersion = 1 }, await store.GetAsync(lens.Id, default));
        Assert.Equal(failed with { ExtractorVersion = 1 }, await store.GetAsync(failed.Id, default));
        Assert.Empty((await store.QueryAsync(new ImageQuery { ExtractorVersionBelow = 1 }, default)).Items);
        Assert.Equal(3, (await store.QueryAsync(new ImageQuery { ExtractorVersionBelow = 2 }, default)).Items.Count);
        // Lens, ISO and focal length came out of the JSON; the folded keys were computed at start-up.
        Assert.Equal(["legacy/lens.jpg"], await NamesAsync(store, new ImageQuery { Lens = "ölympus", MinIso = 800, MaxFocalLength = 12 }));
        Assert.Equal(["legacy/lens.jpg"], await NamesAsync(store, new ImageQuery { Lens = "m.zuiko" }));
        // Of two versions of one name, the newer is current; the older stays as history.
        Assert.Equal(["legacy/failed.jpg", "legacy/twice.jpg", "legacy/lens.jpg"], await NamesAsync(store, new ImageQuery()));
        Assert.Equal(4, (await NamesAsync(store, new ImageQuery { AllVersions = true })).Count);
        Assert.Equal([newerVersion.Id], (await store.QueryAsync(new ImageQuery { Container = "images", Name = "legacy/twice.jpg" }, default)).Items.Select(i => i.Id));
        // Counts and months were filled from the current rows: the lens photo by its date taken, the other two by upload time.
        var stats = await store.StatsAsync(default);
        Assert.Equal(3, stats.Total);
        Assert.Equal(2, stats.ByStatus[ImageStatus.Succeeded]);
        Assert.Equal(12345 + 12345 + 10, stats.TotalBytes);
        Assert.Equal([(2026, 1, 2L), (2024, 5, 1L)], (await store.TimelineAsync(null, null, default)).Months.Select(m => (m.Year, m.Month, m.Count)));
        // Writes after the migration keep the counts exact.
        await store.UpsertAsync(Photo("legacy/new.jpg", takenAt: "2024-05-09T10:00:00"), default);
        Assert.Equal([(2026, 1, 2L), (2024, 5, 2L)], (await store.TimelineAsync(null, null, default)).Months.Select(m => (m.Year, m.Month, m.Count)));
    }

    [SkippableFact]
    public async Task The_new_filters_select_by_lens_iso_focal_length_failure_class_extractor_version_processing_time_and_name()
    {
        var store = await Store();
        await store.UpsertAsync(Photo("f/zuiko.jpg", lens: "M.ZUIKO DIGITAL ED 12-40mm F2.8", iso: 200, focal: 12), default);
        await store.UpsertAsync(Photo("f/strasse.jpg", lens: "Straßenobjektiv 50", iso: 3200, focal: 50) with { ExtractorVersion = 2, ProcessedAt = Day.AddDays(5) }, default);
        await store.UpsertAsync(Photo("f/none.jpg", iso: null, focal: null), default);
        await store.UpsertAsync(SampleRecords.Failed("f/broken.jpg", FailureClass.Unsupported), default);
        await store.UpsertAsync(SampleRecords.Failed("f/later.jpg", FailureClass.Unavailable), default);

        Assert.Equal(["f/zuiko.jpg"], await NamesAsync(store, new ImageQuery { Lens = "zuiko digital" }));
        Assert.Equal(["f/strasse.jpg"], await NamesAsync(store, new ImageQuery { Lens = "STRASSEN" }));
        Assert.Equal(["f/strasse.jpg"], await NamesAsync(store, new ImageQuery { MinIso = 201 }));
        Assert.Equal(["f/zuiko.jpg"], await NamesAsync(store, new ImageQuery { MaxIso = 200 }));
        Assert.Equal(["f/strasse.jpg", "f/zuiko.jpg"], await NamesAsync(store, new ImageQuery { MinFocalLength = 12, MaxFocalLength = 50 }));
        Assert.Equal(["f/strasse.jpg"], await NamesAsync(store, new ImageQuery { MinFocalLength = 12.5 }));
        Assert.Equal(["f/broken.jpg"], await NamesAsync(store, new ImageQuery { FailureClass = FailureClass.Unsupported }));
        Assert.DoesNotContain("f/strasse.jpg", await NamesAsync(store, new ImageQuery { ExtractorVersionBelow = 2 }));
        Assert.Equal(4, (await NamesAsync(store, new ImageQuery { ExtractorVersionBelow = 2 })).Count);
        Assert.Equal(5, (await NamesAsync(store, new ImageQuery { ExtractorVersionBelow = 3 })).Count);
        Assert.Equal(4, (await NamesAsync(store, new ImageQuery { ProcessedBefore = Day.AddDays(2) })).Count);
        Assert.Equal(["f/none.jpg"], await NamesAsync(store, new ImageQuery { Container = "images", Name = "f/none.jpg" }));
        Assert.Empty(await NamesAsync(store, new ImageQuery { Container = "other", Name = "f/none.jpg" }));
        // Wildcards in a term are text.
        Assert.Empty(await NamesAsync(store, new ImageQuery { Lens = "12%40" }));
        Assert.Empty(await NamesAsync(store, new ImageQuery { Lens = "[m]" }));
    }

    [SkippableFact]
    public async Task Order_taken_pages_by_date_taken_then_upload_time_newest_first_and_starts_at_a_month_or_day()
    {
        var store = await Store();
        await store.UpsertAsync(Photo("t/2023-12.jpg", takenAt: "2023-12-31T23:59:59"), default);
        await store.UpsertAsync(Photo("t/2024-02-a.jpg", takenAt: "2024-02-10T08:00:00"), default);
        await store.UpsertAsync(Photo("t/2024-02-b.jpg", takenAt: "2024-02-10T08:00:00"), default);
        await store.UpsertAsync(Photo("t/2024-03.jpg", takenAt: "2024-03-01T00:00:00+05:00"), default);
        await store.UpsertAsync(Photo("t/uploaded-2024-02-20.jpg", takenAt: null, lastModified: new DateTimeOffset(2024, 2, 20, 23, 30, 0, TimeSpan.FromHours(-2))), default);
        await store.UpsertAsync(SampleRecords.Failed("t/failed-2026.jpg"), default);

        string[] newestFirst = ["t/failed-2026.jpg", "t/2024-03.jpg", "t/uploaded-2024-02-20.jpg", "t/2024-02-b.jpg", "t/2024-02-a.jpg", "t/2023-12.jpg"];
        Assert.Equal(newestFirst, await NamesAsync(store, new ImageQuery { Order = ImageOrder.Taken, Limit = 2 }));
        // An upload at 23:30 at -02:00 is 01:30 UTC the next day.
        Assert.Equal(newestFirst[3..], await NamesAsync(store, new ImageQuery { Order = ImageOrder.Taken, TakenBefore = "2024-02-21T00:00:00" }));
        Assert.Equal(newestFirst[5..], await NamesAsync(store, new ImageQuery { Order = ImageOrder.Taken, TakenBefore = "2024-01-01T00:00:00" }));
        // Filters combine with the order.
        Assert.Equal(["t/failed-2026.jpg"], await NamesAsync(store, new ImageQuery { Order = ImageOrder.Taken, Status = ImageStatus.Failed }));
    }

    [SkippableFact]
    public async Task A_newer_version_of_a_name_replaces_the_older_and_releases_its_thumbnails()
    {
        var store = await Store();
        var v1 = Photo("r/cat.jpg", version: "v1", lastModified: Day).WithThumbnail(0x1111);
        var v2 = Photo("r/cat.jpg", version: "v2", lastModified: Day.AddHours(1)).WithThumbnail(0x2222);
        await store.UpsertAsync(v1, default);

        var replaced = await store.UpsertAsync(v2, default);
        var late = await store.UpsertAsync(v1 with { ProcessedAt = v1.ProcessedAt.AddDays(1) }, default);

        Assert.Equal(UpsertOutcome.Inserted, replaced.Outcome);
        Assert.Equal(ImageThumbnail.BlobNamesFor(v1.Id), replaced.ReleasedThumbnails);
        Assert.Null(await store.GetAsync(v1.Id, default));
        // The late save of the older version is not kept, and its thumbnails go (again: deleting is idempotent).
        Assert.Equal(UpsertOutcome.Superseded, late.Outcome);
        Assert.Equal(ImageThumbnail.BlobNamesFor(v1.Id), late.ReleasedThumbnails);
        Assert.Equal([v2.Id], (await store.QueryAsync(new ImageQuery { AllVersions = true }, default)).Items.Select(i => i.Id));
        Assert.Equal(1, (await store.StatsAsync(default)).Total);
        Assert.Equal(ImageThumbnail.BlobNamesFor(v1.Id).Order(StringComparer.Ordinal), (await store.DueThumbnailDeletionsAsync(10, default)).Order(StringComparer.Ordinal));
        Assert.Equal([v2.Id], (await store.SimilarAsync(new HashNeighbourhood(0x1111, 10, v1.Id), 10, default)).Select(s => s.Image.Id));
    }

    [SkippableFact]
    public async Task Kept_versions_stay_as_history_not_current_and_not_counted()
    {
        var store = await Store(new StoreOptions { KeepReplacedVersions = true });
        var v1 = Photo("k/cat.jpg", version: "v1", lastModified: Day, takenAt: "2020-01-01T00:00:00").WithThumbnail(0x1111);
        var v2 = Photo("k/cat.jpg", version: "v2", lastModified: Day.AddHours(1), takenAt: "2021-01-01T00:00:00").WithThumbnail(0x2222);
        var v0 = Photo("k/cat.jpg", version: "v0", lastModified: Day.AddHours(-1));
        await store.UpsertAsync(v1, default);
        var replaced = await store.UpsertAsync(v2, default);
        var older = await store.UpsertAsync(v0, default);

        Assert.Equal(ImageThumbnail.BlobNamesFor(v1.Id), replaced.ReleasedThumbnails);
        Assert.Equal(UpsertOutcome.Inserted, older.Outcome);
        Assert.Equal(v1, await store.GetAsync(v1.Id, default));
        Assert.Equal([v2.Id], (await store.QueryAsync(new ImageQuery(), default)).Items.Select(i => i.Id));
        Assert.Equal(
            new[] { v0.Id, v2.Id, v1.Id }.Select(i => i.Value).Order(StringComparer.Ordinal),
            (await store.QueryAsync(new ImageQuery { AllVersions = true }, default)).Items.Select(i => i.Id.Value).Order(StringComparer.Ordinal));
        Assert.Equal(1, (await store.StatsAsync(default)).Total);
        Assert.Equal([(2021, 1, 1L)], (await store.TimelineAsync(null, null, default)).Months.Select(m => (m.Year, m.Month, m.Count)));
        // Deleting the current version leaves the name without one; history is not brought back.
        await store.DeleteAsync(v2.Id, default);
        Assert.Empty((await store.QueryAsync(new ImageQuery(), default)).Items);
        Assert.Equal(0, (await store.StatsAsync(default)).Total);
    }

    [SkippableFact]
    public async Task A_delete_keeps_a_tombstone_that_refuses_a_late_save_until_the_blob_is_written_again_and_expires_after_the_retention()
    {
        var clock = new TestClock(Day.AddDays(10));
        var store = await Store(new StoreOptions { TombstoneRetention = TimeSpan.FromDays(7) }, clock);
        var record = Photo("d/cat.jpg", lastModified: Day).WithThumbnail(0x42);
        await store.UpsertAsync(record, default);

        var first = await store.DeleteAsync(record.Id, default);
        var second = await store.DeleteAsync(record.Id, default);
        var late = await store.UpsertAsync(record with { ProcessedAt = record.ProcessedAt.AddDays(1) }, default);

        Assert.True(first.Removed);
        Assert.False(second.Removed);
        Assert.Equal(ImageThumbnail.BlobNamesFor(record.Id), first.ReleasedThumbnails);
        Assert.Equal(UpsertOutcome.Deleted, late.Outcome);
        Assert.Null(await store.GetAsync(record.Id, default));
        Assert.True(await store.IsDeletedAsync(record.Id, default));
        Assert.Equal(0, (await store.StatsAsync(default)).Total);
        Assert.Empty((await store.TimelineAsync(null, null, default)).Months);
        var lookup = await store.LookupAsync([record.Id], default);
        Assert.Empty(lookup.Records);
        Assert.Equal([record.Id], lookup.Deleted);

        // The same version written to storage again after the delete (same content, same id) is stored again.
        var again = record with { Blob = record.Blob with { LastModified = clock.Now.AddMinutes(1) }, ProcessedAt = clock.Now.AddMinutes(2) };
        Assert.Equal(UpsertOutcome.Inserted, (await store.UpsertAsync(again, default)).Outcome);
        Assert.False(await store.IsDeletedAsync(record.Id, default));
        Assert.Empty(await store.DueThumbnailDeletionsAsync(10, default));

        // A tombstone past the retention is purged; then a late save is an ordinary write.
        var other = Photo("d/dog.jpg", lastModified: Day);
        await store.DeleteAsync(other.Id, default);
        clock.Now += TimeSpan.FromDays(7);
        Assert.False(await store.IsDeletedAsync(other.Id, default));
        Assert.True(await store.PurgeExpiredAsync(default) >= 1);
        Assert.Equal(UpsertOutcome.Inserted, (await store.UpsertAsync(other, default)).Outcome);
    }

    [SkippableFact]
    public async Task Thumbnail_deletions_are_due_once_and_postponed_after_a_failure()
    {
        var clock = new TestClock(Day);
        var store = await Store(time: clock);
        var record = Photo("o/cat.jpg");
        await store.DeleteAsync(record.Id, default);
        var names = ImageThumbnail.BlobNamesFor(record.Id);

        Assert.Equal(names.Order(StringComparer.Ordinal), (await store.DueThumbnailDeletionsAsync(10, default)).Order(StringComparer.Ordinal));
        await store.PostponeThumbnailDeletionsAsync([names[0]], default);
        await store.CompleteThumbnailDeletionsAsync([names[1]], default);
        Assert.Equal([names[2]], await store.DueThumbnailDeletionsAsync(10, default));
        clock.Now += TimeSpan.FromMinutes(1);
        Assert.Equal(names.Where((_, i) => i != 1).Order(StringComparer.Ordinal), (await store.DueThumbnailDeletionsAsync(10, default)).Order(StringComparer.Ordinal));
        await store.PostponeThumbnailDeletionsAsync([names[0]], default);
        clock.Now += TimeSpan.FromMinutes(1);
        // The second failure waits two minutes.
        Assert.Equal([names[2]], await store.DueThumbnailDeletionsAsync(10, default));
    }

    [SkippableFact]
    public async Task Positions_in_a_box_are_points_up_to_the_limit_and_clusters_beyond_it()
    {
        var store = await Store();
        for (var i = 0; i < 12; i++)
        {
            // Two groups of six: around Paris and around Lyon; one outside the box (Berlin); one without GPS.
            var (lat, lon) = i < 6 ? (48.85 + (i * 0.001), 2.29 + (i * 0.001)) : (45.76 + (i * 0.001), 4.83 + (i * 0.001));
            await store.UpsertAsync(Photo($"p/{i}.jpg", gps: new GpsPosition(lat, lon)), default);
        }

        await store.UpsertAsync(Photo("p/berlin.jpg", gps: new GpsPosition(52.52, 13.40)), default);
        await store.UpsertAsync(SampleRecords.Failed("p/none.jpg"), default);
        var france = new BoundingBox(-5, 42, 8, 51);

        var points = await store.PositionsAsync(france, 12, default);
        var clusters = await store.PositionsAsync(france, 11, default);
        var paris = await store.PositionsAsync(new BoundingBox(2.29, 48.85, 2.2951, 48.8551), 500, default);

        Assert.Equal(12, points.Total);
        Assert.Equal(12, points.Points.Count);
        Assert.Empty(points.Clusters);
        Assert.Empty(clusters.Points);
        Assert.Equal(12, clusters.Total);
        Assert.Equal([6L, 6L], clusters.Clusters.Select(c => c.Count).Order());
        Assert.Contains(clusters.Clusters, c => Math.Abs(c.Lat - 48.8525) < 1e-9 && Math.Abs(c.Lon - 2.2925) < 1e-9);
        // Box edges are inclusive.
        Assert.Equal(6, paris.Total);
        Assert.All(paris.Points, p => Assert.InRange(p.Lat, 48.85, 48.8551));
    }

    [SkippableFact]
    public async Task The_changes_feed_starts_now_and_returns_later_writes_and_removals_oldest_first()
    {
        var store = await Store();
        await store.UpsertAsync(Photo("c/before.jpg"), default);
        var start = await store.ChangesAsync(null, 100, default);
        Assert.Empty(start.Records);
        Assert.Empty(start.Deleted);
        Assert.True(ChangeCursor.TryDecode(start.Next, out var token));

        var a = Photo("c/a.jpg", version: "v1", lastModified: Day);
        var b = Photo("c/b.jpg");
        await store.UpsertAsync(a, default);
        await store.UpsertAsync(b, default);
        await store.DeleteAsync(b.Id, default);
        var a2 = Photo("c/a.jpg", version: "v2", lastModified: Day.AddHours(1));
        await store.UpsertAsync(a2, default);

        var seen = new List<string>();
        var deleted = new List<ImageId>();
        for (var round = 0; round < 10; round++)
        {
            var page = await store.ChangesAsync(token, 1, default);
            seen.AddRange(page.Records.Select(r => r.Blob.Name + "@" + r.Blob.Version));
            deleted.AddRange(page.Deleted);
            Assert.True(ChangeCursor.TryDecode(page.Next, out token));
            if (page.Records.Count + page.Deleted.Count == 0)
            {
                break;
            }
        }

        // b's record is gone (only its removal is reported); a's first version is reported removed, its second written.
        Assert.Equal(["c/a.jpg@v2"], seen);
        Assert.Equal([b.Id, a.Id], deleted);
        var quiet = await store.ChangesAsync(token, 100, default);
        Assert.Empty(quiet.Records);
        Assert.Empty(quiet.Deleted);
    }

    [SkippableFact]
    public async Task The_changes_feed_misses_nothing_written_by_concurrent_writers()
    {
        var store = await Store();
        Assert.True(ChangeCursor.TryDecode((await store.ChangesAsync(null, 10, default)).Next, out var token));
        var written = Enumerable.Range(0, 120).Select(i => Photo($"cc/{i}.jpg")).ToList();
        var seen = new HashSet<ImageId>();
        var writers = Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < written.Count; i += 8)
            {
                await store.UpsertAsync(written[i], default);
            }
        })));

        // Read while the writers write, then until the feed is quiet after they finished.
        while (true)
        {
            var finished = writers.IsCompleted;
            var page = await store.ChangesAsync(token, 7, default);
            seen.UnionWith(page.Records.Select(r => r.Id));
            Assert.True(ChangeCursor.TryDecode(page.Next, out token));
            // Quiet after the writers finished: everything committed has been read.
            if (finished && page.Records.Count == 0)
            {
                break;
            }
        }

        await writers;
        Assert.Equal(written.Select(r => r.Id).ToHashSet(), seen);
    }

    [SkippableFact]
    public async Task Lookup_summarizes_the_records_of_the_asked_ids()
    {
        var store = await Store();
        var ok = Photo("l/ok.jpg") with { ExtractorVersion = 2 };
        var failed = SampleRecords.Failed("l/failed.jpg", FailureClass.Unavailable);
        await store.UpsertAsync(ok, default);
        await store.UpsertAsync(failed, default);
        var unknown = SampleRecords.Succeeded("l/unknown.jpg").Id;

        var many = Enumerable.Range(0, SqlMetadataStore.MaxLookupIds - 4).Select(i => SampleRecords.Succeeded($"l/none/{i}.jpg").Id).ToList();
        var lookup = await store.LookupAsync([ok.Id, failed.Id, unknown, ok.Id, .. many], default);

        Assert.Equal(new[] { ok.Id, failed.Id }.OrderBy(i => i.Value, StringComparer.Ordinal), lookup.Records.Select(r => r.Id));
        var okSummary = lookup.Records.Single(r => r.Id == ok.Id);
        Assert.Equal((ImageStatus.Succeeded, (string?)null, 2, ok.Blob), (okSummary.Status, okSummary.FailureClass, okSummary.ExtractorVersion, okSummary.Blob));
        var failedSummary = lookup.Records.Single(r => r.Id == failed.Id);
        Assert.Equal((ImageStatus.Failed, FailureClass.Unavailable, 0), (failedSummary.Status, failedSummary.FailureClass, failedSummary.ExtractorVersion));
        Assert.Empty(lookup.Deleted);
    }

    [SkippableFact]
    public async Task Maintained_counts_follow_updates_that_change_format_status_and_month()
    {
        var store = await Store();
        var failed = SampleRecords.Failed("m/x.jpg", processedAt: Day.AddHours(1));
        var png = SampleRecords.Succeeded("m/x.jpg", format: ImageFormats.Png, takenAt: "2023-07-01T00:00:00", processedAt: Day.AddHours(2), bytes: 500);
        await store.UpsertAsync(failed, default);
        await store.UpsertAsync(png, default);
        await store.UpsertAsync(SampleRecords.Succeeded("m/y.jpg", bytes: 700), default);

        var stats = await store.StatsAsync(default);

        Assert.Equal(2, stats.Total);
        Assert.Equal(new Dictionary<string, long> { [ImageFormats.Jpeg] = 1, [ImageFormats.Png] = 1 }, stats.ByFormat);
        Assert.Equal(new Dictionary<string, long> { [ImageStatus.Succeeded] = 2 }, stats.ByStatus);
        Assert.Equal(1200m, stats.TotalBytes);
        Assert.Equal([(2024, 5, 1L), (2023, 7, 1L)], (await store.TimelineAsync(null, null, default)).Months.Select(m => (m.Year, m.Month, m.Count)));
        Assert.Equal([(2023, 7, 1L)], (await store.TimelineAsync(null, ImageFormats.Png, default)).Months.Select(m => (m.Year, m.Month, m.Count)));
        Assert.Empty((await store.TimelineAsync(ImageStatus.Failed, null, default)).Months);
    }

    [SkippableFact]
    public async Task Sort_times_are_what_the_migration_computes_for_the_same_record()
    {
        // The C# rule (SortTime) and the SQL of migration 0006 must agree, or replayed rows would sort apart from new ones.
        var store = await OlderStore("0005");
        var records = new[]
        {
            Photo("s/taken.jpg", takenAt: "2024-05-01T14:03:07+02:00"),
            Photo("s/uploaded.jpg", takenAt: null, lastModified: new DateTimeOffset(2024, 2, 20, 23, 30, 15, TimeSpan.FromHours(-2))),
            Photo("s/processed.jpg", takenAt: null) with { Blob = SampleRecords.Succeeded("s/processed.jpg").Blob with { LastModified = null }, ProcessedAt = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(3)) },
        };
        foreach (var record in records)
        {
            await InsertLegacyAsync(store, record with { Id = ImageId.For(record.Blob.Container, record.Blob.Name, record.Blob.Version) });
        }

        await store.MigrateAsync(default);

        await using var connection = store.Provider.CreateConnection();
        await connection.OpenAsync();
        foreach (var record in records)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT sort_time FROM images WHERE name = @name";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@name";
            parameter.Value = record.Blob.Name;
            command.Parameters.Add(parameter);
            Assert.Equal(SqlMetadataStore.SortTime(record), (string?)await command.ExecuteScalarAsync());
        }

        Assert.Equal("2024-02-21T01:30:15", SqlMetadataStore.SortTime(records[1]));
        Assert.Equal("2025-03-04T02:06:07", SqlMetadataStore.SortTime(records[2]));
        Assert.Equal("2024-05-01T14:03:07", SqlMetadataStore.SortTime(records[0]));
    }
}
