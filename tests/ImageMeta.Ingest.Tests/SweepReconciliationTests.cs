using System.Diagnostics.Metrics;
using ImageMeta.Blobs;
using ImageMeta.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// The sweep's reconciliation as a merge walk of listing pages and the store's name pages, against stand-ins for the
/// store's listing and for the storage's answer about each candidate: what is deleted, what is kept, that the walk reads
/// the store a bounded page at a time, and that it never looks past the listing it was given.
/// </summary>
public sealed class SweepReconciliationTests : IDisposable
{
    private const string Container = "images";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly StoredNamesStandIn _store = new();
    private readonly GoneRecordsStandIn _storage = new();

    public void Dispose() => _services.Dispose();

    private SweepReconciliation Reconciliation(int pageSize = 2, int maxDeletions = 1000, int parallelism = 4) =>
        new(_store, _storage, new IngestMetrics(_services.GetRequiredService<IMeterFactory>()),
            Options.Create(new IngestOptions { SweepPageSize = pageSize, SweepMaxDeletionsPerRun = maxDeletions, SweepParallelism = parallelism }),
            NullLogger<SweepReconciliation>.Instance);

    /// <summary>A stored record of <paramref name="name"/> at <paramref name="version"/>.</summary>
    private static ImageNameRow Row(string name, string version = "v1", string? failureClass = null) =>
        new(ImageId.For(Container, name, version), name, version, failureClass);

    /// <summary>Walks a listing of <paramref name="listed"/> in pages of <paramref name="pageSize"/> as the sweep does; <paramref name="pages"/> stops early, as a failed listing does.</summary>
    private static async Task<ReconciliationRun> WalkAsync(SweepReconciliation reconciliation, IReadOnlyList<string> listed, int pageSize, int? pages = null)
    {
        var run = reconciliation.Begin();
        string? through = null;
        var chunks = listed.Chunk(pageSize).ToList();
        if (chunks.Count == 0)
        {
            chunks.Add([]);
        }

        for (var i = 0; i < Math.Min(chunks.Count, pages ?? int.MaxValue); i++)
        {
            var page = new BlobListPage([.. chunks[i].Select(n => new BlobReference(Container, n))], i + 1 < chunks.Count ? $"page-{i + 1}" : null);
            through = await reconciliation.ReconcilePageAsync(run, Container, page, through, default);
        }

        return run;
    }

    [Fact]
    public async Task Only_records_whose_blob_is_gone_are_deleted_and_a_listed_name_is_kept_whatever_its_version()
    {
        // In the listing: a.jpg as recorded, b.jpg overwritten since (its record's version is older), d.jpg, f.jpg.
        string[] listed = ["a.jpg", "b.jpg", "d.jpg", "f.jpg"];
        _store.Add(Row("a.jpg"), Row("b.jpg", "old"), Row("c.jpg"), Row("d.jpg"), Row("e.jpg"), Row("e2.jpg"), Row("e3.jpg"), Row("e4.jpg", failureClass: FailureClass.InvalidName), Row("g.jpg"));
        // Not listed: c.jpg and g.jpg are gone; e.jpg was written after its page was listed; e2.jpg holds another version now;
        // e3.jpg cannot be read; e4.jpg is a safe rendering of a name that breaks the rule.
        _storage.Present["e.jpg"] = "v1";
        _storage.Present["e2.jpg"] = "v2";
        _storage.Unreadable.Add("e3.jpg");

        var run = await WalkAsync(Reconciliation(), listed, pageSize: 2);

        Assert.Equal(["c.jpg", "g.jpg"], _storage.Deleted.Select(r => r.BlobName).Order(StringComparer.Ordinal));
        Assert.Equal((9, 2, 1, 1, 1, 1, 0), (run.Checked, run.Deleted, run.Present, run.Replaced, run.Unreadable, run.NotChecked, run.Deferred));
        // Listed names are never asked about: the listing already said they are there.
        Assert.DoesNotContain(_storage.Checked, n => listed.Contains(n));
    }

    [Fact]
    public async Task Each_listing_page_reads_only_its_own_name_range_and_the_last_page_reads_to_the_end()
    {
        string[] listed = ["b.jpg", "d.jpg", "f.jpg", "h.jpg", "j.jpg"];
        _store.Add(Row("a.jpg"), Row("z.jpg"));

        await WalkAsync(Reconciliation(pageSize: 10), listed, pageSize: 2);

        Assert.Equal([(null, "d.jpg"), ("d.jpg", "h.jpg"), ("h.jpg", null)], _store.Requests.Select(r => (r.After, r.Through)));
        Assert.Equal(["a.jpg", "z.jpg"], _storage.Deleted.Select(r => r.BlobName));
    }

    [Fact]
    public async Task A_listing_that_stops_early_deletes_nothing_past_its_last_complete_page()
    {
        // The second listing page failed: only the first page's range was reconciled.
        string[] listed = ["b.jpg", "d.jpg", "f.jpg", "h.jpg"];
        _store.Add(Row("a.jpg"), Row("c.jpg"), Row("e.jpg"), Row("x.jpg"));

        var run = await WalkAsync(Reconciliation(), listed, pageSize: 2, pages: 1);

        Assert.Equal(["a.jpg", "c.jpg"], _storage.Deleted.Select(r => r.BlobName).Order(StringComparer.Ordinal));
        Assert.Equal(2, run.Checked);
        Assert.All(_store.Requests, r => Assert.Equal("d.jpg", r.Through));
    }

    [Fact]
    public async Task An_empty_page_within_the_listing_moves_nothing_and_an_empty_container_reconciles_everything()
    {
        var reconciliation = Reconciliation();
        var run = reconciliation.Begin();
        _store.Add(Row("a.jpg"), Row("m.jpg"));

        // Azure may answer an empty page with a marker: the range stays where it was.
        Assert.Equal("k.jpg", await reconciliation.ReconcilePageAsync(run, Container, new BlobListPage([], "next"), "k.jpg", default));
        Assert.Empty(_store.Requests);

        // An empty last page: nothing is listed, so every record's blob is asked about, and the gone ones go.
        _storage.Present["m.jpg"] = "v1";
        Assert.Null(await reconciliation.ReconcilePageAsync(run, Container, new BlobListPage([], null), null, default));
        Assert.Equal(["a.jpg"], _storage.Deleted.Select(r => r.BlobName));
    }

    [Fact]
    public async Task Ten_thousand_gone_records_are_read_in_keyset_pages_one_page_in_memory_at_a_time()
    {
        const int Records = 10_000;
        const int PageSize = 50;
        _store.Add([.. Enumerable.Range(0, Records).Select(i => Row($"gone/{i:D5}.jpg"))]);
        // Each page is asked for only once every candidate of the page before has been decided: the walk holds one page.
        _store.BeforeEachRead = () => Assert.Equal(_store.RowsServed, _storage.Checked.Count);

        var run = await WalkAsync(Reconciliation(pageSize: PageSize, maxDeletions: Records), ["keep.jpg"], pageSize: 1);

        Assert.Equal(Records, _storage.Deleted.Count);
        Assert.Equal(Records, _storage.Deleted.Select(r => r.Id).Distinct().Count());
        Assert.Equal(Records / PageSize, _store.Requests.Count(r => r.After is not null) + 1);
        Assert.All(_store.Requests, r => Assert.Equal(PageSize, r.Limit));
        Assert.InRange(_storage.MostAtOnce, 1, 4);
        Assert.Equal(Records, run.Deleted);
    }

    [Fact]
    public async Task The_deletion_bound_stops_the_run_and_counts_the_rest_as_deferred()
    {
        _store.Add([.. Enumerable.Range(0, 10).Select(i => Row($"bound/{i}.jpg"))]);

        var run = await WalkAsync(Reconciliation(pageSize: 4, maxDeletions: 3, parallelism: 1), [], pageSize: 1);

        Assert.Equal(3, _storage.Deleted.Count);
        Assert.Equal(3, run.Deleted);
        Assert.Equal(1, run.Deferred);
        Assert.True(run.Stopped);
        Assert.Single(_store.Requests);
    }

    [Fact]
    public async Task A_bound_of_zero_turns_the_reconciliation_off_and_a_store_without_the_listing_skips_it()
    {
        _store.Add(Row("a.jpg"));
        await WalkAsync(Reconciliation(maxDeletions: 0), [], pageSize: 1);
        Assert.Empty(_store.Requests);

        _store.Served = false;
        var run = await WalkAsync(Reconciliation(), [], pageSize: 1);
        Assert.True(run.NotServed);
        Assert.Empty(_storage.Deleted);
    }

    [Fact]
    public async Task Each_deletion_is_counted_on_the_sweep_deletions_instrument()
    {
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && instrument.Name == "imagemeta.ingest.sweep.deletions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counted, value));
        listener.Start();
        _store.Add(Row("a.jpg"), Row("b.jpg"));

        await WalkAsync(Reconciliation(), [], pageSize: 1);

        Assert.Equal(2, Interlocked.Read(ref counted));
    }

    /// <summary>The store's name listing over rows kept in code point order (ASCII names here), with what each read asked.</summary>
    private sealed class StoredNamesStandIn : IStoredNames
    {
        private readonly SortedDictionary<string, ImageNameRow> _rows = new(StringComparer.Ordinal);

        public List<ImageNamesRequest> Requests { get; } = [];

        public int RowsServed { get; private set; }

        public bool Served { get; set; } = true;

        public Action? BeforeEachRead { get; set; }

        public void Add(params ImageNameRow[] rows)
        {
            foreach (var row in rows)
            {
                _rows[row.BlobName] = row;
            }
        }

        public Task<ImageNamePage?> ReadAsync(ImageNamesRequest request, CancellationToken cancellationToken)
        {
            BeforeEachRead?.Invoke();
            Requests.Add(request);
            if (!Served)
            {
                return Task.FromResult<ImageNamePage?>(null);
            }

            var inRange = _rows.Values.Where(r => (request.After is null || string.CompareOrdinal(r.BlobName, request.After) > 0)
                && (request.Through is null || string.CompareOrdinal(r.BlobName, request.Through) <= 0)).Take(request.Limit + 1).ToList();
            var page = inRange.Take(request.Limit).ToList();
            RowsServed += page.Count;
            return Task.FromResult<ImageNamePage?>(new ImageNamePage(page, inRange.Count > request.Limit ? page[^1].BlobName : null));
        }
    }

    /// <summary>The storage's answer about candidates (gone unless said otherwise), and the deletions started.</summary>
    private sealed class GoneRecordsStandIn : IGoneRecords
    {
        private int _inFlight;
        private int _mostAtOnce;

        public Dictionary<string, string> Present { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Unreadable { get; } = new(StringComparer.Ordinal);

        public System.Collections.Concurrent.ConcurrentQueue<string> Checked { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<ImageNameRow> Deleted { get; } = new();

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public async Task<GoneCheck> CheckAsync(string container, ImageNameRow row, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int most;
            while (now > (most = Volatile.Read(ref _mostAtOnce)) && Interlocked.CompareExchange(ref _mostAtOnce, now, most) != most)
            {
            }

            await Task.Yield();
            Interlocked.Decrement(ref _inFlight);
            Checked.Enqueue(row.BlobName);
            if (row.FailureClass == FailureClass.InvalidName)
            {
                return GoneCheck.NotChecked;
            }

            if (Unreadable.Contains(row.BlobName))
            {
                return GoneCheck.Unreadable;
            }

            return Present.TryGetValue(row.BlobName, out var version) ? version == row.BlobVersion ? GoneCheck.Present : GoneCheck.Replaced : GoneCheck.Gone;
        }

        public Task DeleteAsync(string container, ImageNameRow row, CancellationToken cancellationToken)
        {
            Deleted.Enqueue(row);
            return Task.CompletedTask;
        }
    }
}
