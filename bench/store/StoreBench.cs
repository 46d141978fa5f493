using System.Diagnostics;
using System.Numerics;
using ImageMeta.Contracts;
using ImageMeta.Store;

namespace ImageMeta.Bench.Store;

/// <summary>What one database measured: query p95s in milliseconds, upsert rates, sizes, and the correctness checks that failed.</summary>
public sealed record StoreBenchResult(
    string Database,
    long Rows,
    double SeedSeconds,
    double KeysetPageP95,
    double FilteredPageP95,
    double SimilarP95,
    double DuplicatesOfP95,
    double StatsP95,
    double MonthsP95,
    double PositionsP95,
    int PositionsAnswered,
    double UpsertsPerSecond,
    double UpsertsPerSecondWithoutSummaries,
    long DatabaseBytes,
    long ProcessBytes,
    long ManagedHeapBytes,
    IReadOnlyList<string> Failures)
{
    /// <summary>Whether the rows were already there (<c>--keep-postgres</c>): no load was timed.</summary>
    public bool Reused => double.IsNaN(SeedSeconds);
}

/// <summary>
/// The store bench for one database: bulk-loads <c>rows</c> rows (<see cref="BulkSeeder"/>), analyzes, checks that the
/// answers are right (against what <see cref="BenchRecords"/> says the rows are), then times each query on a warm cache,
/// and the upsert rate of 8 writers with and without the maintained summary rows, in the same run. With
/// <c>keep</c>, a database that already holds exactly the <c>rows</c> bench rows is measured again without loading
/// (the rows are a function of their number), and the upserts' rows are deleted afterwards so it can be used again.
/// </summary>
public sealed class StoreBench(string database, StoreProvider provider, Func<Task<long>> databaseBytes)
{
    private const int Writers = 8;

    public async Task<StoreBenchResult> RunAsync(long rows, int samples, int upserts, CancellationToken cancellationToken, bool keep = false)
    {
        var store = new SqlMetadataStore(provider, options: new StoreOptions { NearDuplicateGroupsRefresh = TimeSpan.FromHours(1) });
        await store.MigrateAsync(cancellationToken);
        var seedSeconds = double.NaN;
        var present = await ScalarAsync("SELECT COUNT(*) FROM images", cancellationToken);
        if (!keep || present != rows)
        {
            if (present != 0)
            {
                throw new InvalidOperationException($"The database holds {present:N0} rows, not 0 or the {rows:N0} asked for: use another one.");
            }

            var clock = Stopwatch.StartNew();
            await BulkSeeder.SeedAsync(store, 0, rows, cancellationToken);
            seedSeconds = clock.Elapsed.TotalSeconds;
        }

        var seeded = await ScalarAsync("SELECT MAX(seq) FROM images", cancellationToken);
        await AnalyzeAsync(cancellationToken);

        var failures = new List<string>();
        await CheckAsync(store, rows, failures, cancellationToken);

        var probes = Enumerable.Range(0, samples).Select(i => (long)i * 7919 % rows).ToArray();
        var keyset = await P95(samples, async i =>
        {
            // A few pages deep from the newest, as a gallery scrolls; each page is one sample.
            var page = await store.QueryAsync(new ImageQuery { Limit = 50 }, cancellationToken);
            for (var depth = 0; depth < i % 5 && page.NextCursor is { } cursor; depth++)
            {
                PageCursor.TryDecode(cursor, out var after);
                page = await store.QueryAsync(new ImageQuery { Limit = 50, After = after }, cancellationToken);
            }
        }, i => 1 + (i % 5));
        var filtered = await P95(samples, async i => await store.QueryAsync(
            new ImageQuery { Limit = 50, Format = ImageFormats.Jpeg, Camera = BenchRecords.Makes[i % BenchRecords.Makes.Length].ToLowerInvariant()[..4], MinWidth = 1000 }, cancellationToken));
        var similar = await P95(samples, async i => await store.SimilarAsync(await NeighbourhoodAsync(store, probes[i], cancellationToken), 20, cancellationToken));
        var duplicatesOf = await P95(samples, async i => await store.QueryAsync(new ImageQuery { Limit = 50, Near = await NeighbourhoodAsync(store, probes[i], cancellationToken) }, cancellationToken));
        await store.StatsAsync(cancellationToken);
        var stats = await P95(samples, async _ => await store.StatsAsync(cancellationToken));
        var months = await P95(samples, async _ => await store.TimelineAsync(null, null, cancellationToken));
        var box = BoxOf(500, rows);
        var answered = 0;
        var positions = await P95(samples, async i =>
        {
            var moved = box with { MinLon = box.MinLon + (i % 10 * 0.5), MaxLon = box.MaxLon + (i % 10 * 0.5) };
            var answer = await store.PositionsAsync(moved, 500, cancellationToken);
            answered = Math.Max(answered, answer.Points.Count + answer.Clusters.Count);
        });

        // The same run, the same database: writers without the summary rows first, then with them (the service's way),
        // each on rows of its own; the summaries are counted again afterwards.
        // An untimed batch first (the pool's connections opened, the plans cached, the pages the writes touch read), or
        // whichever way ran first would pay for it.
        var bare = new SqlMetadataStore(provider) { MaintainsSummaries = false };
        await UpsertRateAsync(bare, rows + (2L * upserts), Math.Max(1, upserts / 4), cancellationToken);
        var without = await UpsertRateAsync(bare, rows, upserts, cancellationToken);
        var with = await UpsertRateAsync(store, rows + upserts, upserts, cancellationToken);
        var databaseSize = await databaseBytes();
        if (keep)
        {
            await ScalarAsync($"DELETE FROM images WHERE seq > {seeded}", cancellationToken);
        }

        await store.RecountSummariesAsync(cancellationToken);

        var heap = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        return new StoreBenchResult(database, rows, seedSeconds, keyset, filtered, similar, duplicatesOf, stats, months, positions, answered,
            with, without, databaseSize, self.WorkingSet64, heap, failures);
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = provider.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>A box over the positions' area that holds about <paramref name="points"/> of them (three rows in five have one).</summary>
    public static BoundingBox BoxOf(int points, long rows)
    {
        var side = BenchRecords.Side * Math.Min(1, Math.Sqrt(points / (rows * 0.6)));
        return new BoundingBox(BenchRecords.MinLon + 1, BenchRecords.MinLat + 1, BenchRecords.MinLon + 1 + side, BenchRecords.MinLat + 1 + side);
    }

    /// <summary>The answers against what the rows are: counts, months, a keyset walk, similar images and duplicatesOf, positions.</summary>
    private static async Task CheckAsync(SqlMetadataStore store, long rows, List<string> failures, CancellationToken cancellationToken)
    {
        void Expect(bool condition, string what)
        {
            if (!condition)
            {
                failures.Add(what);
            }
        }

        var stats = await store.StatsAsync(cancellationToken);
        Expect(stats.Total == rows, $"stats total {stats.Total}, expected {rows}");
        Expect(stats.TotalBytes == (rows * 100_000m) + (rows * (rows - 1) / 2m), $"stats bytes {stats.TotalBytes}");
        Expect((await store.TimelineAsync(null, null, cancellationToken)).Months.Sum(m => m.Count) == rows, "timeline months do not add up to the rows");

        // Hashes are a function of the row number: the brute-force answer is a loop (sampled rows when there are many).
        var step = Math.Max(1, rows / 200_000);
        foreach (var probe in new long[] { 9, rows / 2 / 10 * 10 + 9, rows - 1 })
        {
            var hash = BenchRecords.Hash(probe);
            var near = await NeighbourhoodAsync(store, probe, cancellationToken);
            var similar = await store.SimilarAsync(near, 100, cancellationToken);
            if (step == 1)
            {
                var expected = Enumerable.Range(0, (int)rows).Where(i => i != probe)
                    .Select(i => (Row: (long)i, Distance: BitOperations.PopCount(BenchRecords.Hash(i) ^ hash)))
                    .Where(c => c.Distance <= near.MaxDistance).OrderBy(c => c.Distance).ThenByDescending(c => c.Row).Take(100)
                    .Select(c => (BenchRecords.Record(c.Row).Id, c.Distance)).ToList();
                Expect(expected.SequenceEqual(similar.Select(s => (s.Image.Id, s.Distance))), $"similar to row {probe} differs from the linear scan");
                var duplicates = await store.QueryAsync(new ImageQuery { Near = near, Limit = 500 }, cancellationToken);
                Expect(expected.Select(e => e.Id.Value).Order(StringComparer.Ordinal).SequenceEqual(duplicates.Items.Select(r => r.Id.Value).Order(StringComparer.Ordinal)),
                    $"duplicatesOf row {probe} differs from the linear scan");
            }
            else
            {
                // Too many rows to scan here: every answer must be within the distance, and the planted copy found.
                Expect(similar.All(s => BitOperations.PopCount(PerceptualHash.TryParse(s.Image.Thumbnail?.PerceptualHash, out var h) ? h ^ hash : ulong.MaxValue) == s.Distance && s.Distance <= near.MaxDistance),
                    $"similar to row {probe} answered a wrong distance");
                Expect(similar.Any(s => s.Image.Id == BenchRecords.Record(probe - 1).Id), $"similar to row {probe} missed its planted near copy");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var page = await store.QueryAsync(new ImageQuery { Limit = 100 }, cancellationToken);
        for (var n = 0; n < 5; n++)
        {
            Expect(page.Items.All(r => seen.Add(r.Id.Value)), "a keyset page repeated a row");
            if (page.NextCursor is not { } cursor)
            {
                break;
            }

            PageCursor.TryDecode(cursor, out var after);
            page = await store.QueryAsync(new ImageQuery { Limit = 100, After = after }, cancellationToken);
        }

        Expect(seen.Count == Math.Min(rows, 500), $"five keyset pages held {seen.Count} rows");
        var box = BoxOf(500, rows);
        var inBox = Enumerable.Range(0, (int)Math.Min(rows, int.MaxValue)).Where(i => i % step == 0).Count(i => BenchRecords.Position(i) is { } p
            && p.Lat >= box.MinLat && p.Lat <= box.MaxLat && p.Lon >= box.MinLon && p.Lon <= box.MaxLon);
        var positions = await store.PositionsAsync(box, 5000, cancellationToken);
        if (step == 1)
        {
            Expect(positions.Total == inBox, $"positions in the box: {positions.Total}, expected {inBox}");
        }
    }

    private static async Task<HashNeighbourhood> NeighbourhoodAsync(SqlMetadataStore store, long row, CancellationToken cancellationToken)
    {
        var record = await store.GetAsync(BenchRecords.Record(row).Id, cancellationToken) ?? throw new InvalidOperationException($"Row {row} is missing.");
        return PerceptualHash.TryParse(record.Thumbnail?.PerceptualHash, out var hash)
            ? new HashNeighbourhood(hash, PerceptualHash.NearDuplicateDistance, record.Id)
            : throw new InvalidOperationException($"Row {row} has no hash.");
    }

    private static async Task<double> UpsertRateAsync(SqlMetadataStore store, long from, int count, CancellationToken cancellationToken)
    {
        var next = -1L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            long i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await store.UpsertAsync(BenchRecords.Record(from + i), cancellationToken);
            }
        }, cancellationToken)));
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Statistics as a running database has them: PostgreSQL's autovacuum analyzes (and, since 13, vacuums) a table within
    /// about a minute of a bulk load; before that the planner has no estimates and picks much worse plans.
    /// </summary>
    private async Task AnalyzeAsync(CancellationToken cancellationToken)
    {
        await using var connection = provider.CreateConnection();
        await connection.OpenAsync(cancellationToken);
        await using var analyze = connection.CreateCommand();
        analyze.CommandText = provider switch
        {
            PostgresStoreProvider => "VACUUM ANALYZE",
            SqlServerStoreProvider => "UPDATE STATISTICS images",
            _ => "ANALYZE",
        };
        analyze.CommandTimeout = 0;
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The p95 of <paramref name="count"/> calls on a warm cache: every call is made once untimed first, because each
    /// sample may read other pages (another probe's band values, another box), and one warm-up call would leave the
    /// others to be timed cold at ten million rows.
    /// </summary>
    private static async Task<double> P95(int count, Func<int, Task> call, Func<int, int>? perCall = null)
    {
        for (var i = 0; i < count; i++)
        {
            await call(i);
        }

        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await call(i);
            samples.Add(clock.Elapsed.TotalMilliseconds / (perCall?.Invoke(i) ?? 1));
        }

        samples.Sort();
        return samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.95))];
    }
}
