using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The behaviour every provider must show, asserted identically for each. Derived classes say how to
/// make a fresh, migrated store and why (if at all) they are skipped.
/// </summary>
public abstract class MetadataStoreSuite
{
    /// <summary>Null when the provider's database is available; otherwise why the suite is skipped.</summary>
    protected abstract string? SkipReason { get; }

    /// <summary>A fresh store on an empty, migrated database.</summary>
    protected abstract Task<IMetadataStore> CreateStoreAsync();

    private async Task<IMetadataStore> Store()
    {
        Skip.If(SkipReason is not null, SkipReason);
        return await CreateStoreAsync();
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
        var (outcome, stored) = await store.UpsertAsync(older, default);

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
        var (outcome, _) = await store.UpsertAsync(succeeded, default);

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
        Assert.Equal(100_000, stats.TotalBytes);
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
            Assert.True(PageCursor.TryDecode(cursor, out var before));
            page = await store.QueryAsync(new ImageQuery { Limit = 10, Before = before }, default);
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
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { Sha256 = small.Metadata!.Sha256.ToUpperInvariant() }));
        Assert.Equal(["f/small.jpg"], await Names(new ImageQuery { Format = ImageFormats.Jpeg, Camera = "apple", Status = ImageStatus.Succeeded }));
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
        Assert.Equal(360, stats.TotalBytes);
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
}
