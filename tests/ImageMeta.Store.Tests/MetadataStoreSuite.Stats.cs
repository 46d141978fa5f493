using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>The maintained stats: exact under concurrent writers, and the near-duplicate figures' refresh and age.</summary>
public abstract partial class MetadataStoreSuite
{
    [SkippableFact]
    public async Task Maintained_stats_and_months_equal_a_full_recount_after_a_concurrent_burst_of_writes_and_deletes()
    {
        var store = await Store();
        string[] formats = [ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.Webp];
        // Eight writers over 40 names: inserts, newer and older versions, status and format changes, deletes, all at once.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var step = 0; step < 60; step++)
            {
                var name = $"burst/{random.Next(40):D2}.jpg";
                var version = $"v{random.Next(3)}";
                var lastModified = new DateTimeOffset(2024, 1 + random.Next(12), 1 + random.Next(28), 0, 0, 0, TimeSpan.Zero);
                var record = random.Next(5) == 0
                    ? SampleRecords.Failed(name, version: version) with { Blob = new BlobReference("images", name, version, lastModified, 100 + random.Next(1000)) }
                    : SampleRecords.Succeeded(name, version: version, format: formats[random.Next(formats.Length)], lastModified: lastModified,
                        takenAt: random.Next(2) == 0 ? null : $"20{10 + random.Next(10)}-0{1 + random.Next(9)}-1{random.Next(10)}T10:00:00",
                        processedAt: lastModified.AddMinutes(random.Next(100)), bytes: random.NextInt64(1, 1L << 40));
                if (random.Next(6) == 0)
                {
                    await store.DeleteAsync(record.Id, default);
                }
                else
                {
                    await store.UpsertAsync(record with { Id = record.Blob.ImageId }, default);
                }
            }
        })));

        var rows = new List<(string? Format, string Status, long Bytes, string Month)>();
        await using (var connection = store.Provider.CreateConnection())
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT format, status, byte_size, sort_time FROM images WHERE is_current = 1";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1),
                    reader.IsDBNull(2) ? 0 : Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture), reader.GetString(3)[..7]));
            }
        }

        var stats = await store.StatsAsync(default);
        var months = (await store.TimelineAsync(null, null, default)).Months;

        Assert.NotEmpty(rows);
        Assert.Equal(rows.Count, stats.Total);
        Assert.Equal(rows.Sum(r => (decimal)r.Bytes), stats.TotalBytes);
        Assert.Equal(rows.GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())),
            stats.ByStatus.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
        Assert.Equal(rows.Where(r => !string.IsNullOrEmpty(r.Format)).GroupBy(r => r.Format!).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())),
            stats.ByFormat.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
        Assert.Equal(rows.GroupBy(r => r.Month).OrderByDescending(g => g.Key, StringComparer.Ordinal).Select(g => ($"{g.Key}", (long)g.Count())),
            months.Select(m => (string.Create(CultureInfo.InvariantCulture, $"{m.Year:D4}-{m.Month:D2}"), m.Count)));
    }

    [SkippableFact]
    public async Task Near_duplicate_figures_are_refreshed_in_the_background_once_older_than_the_interval_and_say_when_they_were_computed()
    {
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new TestClock(start);
        var store = await Store(new StoreOptions { NearDuplicateGroupsRefresh = TimeSpan.FromMinutes(5) }, clock);
        await PutAsync(store, "age/a.jpg", Probe);
        await PutAsync(store, "age/b.jpg", Flip(1));

        var first = await store.StatsAsync(default);
        await PutAsync(store, "age/c.jpg", ~Probe);
        await PutAsync(store, "age/d.jpg", ~Probe ^ 1);
        clock.Now = start.AddMinutes(4);
        var cached = await store.StatsAsync(default);
        clock.Now = start.AddMinutes(6);
        var stale = await store.StatsAsync(default);

        // Computed for the first answer; then the same figures, labelled with their time, while the counts stay exact.
        Assert.Equal((1L, 2L, (DateTimeOffset?)start), (first.NearDuplicateGroups, first.NearDuplicateImages, first.NearDuplicateGroupsAsOf));
        Assert.Equal((1L, 2L, (DateTimeOffset?)start, 4L), (cached.NearDuplicateGroups, cached.NearDuplicateImages, cached.NearDuplicateGroupsAsOf, cached.Total));
        Assert.Equal((1L, (DateTimeOffset?)start), (stale.NearDuplicateGroups, stale.NearDuplicateGroupsAsOf));
        // The stale answer started one refresh; its figures arrive with the time they were computed.
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        ImageStats refreshed;
        do
        {
            await Task.Delay(20, bound.Token);
            refreshed = await store.StatsAsync(default);
        }
        while (refreshed.NearDuplicateGroupsAsOf == start);

        Assert.Equal((2L, 4L, (DateTimeOffset?)start.AddMinutes(6)), (refreshed.NearDuplicateGroups, refreshed.NearDuplicateImages, refreshed.NearDuplicateGroupsAsOf));
    }

    [SkippableFact]
    public async Task Near_duplicate_figures_above_the_image_limit_are_null_with_the_reason_and_the_counts_stay_exact()
    {
        var store = await Store(new StoreOptions { NearDuplicateGroupsRefresh = TimeSpan.Zero, NearDuplicateGroupsMaxImages = 3 });
        await PutAsync(store, "limit/a.jpg", Probe);
        await PutAsync(store, "limit/b.jpg", Flip(1));
        await PutAsync(store, "limit/c.jpg", ~Probe);

        // At the limit: counted.
        var atLimit = await store.StatsAsync(default);
        Assert.Equal((1L, 2L, (string?)null), (atLimit.NearDuplicateGroups, atLimit.NearDuplicateImages, atLimit.NearDuplicateGroupsNotCounted));

        // One over: no figures rather than figures over part of the library, and a sentence that names the setting.
        await PutAsync(store, "limit/d.jpg", ~Probe ^ 1);
        var over = await store.StatsAsync(default);
        Assert.Null(over.NearDuplicateGroups);
        Assert.Null(over.NearDuplicateImages);
        Assert.Contains("Store:NearDuplicateGroupsMaxImages", over.NearDuplicateGroupsNotCounted, StringComparison.Ordinal);
        Assert.Equal(4, over.Total);
    }
}
