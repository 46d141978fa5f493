using System.Data.Common;
using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The behaviour every provider must show, asserted identically for each. Derived classes say how to
/// make a fresh, migrated store and why (if at all) they are skipped.
/// </summary>
public abstract partial class MetadataStoreSuite
{
    /// <summary>Null when the provider's database is available; otherwise why the suite is skipped.</summary>
    protected abstract string? SkipReason { get; }

    /// <summary>A store on a fresh, empty database, not migrated yet; called again within a test, it names the same database.</summary>
    protected abstract Task<SqlMetadataStore> CreateUnmigratedAsync(StoreOptions options, TimeProvider time);

    /// <summary>Runs SQL against the store's database directly, as an operator or an older version would.</summary>
    protected static async Task ExecuteAsync(IMetadataStore store, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = ((SqlMetadataStore)store).Provider.CreateConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A fresh, migrated store with these options and clock.</summary>
    protected async Task<SqlMetadataStore> Store(StoreOptions? options = null, TimeProvider? time = null)
    {
        Skip.If(SkipReason is not null, SkipReason);
        var store = await CreateUnmigratedAsync(options ?? new StoreOptions(), time ?? TimeProvider.System);
        await store.MigrateAsync(default);
        return store;
    }

    /// <summary>A store whose schema is as an older version left it: migrated through the script numbered <paramref name="through"/>.</summary>
    protected async Task<SqlMetadataStore> OlderStore(string through)
    {
        Skip.If(SkipReason is not null, SkipReason);
        var store = await CreateUnmigratedAsync(new StoreOptions(), TimeProvider.System);
        await store.MigrateAsync(through, default);
        return store;
    }

    [SkippableFact]
    public async Task The_same_record_twice_leaves_one_row()
    {
        var store = await Store();
        var record = SampleRecords.Succeeded("a.jpg");

        var first = await store.UpsertAsync(record, default);
        var second = await store.UpsertAsync(record, default);

        Assert.Equal(UpsertOutcome.Inserted, first.Outcome);
        Assert.Equal(UpsertOutcome.Unchanged, second.Outcome);
        Assert.Equal(1, (await store.StatsAsync(default)).Total);
        Assert.Equal(record, await store.GetAsync(record.Id, default));
    }

    [SkippableFact]
    public async Task An_older_write_never_replaces_a_newer_one()
    {
        var store = await Store();
        var newer = SampleRecords.Succeeded("b.jpg", processedAt: new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var older = SampleRecords.Failed("b.jpg", processedAt: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero));

        await store.UpsertAsync(newer, default);
        var (outcome, stored, _) = await store.UpsertAsync(older, default);

        Assert.Equal(UpsertOutcome.Unchanged, outcome);
        Assert.Equal(newer, stored);
        Assert.Equal(ImageStatus.Succeeded, (await store.GetAsync(newer.Id, default))?.Status);
    }

    [SkippableFact]
    public async Task A_newer_write_replaces_the_stored_row()
    {
        var store = await Store();
        var failed = SampleRecords.Failed("c.jpg", FailureClass.Unavailable, processedAt: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero));
        var succeeded = SampleRecords.Succeeded("c.jpg", processedAt: new DateTimeOffset(2026, 2, 2, 0, 0, 0, TimeSpan.Zero));

        await store.UpsertAsync(failed, default);
        var (outcome, _, _) = await store.UpsertAsync(succeeded, default);

        Assert.Equal(UpsertOutcome.Updated, outcome);
        Assert.Equal(succeeded, await store.GetAsync(succeeded.Id, default));
        Assert.Equal(1, (await store.StatsAsync(default)).Total);
    }

    [SkippableFact]
    public async Task Eight_concurrent_writers_of_the_same_ids_end_with_one_row_each_the_newest()
    {
        var store = await Store();
        var start = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        var names = Enumerable.Range(0, 20).Select(i => $"race/{i}.jpg").ToArray();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            foreach (var name in names)
            {
                await store.UpsertAsync(SampleRecords.Succeeded(name, processedAt: start.AddMinutes(writer), width: 100 + writer), default);
            }
        })));

        Assert.Equal(names.Length, (await store.StatsAsync(default)).Total);
        foreach (var name in names)
        {
            var stored = await store.GetAsync(SampleRecords.Succeeded(name).Id, default);
            Assert.Equal(107, stored?.Metadata?.Width);
        }
    }

    [SkippableFact]
    public async Task Ten_thousand_distinct_upserts_are_all_kept()
    {
        var store = await Store();

        await Parallel.ForEachAsync(Enumerable.Range(0, 10_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
            await store.UpsertAsync(SampleRecords.Succeeded($"bulk/{i}.jpg", bytes: 10), token));

        var stats = await store.StatsAsync(default);
        Assert.Equal(10_000, stats.Total);
        Assert.Equal(100_000m, stats.TotalBytes);
    }

    [SkippableFact]
    public async Task Pages_are_newest_first_and_stable_while_rows_are_added()
    {
        var store = await Store();
        for (var i = 0; i < 25; i++)
        {
            await store.UpsertAsync(SampleRecords.Succeeded($"page/{i:D2}.jpg"), default);
        }

        var seen = new List<string>();
        var page = await store.QueryAsync(new ImageQuery { Limit = 10 }, default);
        seen.AddRange(page.Items.Select(r => r.Blob.Name));
        while (page.NextCursor is { } cursor)
        {
            await store.UpsertAsync(SampleRecords.Succeeded($"late/{seen.Count}.jpg"), default);
            Assert.True(PageCursor.TryDecode(cursor, out var after));
            page = await store.QueryAsync(new ImageQuery { Limit = 10, After = after }, default);
            seen.AddRange(page.Items.Select(r => r.Blob.Name));
        }

        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"page/{i:D2}.jpg"), seen);
    }

    [SkippableFact]
    public async Task Filters_select_the_matching_records()
    {
        var store = await Store();
        var wide = SampleRecords.Succeeded("f/wide.png", format: ImageFormats.Png, width: 4000, height: 1000, make: "NIKON CORPORATION", model: "Z 9", takenAt: "2023-07-14T09:00:00");
        var small = SampleRecords.Succeeded("f/small.jpg", width: 100, height: 100, make: "Apple", model: "iPhone 15", takenAt: "2024-12-31T23:00:00-05:00");
        var other = SampleRecords.Succeeded("f/other.jpg", container: "archive", make: null, model: null, takenAt: null);
        var failed = SampleRecords.Failed("f/bad.jpg");
        foreach (var record in new[] { wide, small, other, failed })
        {
            await store.UpsertAsync(record, default);
        }

        async Task<string[]> Names(ImageQuery query) =>
            (await store.QueryAsync(query with { Limit = 50 }, default)).Items.Select(r => r.Blob.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["f/wide.png"], await Names(new ImageQuery { Format = ImageFormats.Png }));
        Assert.Equal(["f/bad.jpg"], await Names(new ImageQuery { Status = ImageStatus.Failed }));
        Assert.Equal(["f/wide.png"], await Names(new ImageQuery { MinWidth = 1000 }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { MaxWidth = 200, MaxHeight = 200 }));
        Assert.Equal(["f/wide.png"], await Names(new ImageQuery { Camera = "nikon" }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { Camera = "IPHONE" }));
        Assert.Empty(await Names(new ImageQuery { Camera = "%" }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { TakenFrom = new DateTime(2024, 1, 1) }));
        Assert.Equal(["f/wide.png"], await Names(new ImageQuery { TakenFrom = new DateTime(2023, 7, 14, 9, 0, 0), TakenTo = new DateTime(2023, 7, 14, 9, 0, 0) }));
        Assert.Equal(["f/other.jpg"], await Names(new ImageQuery { Container = "archive" }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { Sha256 = small.Metadata!.Sha256!.ToUpperInvariant() }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { Format = ImageFormats.Jpeg, Camera = "apple", Status = ImageStatus.Succeeded }));
    }

    [SkippableFact]
    public async Task Camera_matches_any_case_beyond_ascii_by_unicode_case_folding()
    {
        var store = await Store();
        await store.UpsertAsync(SampleRecords.Succeeded("c/upper.jpg", make: "ÖLYMPUS", model: "E-M1"), default);
        await store.UpsertAsync(SampleRecords.Succeeded("c/lower.jpg", make: "ölympus", model: "Pen"), default);
        await store.UpsertAsync(SampleRecords.Succeeded("c/street.jpg", make: "Leica", model: "Straße 1"), default);
        await store.UpsertAsync(SampleRecords.Succeeded("c/other.jpg", make: "Canon", model: "EOS"), default);

        async Task<string[]> Names(string camera) =>
            (await store.QueryAsync(new ImageQuery { Camera = camera, Limit = 50 }, default)).Items.Select(r => r.Blob.Name).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["c/lower.jpg", "c/upper.jpg"], await Names("ÖLYMPUS"));
        Assert.Equal(["c/lower.jpg", "c/upper.jpg"], await Names("ölympus"));
        // Decomposed Ö (O + combining diaeresis) is the same text once normalized.
        Assert.Equal(["c/lower.jpg", "c/upper.jpg"], await Names("O\u0308LYM"));
        Assert.Equal(["c/street.jpg"], await Names("strasse"));
        Assert.Equal(["c/street.jpg"], await Names("STRASSE 1"));
        // A term never spans make and model (the key separates them by a line feed).
        Assert.Empty(await Names("leicastr"));
    }

    [SkippableFact]
    public async Task Has_gps_selects_records_with_or_without_a_position_and_pages_and_combines_with_other_filters()
    {
        var store = await Store();
        var located = new List<string>();
        var unlocated = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // Alternating, so that each page of either set skips rows of the other.
            var withGps = SampleRecords.Succeeded($"gps/with{i}.jpg", format: i == 4 ? ImageFormats.Png : ImageFormats.Jpeg);
            var exifWithoutGps = SampleRecords.Succeeded($"gps/exif-only{i}.jpg");
            await store.UpsertAsync(withGps, default);
            await store.UpsertAsync(exifWithoutGps with { Metadata = exifWithoutGps.Metadata! with { Exif = exifWithoutGps.Metadata.Exif! with { Gps = null } } }, default);
            located.Add(withGps.Blob.Name);
            unlocated.Add(exifWithoutGps.Blob.Name);
        }

        var noExif = SampleRecords.Succeeded("gps/no-exif.jpg", make: null, model: null, takenAt: null);
        var failed = SampleRecords.Failed("gps/failed.jpg");
        await store.UpsertAsync(noExif, default);
        await store.UpsertAsync(failed, default);
        unlocated.AddRange([noExif.Blob.Name, failed.Blob.Name]);

        async Task<List<string>> AllPages(ImageQuery query)
        {
            var names = new List<string>();
            var page = await store.QueryAsync(query with { Limit = 2 }, default);
            names.AddRange(page.Items.Select(r => r.Blob.Name));
            while (page.NextCursor is { } cursor)
            {
                Assert.True(PageCursor.TryDecode(cursor, out var after));
                page = await store.QueryAsync(query with { Limit = 2, After = after }, default);
                names.AddRange(page.Items.Select(r => r.Blob.Name));
            }

            return names;
        }

        Assert.Equal(Enumerable.Reverse(located), await AllPages(new ImageQuery { HasGps = true }));
        Assert.Equal(unlocated.OrderBy(n => n, StringComparer.Ordinal), (await AllPages(new ImageQuery { HasGps = false })).Order(StringComparer.Ordinal));
        Assert.Equal(12, (await AllPages(new ImageQuery())).Count);
        Assert.Equal(["gps/with4.jpg"], await AllPages(new ImageQuery { HasGps = true, Format = ImageFormats.Png }));
        Assert.Equal(["gps/failed.jpg"], await AllPages(new ImageQuery { HasGps = false, Status = ImageStatus.Failed }));
        Assert.Empty(await AllPages(new ImageQuery { HasGps = true, Status = ImageStatus.Failed }));
    }

    [SkippableFact]
    public async Task Stats_count_by_format_and_status_and_sum_bytes()
    {
        var store = await Store();
        await store.UpsertAsync(SampleRecords.Succeeded("s/1.jpg", bytes: 100), default);
        await store.UpsertAsync(SampleRecords.Succeeded("s/2.jpg", bytes: 200), default);
        await store.UpsertAsync(SampleRecords.Succeeded("s/3.png", format: ImageFormats.Png, bytes: 50), default);
        await store.UpsertAsync(SampleRecords.Failed("s/4.jpg"), default);

        var stats = await store.StatsAsync(default);

        Assert.Equal(4, stats.Total);
        Assert.Equal(2, stats.ByFormat[ImageFormats.Jpeg]);
        Assert.Equal(1, stats.ByFormat[ImageFormats.Png]);
        Assert.Equal(3, stats.ByStatus[ImageStatus.Succeeded]);
        Assert.Equal(1, stats.ByStatus[ImageStatus.Failed]);
        Assert.Equal(360m, stats.TotalBytes);
    }

    [SkippableFact]
    public async Task Migrating_again_and_concurrently_is_harmless()
    {
        var store = await Store();
        await store.UpsertAsync(SampleRecords.Succeeded("m.jpg"), default);

        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => store.MigrateAsync(default))));

        Assert.Equal(1, (await store.StatsAsync(default)).Total);
    }

    [SkippableFact]
    public async Task Unicode_names_and_hostile_text_round_trip_as_data()
    {
        var store = await Store();
        var record = SampleRecords.Succeeded("fotos/Zürich 🌄 '; DROP TABLE images; --.jpg", make: "Ünïcødé \"quoted\"", model: "x' OR '1'='1");

        await store.UpsertAsync(record, default);

        Assert.Equal(record, await store.GetAsync(record.Id, default));
        Assert.Single((await store.QueryAsync(new ImageQuery { Camera = "x' or '1'='1" }, default)).Items);
    }

    [SkippableFact]
    public async Task Stats_sum_sizes_beyond_64_bits_exactly()
    {
        // Rows written before sizes were bounded (or by hand) must not break stats on any provider.
        var store = await Store();
        const long huge = 1L << 62;
        await store.UpsertAsync(SampleRecords.Succeeded("big/1.jpg", bytes: huge), default);
        await store.UpsertAsync(SampleRecords.Succeeded("big/2.jpg", bytes: huge), default);
        await store.UpsertAsync(SampleRecords.Succeeded("big/3.png", format: ImageFormats.Png, bytes: huge), default);
        await store.UpsertAsync(SampleRecords.Succeeded("big/4.jpg", bytes: 5), default);

        var stats = await store.StatsAsync(default);

        Assert.Equal(4, stats.Total);
        Assert.Equal(3m * huge + 5, stats.TotalBytes);
    }

    [SkippableFact]
    public async Task Every_string_at_its_bound_is_stored_and_read_back_unchanged()
    {
        // What the validator accepts, every provider must store as it is (SQL Server's columns have fixed widths).
        var store = await Store();
        // Non-ASCII letters and a surrogate pair (two UTF-16 units, as SQL Server's nvarchar counts them), never split.
        static string Fill(int length)
        {
            const string unit = "Zü🌄 ";
            var repeated = string.Concat(Enumerable.Repeat(unit, (length - 1) / unit.Length));
            return repeated + new string('x', length - repeated.Length);
        }

        var blob = new BlobReference(Fill(ImageRecordValidator.MaxText), Fill(ImageRecordValidator.MaxName), Fill(ImageRecordValidator.MaxText), DateTimeOffset.UnixEpoch, 1);
        var sample = SampleRecords.Succeeded("unused");
        var record = sample with
        {
            Id = blob.ImageId,
            Blob = blob,
            Metadata = sample.Metadata! with
            {
                Format = new string('z', ImageRecordValidator.MaxFormat),
                MimeType = Fill(ImageRecordValidator.MaxText),
                ColorType = Fill(ImageRecordValidator.MaxColorType),
                Exif = new ExifMetadata
                {
                    CameraMake = Fill(ImageRecordValidator.MaxText),
                    CameraModel = Fill(ImageRecordValidator.MaxText),
                    LensModel = Fill(ImageRecordValidator.MaxText),
                    TakenAt = "2024-05-11T14:03:07-14:00",
                },
            },
        };
        Assert.Empty(ImageRecordValidator.Validate(record.Id.Value, record));

        var (outcome, _, _) = await store.UpsertAsync(record, default);

        Assert.Equal(UpsertOutcome.Inserted, outcome);
        Assert.Equal(record, await store.GetAsync(record.Id, default));
        Assert.Single((await store.QueryAsync(new ImageQuery { Camera = Fill(ImageRecordValidator.MaxText) }, default)).Items);
    }

    [SkippableFact]
    public async Task A_date_only_taken_range_covers_the_whole_day()
    {
        var store = await Store();
        string[] taken = ["2024-05-10T23:59:59", "2024-05-11T00:00:00", "2024-05-11T14:03:07+02:00", "2024-05-11T23:59:59", "2024-05-12T00:00:00"];
        foreach (var (at, i) in taken.Select((at, i) => (at, i)))
        {
            await store.UpsertAsync(SampleRecords.Succeeded($"day/{i}.jpg", takenAt: at), default);
        }

        Assert.True(TakenBounds.TryParseFrom("2024-05-11", out var from));
        Assert.True(TakenBounds.TryParseTo("2024-05-11", out var to));
        var page = await store.QueryAsync(new ImageQuery { TakenFrom = from, TakenTo = to }, default);

        Assert.Equal(["day/1.jpg", "day/2.jpg", "day/3.jpg"], page.Items.Select(r => r.Blob.Name).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task A_newer_write_wins_before_1970_and_when_newer_by_one_tick()
    {
        var store = await Store();
        var sixties = new DateTimeOffset(1960, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var now = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);

        await store.UpsertAsync(SampleRecords.Failed("rank/old.jpg", processedAt: sixties), default);
        var processedLater = await store.UpsertAsync(SampleRecords.Succeeded("rank/old.jpg", processedAt: sixties.AddDays(1)), default);
        await store.UpsertAsync(SampleRecords.Succeeded("rank/modified.jpg", width: 100, processedAt: now, lastModified: sixties), default);
        var modifiedLater = await store.UpsertAsync(SampleRecords.Succeeded("rank/modified.jpg", width: 200, processedAt: now, lastModified: sixties.AddDays(1)), default);
        await store.UpsertAsync(SampleRecords.Failed("rank/tick.jpg", processedAt: now), default);
        var tickLater = await store.UpsertAsync(SampleRecords.Succeeded("rank/tick.jpg", processedAt: now.AddTicks(1)), default);
        var tickEarlier = await store.UpsertAsync(SampleRecords.Failed("rank/tick.jpg", processedAt: now), default);

        Assert.Equal(UpsertOutcome.Updated, processedLater.Outcome);
        Assert.Equal(UpsertOutcome.Updated, modifiedLater.Outcome);
        Assert.Equal(UpsertOutcome.Updated, tickLater.Outcome);
        Assert.Equal(UpsertOutcome.Unchanged, tickEarlier.Outcome);
        Assert.Equal(ImageStatus.Succeeded, tickEarlier.Stored.Status);
    }

    [SkippableFact]
    public async Task Ranks_written_in_milliseconds_by_an_older_version_are_converted_by_the_migration()
    {
        var store = await Store();
        var stored = SampleRecords.Succeeded("legacy.jpg", processedAt: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero));
        await store.UpsertAsync(stored, default);
        // The rank as the first version wrote it (Unix milliseconds, 20 digits each), and a journal without the conversion.
        var legacy = string.Create(CultureInfo.InvariantCulture,
            $"{stored.Blob.LastModified!.Value.ToUnixTimeMilliseconds():D20}{stored.ProcessedAt.ToUnixTimeMilliseconds():D20}");
        await ExecuteAsync(store, "UPDATE images SET write_rank = @rank", ("rank", legacy));
        await ExecuteAsync(store, "DELETE FROM SchemaVersions WHERE ScriptName LIKE '%0002_write_rank_ticks%'");

        await store.MigrateAsync(default);
        var replay = await store.UpsertAsync(SampleRecords.Failed("legacy.jpg", processedAt: stored.ProcessedAt), default);
        var older = await store.UpsertAsync(SampleRecords.Failed("legacy.jpg", processedAt: stored.ProcessedAt.AddMilliseconds(-1)), default);
        var newer = await store.UpsertAsync(SampleRecords.Failed("legacy.jpg", processedAt: stored.ProcessedAt.AddTicks(1)), default);

        Assert.Equal(UpsertOutcome.Unchanged, replay.Outcome);
        Assert.Equal(UpsertOutcome.Unchanged, older.Outcome);
        Assert.Equal(UpsertOutcome.Updated, newer.Outcome);
    }

    [SkippableFact]
    public async Task Two_hundred_concurrent_writes_all_succeed_with_the_default_pool()
    {
        // The store is made as the service makes it (no pool size in the connection string), so a burst
        // larger than the pool must wait for connections, not exhaust the server.
        var store = await Store();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => store.UpsertAsync(SampleRecords.Succeeded($"burst/{i}.jpg"), default))));

        Assert.All(outcomes, o => Assert.Equal(UpsertOutcome.Inserted, o.Outcome));
        Assert.Equal(200, (await store.StatsAsync(default)).Total);
    }

    /// <summary>Hashes with known distances from <see cref="Probe"/>; several have the top bit set (negative as stored).</summary>
    private const ulong Probe = 0xF0F0_0000_FFFF_1234;

    /// <summary>The probe with the given bits flipped.</summary>
    private static ulong Flip(params int[] bits) => bits.Aggregate(Probe, (h, b) => h ^ (1UL << b));

    private static async Task<ImageRecord> PutAsync(SqlMetadataStore store, string name, ulong hash)
    {
        var record = SampleRecords.Succeeded(name).WithThumbnail(hash);
        await store.UpsertAsync(record, default);
        return record;
    }

    [SkippableFact]
    public async Task Thumbnail_and_thumbnail_failure_round_trip()
    {
        var store = await Store();
        var withThumbnail = SampleRecords.Succeeded("t/with.jpg").WithThumbnail(0x8000_0000_0000_0001);
        var withFailure = SampleRecords.Succeeded("t/failed.jpg") with { ThumbnailFailure = new ProcessingFailure(FailureClass.Unsupported, "No decoder for this format.") };
        var failedBoth = SampleRecords.Failed("t/bad.jpg") with { ThumbnailFailure = new ProcessingFailure(FailureClass.Corrupt, "truncated") };

        foreach (var record in new[] { withThumbnail, withFailure, failedBoth })
        {
            await store.UpsertAsync(record, default);
            Assert.Equal(record, await store.GetAsync(record.Id, default));
        }

        Assert.Equal("8000000000000001", (await store.GetAsync(withThumbnail.Id, default))!.Thumbnail!.PerceptualHash);
    }

    [SkippableFact]
    public async Task Migration_0003_keeps_rows_written_before_it()
    {
        // The schema as 0002 left it (no hash column), holding a row written then.
        var store = await OlderStore("0002");
        var old = SampleRecords.Succeeded("legacy/before-thumbnails.jpg");
        await InsertLegacyAsync(store, old, withHash: false);

        await store.MigrateAsync(default);
        var probe = await PutAsync(store, "legacy/new.jpg", Probe);
        var twin = await PutAsync(store, "legacy/twin.jpg", Flip(3));

        Assert.Equal(old with { ExtractorVersion = 1 }, await store.GetAsync(old.Id, default));
        Assert.Equal(3, (await store.StatsAsync(default)).Total);
        Assert.Equal([twin.Id], (await store.SimilarAsync(new HashNeighbourhood(Probe, 10, probe.Id), 10, default)).Select(s => s.Image.Id));
    }

    [SkippableFact]
    public async Task Similar_is_nearest_first_then_newest_and_leaves_out_the_image_itself()
    {
        var store = await Store();
        var self = await PutAsync(store, "sim/self.jpg", Probe);
        var d3 = await PutAsync(store, "sim/d3.jpg", Flip(0, 17, 63));
        var d1 = await PutAsync(store, "sim/d1.jpg", Flip(63));
        var d3Newer = await PutAsync(store, "sim/d3-newer.jpg", Flip(5, 6, 7));
        var d0 = await PutAsync(store, "sim/d0.jpg", Probe);
        var d10 = await PutAsync(store, "sim/d10.jpg", Flip(Enumerable.Range(40, 10).ToArray()));
        await PutAsync(store, "sim/d11.jpg", Flip(Enumerable.Range(40, 11).ToArray()));
        await PutAsync(store, "sim/far.jpg", ~Probe);
        await store.UpsertAsync(SampleRecords.Succeeded("sim/none.jpg"), default);

        var near = await store.SimilarAsync(new HashNeighbourhood(Probe, 10, self.Id), 20, default);

        Assert.Equal([d0.Id, d1.Id, d3Newer.Id, d3.Id, d10.Id], near.Select(s => s.Image.Id));
        Assert.Equal([0, 1, 3, 3, 10], near.Select(s => s.Distance));
        Assert.Equal(d1, near[1].Image);
        Assert.Equal([d0.Id, d1.Id], (await store.SimilarAsync(new HashNeighbourhood(Probe, 10, self.Id), 2, default)).Select(s => s.Image.Id));
        Assert.Equal([d0.Id], (await store.SimilarAsync(new HashNeighbourhood(Probe, 0, self.Id), 20, default)).Select(s => s.Image.Id));
        Assert.Equal(64, (await store.SimilarAsync(new HashNeighbourhood(Probe, 64, self.Id), 20, default))[^1].Distance);
        // From d1's side: the two records with the probe's hash are 1 bit away, newest first; d1 itself is left out.
        Assert.Equal([d0.Id, self.Id], (await store.SimilarAsync(new HashNeighbourhood(Flip(63), 1, d1.Id), 20, default)).Select(s => s.Image.Id));
    }

    [SkippableFact]
    public async Task Duplicates_of_pages_the_same_set_newest_first_combined_with_other_filters()
    {
        var store = await Store();
        var self = await PutAsync(store, "dup/self.jpg", Probe);
        var copies = new List<ImageRecord>();
        for (var i = 0; i < 5; i++)
        {
            copies.Add(await PutAsync(store, $"dup/copy{i}.jpg", Flip(i * 13 % 64, 62)));
        }

        await PutAsync(store, "dup/far.jpg", Flip(Enumerable.Range(0, 20).ToArray()));
        var png = SampleRecords.Succeeded("dup/copy.png", format: ImageFormats.Png).WithThumbnail(Flip(1));
        await store.UpsertAsync(png, default);
        var near = new HashNeighbourhood(Probe, PerceptualHash.NearDuplicateDistance, self.Id);

        var seen = new List<ImageId>();
        var page = await store.QueryAsync(new ImageQuery { Near = near, Limit = 2 }, default);
        seen.AddRange(page.Items.Select(r => r.Id));
        while (page.NextCursor is { } cursor)
        {
            Assert.True(PageCursor.TryDecode(cursor, out var after));
            page = await store.QueryAsync(new ImageQuery { Near = near, Limit = 2, After = after }, default);
            seen.AddRange(page.Items.Select(r => r.Id));
        }

        var similar = await store.SimilarAsync(near, 100, default);
        Assert.Equal(copies.Select(c => c.Id).Append(png.Id).Reverse(), seen);
        Assert.Equal(similar.Select(s => s.Image.Id.Value).Order(StringComparer.Ordinal), seen.Select(i => i.Value).Order(StringComparer.Ordinal));
        Assert.Equal([png.Id], (await store.QueryAsync(new ImageQuery { Near = near, Format = ImageFormats.Png }, default)).Items.Select(r => r.Id));
    }

    [SkippableFact]
    public async Task Stats_count_near_duplicate_groups_by_single_linkage()
    {
        var store = await Store();
        // Group 1: a chain a~b~c (a and c are 12 bits apart, each link 6), with an exact copy of a.
        await PutAsync(store, "g/a.jpg", Probe);
        await PutAsync(store, "g/a-copy.jpg", Probe);
        await PutAsync(store, "g/b.jpg", Flip(0, 1, 2, 3, 4, 5));
        await PutAsync(store, "g/c.jpg", Flip(0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15));
        // Group 2: two hashes with the top bit set, 2 bits apart; far from group 1.
        await PutAsync(store, "g/x.jpg", ~Probe);
        await PutAsync(store, "g/y.jpg", ~Probe ^ 0b11);
        // Alone: far from everything; and a record without a hash.
        await PutAsync(store, "g/alone.jpg", Probe ^ 0x0000_FFFF_FFFF_0000);
        await store.UpsertAsync(SampleRecords.Succeeded("g/nohash.jpg"), default);

        var stats = await store.StatsAsync(default);

        Assert.Equal(2, stats.NearDuplicateGroups);
        Assert.Equal(6, stats.NearDuplicateImages);
        Assert.Equal(8, stats.Total);
    }

    [SkippableFact]
    public async Task The_portable_popcount_expression_counts_bits_of_any_64_bit_value()
    {
        // The SQL Server distance uses this expression; it must be exact on every provider's integer arithmetic.
        var store = await Store();
        var random = new Random(13);
        var values = new List<long> { 0, -1, long.MinValue, long.MaxValue, 1, unchecked((long)0x8000_0000_0000_0001), unchecked((long)0xAAAA_AAAA_AAAA_AAAA) };
        values.AddRange(Enumerable.Range(0, 40).Select(_ => random.NextInt64(long.MinValue, long.MaxValue)));
        await using var connection = ((SqlMetadataStore)store).Provider.CreateConnection();
        await connection.OpenAsync();
        foreach (var value in values)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT " + SqlServerStoreProvider.PortablePopCount("@x");
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@x";
            parameter.Value = value;
            command.Parameters.Add(parameter);

            var count = Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);

            Assert.Equal(System.Numerics.BitOperations.PopCount(unchecked((ulong)value)), count);
        }
    }
}
