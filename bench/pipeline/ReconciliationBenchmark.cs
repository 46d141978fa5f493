using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using ImageMeta.Bench.Store;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using ImageMeta.Ingest;
using ImageMeta.Store;
using ImageMeta.Testing.Dapr.Pipeline;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageMeta.Bench.Pipeline;

/// <summary>One reconciliation pass: the database, how many records it held, how many the listing lacked, and what the pass cost.</summary>
public sealed record ReconciliationMeasurement(
    string Database, int Records, int Gone, int Deleted, TimeSpan Elapsed, int StorePages, long PeakLiveBytesAboveBaseline, long AllocatedBytes);

/// <summary>
/// The sweep's reconciliation (<see cref="SweepReconciliation"/>, driven page by page as <see cref="SweepRunner"/> drives
/// it) over a store seeded with N records through bench/store's bulk path, against a listing stand-in that lists every
/// record's blob but one in a hundred, in the sweep's pages of 200, generated as they are asked for (a listing of N names
/// is never held). The store is asked in-process (<see cref="SqlMetadataStore.NamesAsync"/>, no HTTP or sidecar hop), and
/// each candidate is answered "gone" without a blob read or a delete workflow, so what is measured is the merge walk:
/// its database reads and its memory. Memory is the live managed heap, sampled after full collections every 50 ms on
/// a second pass, above the heap before the pass; flat in N means the walk holds pages, not the library.
/// </summary>
public static class ReconciliationBenchmark
{
    private const int ListingPageSize = 200;
    private const int GoneEvery = 100;

    public static async Task<IReadOnlyList<ReconciliationMeasurement>> RunAsync(IReadOnlyList<MetadataDatabase> databases, IReadOnlyList<int> sizes, TextWriter log)
    {
        var results = new List<ReconciliationMeasurement>();
        foreach (var database in databases)
        {
            foreach (var size in sizes)
            {
                results.Add(await MeasureAsync(database, size, log));
            }
        }

        return results;
    }

    private static async Task<ReconciliationMeasurement> MeasureAsync(MetadataDatabase database, int size, TextWriter log)
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-bench-reconcile-").FullName;
        await using var postgres = database == MetadataDatabase.Postgres ? await PostgresDatabase.CreateAsync("reconcile") : null;
        StoreProvider provider = postgres is null
            ? new SqliteStoreProvider(new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "metadata.db"), DefaultTimeout = 120 }.ToString())
            : new PostgresStoreProvider(postgres.ConnectionString);
        try
        {
            var store = new SqlMetadataStore(provider);
            await store.MigrateAsync(CancellationToken.None);
            var seeding = Stopwatch.StartNew();
            await BulkSeeder.SeedAsync(store, 0, size, CancellationToken.None);
            await log.WriteLineAsync($"reconcile: {database} seeded {size:N0} records in {seeding.Elapsed.TotalSeconds:F1} s");

            // A first pass warms the caches and the code; the second is timed, the third sampled for memory.
            await PassAsync(store, size, sample: false);
            var timed = await PassAsync(store, size, sample: false);
            var sampled = await PassAsync(store, size, sample: true);
            var gone = (size + GoneEvery - 1) / GoneEvery;
            var measurement = new ReconciliationMeasurement(database.ToString().ToLowerInvariant(), size, gone, timed.Deleted, timed.Elapsed, timed.StorePages, sampled.PeakLive, timed.Allocated);
            await log.WriteLineAsync($"reconcile: {measurement}");
            return measurement;
        }
        finally
        {
            (provider as IDisposable)?.Dispose();
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int Deleted, TimeSpan Elapsed, int StorePages, long PeakLive, long Allocated)> PassAsync(SqlMetadataStore store, int size, bool sample)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new IngestMetrics(services.GetRequiredService<IMeterFactory>());
        var names = new DirectStoredNames(store);
        var reconciliation = new SweepReconciliation(names, new ListedOnlyIsKept(), metrics,
            Options.Create(new IngestOptions { SweepPageSize = ListingPageSize, SweepMaxDeletionsPerRun = size, SweepParallelism = 4 }),
            NullLogger<SweepReconciliation>.Instance);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var stop = new CancellationTokenSource();
        var sampler = sample
            ? Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                    try
                    {
                        await Task.Delay(50, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            })
            : Task.CompletedTask;

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var run = reconciliation.Begin();
        string? through = null;
        string? continuation = null;
        do
        {
            var page = Listing(size, continuation);
            through = await reconciliation.ReconcilePageAsync(run, "images", page, through, CancellationToken.None);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await stop.CancelAsync();
        await sampler;
        return (run.Deleted, clock.Elapsed, names.Pages, Math.Max(0, peak - baseline), allocated);
    }

    /// <summary>One listing page from <paramref name="continuation"/> (the index of the next record): every record's name but one in a hundred.</summary>
    private static BlobListPage Listing(int size, string? continuation)
    {
        var next = continuation is null ? 0 : int.Parse(continuation, CultureInfo.InvariantCulture);
        var items = new List<BlobReference>(ListingPageSize);
        while (next < size && items.Count < ListingPageSize)
        {
            if (next % GoneEvery != 0)
            {
                var record = BenchRecords.Record(next);
                items.Add(new BlobReference(record.Blob.Container, record.Blob.Name, record.Blob.Version));
            }

            next++;
        }

        return new BlobListPage(items, next < size ? next.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>The store's name listing asked in-process, counting its pages.</summary>
    private sealed class DirectStoredNames(SqlMetadataStore store) : IStoredNames
    {
        private int _pages;

        public int Pages => Volatile.Read(ref _pages);

        public async Task<ImageNamePage?> ReadAsync(ImageNamesRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _pages);
            return await store.NamesAsync(request.Container, request.After, request.Through, request.Limit, cancellationToken);
        }
    }

    /// <summary>Every record the listing lacks is gone (the listing stand-in lacks exactly those), and deleting one costs nothing here.</summary>
    private sealed class ListedOnlyIsKept : IGoneRecords
    {
        public Task<GoneCheck> CheckAsync(string container, ImageNameRow row, CancellationToken cancellationToken) => Task.FromResult(GoneCheck.Gone);

        public Task DeleteAsync(string container, ImageNameRow row, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The results as a Markdown table.</summary>
    public static string Markdown(IReadOnlyList<ReconciliationMeasurement> results)
    {
        var text = new StringBuilder()
            .AppendLine("| database | records | not listed | deleted | time | records/s | store pages | peak live heap above baseline | allocated |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Database} | {r.Records:N0} | {r.Gone:N0} | {r.Deleted:N0} | {r.Elapsed.TotalSeconds:F2} s | {r.Records / r.Elapsed.TotalSeconds:N0} | {r.StorePages:N0} | {r.PeakLiveBytesAboveBaseline / 1024.0 / 1024.0:F1} MiB | {r.AllocatedBytes / 1024.0 / 1024.0:F0} MiB |");
        }

        return text.ToString();
    }
}
