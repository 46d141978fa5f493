using System.Diagnostics;
using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Store;
using ImageMeta.Store.Tests;
using Microsoft.Data.Sqlite;
using Npgsql;

// Usage: ImageMeta.Bench.Store <rows> [postgres-connection-string]
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
const int Writers = 8;
var results = new List<string>
{
    "| database | rows | writers | upserts/s | page p50 (ms) | page p95 (ms) | filtered p50 (ms) | filtered p95 (ms) | get p95 (ms) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
};

var similarResults = new List<string>
{
    "| database | rows | rows with hash | similar p50 (ms) | similar p95 (ms) | duplicatesOf page p95 (ms) | stats with groups (ms) | groups | images in groups |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
};

var folder = Directory.CreateTempSubdirectory("imagemeta-bench-store-").FullName;
var sqlite = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "metadata.db"), DefaultTimeout = 120 }.ToString();
// BENCH_STORE_DATABASES=postgres measures PostgreSQL alone (a loaded machine may not have time for both).
if (Environment.GetEnvironmentVariable("BENCH_STORE_DATABASES") is not { } databases || databases.Contains("sqlite", StringComparison.Ordinal))
{
    results.Add(await Measure("SQLite (file, WAL)", new SqliteStoreProvider(sqlite)));
}

if (args.Length > 1)
{
    var database = "imagemeta_bench_" + Guid.NewGuid().ToString("N")[..8];
    await using (var admin = new NpgsqlConnection(args[1]))
    {
        await admin.OpenAsync();
        await new NpgsqlCommand($"CREATE DATABASE {database}", admin).ExecuteNonQueryAsync();
    }

    var connection = new NpgsqlConnectionStringBuilder(args[1]) { Database = database, MaxPoolSize = 32 }.ToString();
    results.Add(await Measure("PostgreSQL 15", new PostgresStoreProvider(connection)));
    NpgsqlConnection.ClearAllPools();
    await using var cleanup = new NpgsqlConnection(args[1]);
    await cleanup.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", cleanup).ExecuteNonQueryAsync();
}

Directory.Delete(folder, recursive: true);
Console.WriteLine(string.Join(Environment.NewLine, results));
Console.WriteLine();
Console.WriteLine(string.Join(Environment.NewLine, similarResults));
return 0;

async Task<string> Measure(string name, StoreProvider provider)
{
    var store = new SqlMetadataStore(provider);
    await store.MigrateAsync(default);
    string[] formats = [ImageFormats.Jpeg, ImageFormats.Jpeg, ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.Webp, ImageFormats.Gif];
    string[] makes = ["Canon", "NIKON CORPORATION", "SONY", "Apple", "FUJIFILM"];

    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < rows)
        {
            await store.UpsertAsync(SampleRecords.Succeeded(
                $"bench/{i:D7}.jpg", format: formats[i % formats.Length], width: 640 + i % 4000, height: 480 + i % 3000,
                make: makes[i % makes.Length], takenAt: new DateTime(2020, 1, 1).AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                bytes: 100_000 + i).WithThumbnail(BenchHash(i)), default);
        }
    })));
    var upsertsPerSecond = rows / clock.Elapsed.TotalSeconds;

    // The table as a running database has it: within about a minute of a bulk load PostgreSQL's autovacuum analyzes
    // it and (since PostgreSQL 13, for inserts too) vacuums it, which sets the visibility map that index-only scans
    // need. Measured before that, the planner has no row estimates and picks a bitmap scan plus a sort for the
    // filtered page (about 140 ms at 100,000 rows instead of under 1 ms).
    await using (var connection = provider.CreateConnection())
    {
        await connection.OpenAsync();
        await using var analyze = connection.CreateCommand();
        analyze.CommandText = provider is PostgresStoreProvider ? "VACUUM ANALYZE" : "ANALYZE";
        await analyze.ExecuteNonQueryAsync();
    }

    var pages = await Latencies(200, async i =>
    {
        // Walk a few pages deep from the newest, as a UI would.
        var page = await store.QueryAsync(new ImageQuery { Limit = 50 }, default);
        for (var depth = 0; depth < i % 5 && page.NextCursor is { } cursor; depth++)
        {
            PageCursor.TryDecode(cursor, out var after);
            page = await store.QueryAsync(new ImageQuery { Limit = 50, After = after }, default);
        }
    }, perCall: i => 1 + i % 5);
    var filtered = await Latencies(200, async i =>
        await store.QueryAsync(new ImageQuery { Limit = 50, Format = ImageFormats.Jpeg, Camera = makes[i % makes.Length].ToLowerInvariant()[..4], MinWidth = 1000 }, default));
    var gets = await Latencies(500, async i =>
        await store.GetAsync(SampleRecords.Succeeded($"bench/{i * 97 % rows:D7}.jpg").Id, default));

    // Similar images, as the API answers them: read the record, then the nearest 20 within the default distance.
    async Task<HashNeighbourhood> NeighbourhoodOf(int i)
    {
        var record = await store.GetAsync(SampleRecords.Succeeded($"bench/{i * 499 % rows:D7}.jpg").Id, default);
        return PerceptualHash.TryParse(record?.Thumbnail?.PerceptualHash, out var hash)
            ? new HashNeighbourhood(hash, PerceptualHash.NearDuplicateDistance, record!.Id)
            : throw new InvalidOperationException($"Row {i} has no hash.");
    }

    var similar = await Latencies(200, async i => await store.SimilarAsync(await NeighbourhoodOf(i), 20, default));
    var duplicatesOf = await Latencies(100, async i => await store.QueryAsync(new ImageQuery { Limit = 50, Near = await NeighbourhoodOf(i) }, default));
    var statsClock = Stopwatch.StartNew();
    var stats = await store.StatsAsync(default);
    var statsMs = statsClock.Elapsed.TotalMilliseconds;
    similarResults.Add(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {rows} | {rows} | {similar.P50:F2} | {similar.P95:F2} | {duplicatesOf.P95:F2} | {statsMs:F0} | {stats.NearDuplicateGroups} | {stats.NearDuplicateImages} |"));

    return string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {rows} | {Writers} | {upsertsPerSecond:F0} | {pages.P50:F2} | {pages.P95:F2} | {filtered.P50:F2} | {filtered.P95:F2} | {gets.P95:F2} |");
}

// Every tenth image is a near copy (1 to 6 bits flipped) of the one before it; the rest are unrelated (spread-out
// 64-bit values, half with the top bit set), so each search finds a handful and the groups are the planted pairs.
static ulong BenchHash(int i)
{
    static ulong Spread(int n) => unchecked((ulong)n * 0x9E3779B97F4A7C15UL) ^ ((ulong)n << 29) ^ ((ulong)n * 0xC2B2AE3D27D4EB4FUL >> 17);
    if (i % 10 != 9)
    {
        return Spread(i);
    }

    var hash = Spread(i - 1);
    for (var bit = 0; bit < 1 + (i / 10 % 6); bit++)
    {
        hash ^= 1UL << ((i * 7 + (bit * 13)) % 64);
    }

    return hash;
}

static async Task<(double P50, double P95)> Latencies(int count, Func<int, Task> call, Func<int, int>? perCall = null)
{
    var samples = new List<double>();
    for (var i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        await call(i);
        samples.Add(clock.Elapsed.TotalMilliseconds / (perCall?.Invoke(i) ?? 1));
    }

    samples.Sort();
    return (samples[samples.Count / 2], samples[(int)(samples.Count * 0.95)]);
}
