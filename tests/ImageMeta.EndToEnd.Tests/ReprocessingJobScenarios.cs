using System.Net;
using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Workflow;
using ImageMeta.Testing.Workflow.Protocol;
using Xunit.Abstractions;
using static ImageMeta.Testing.Polling;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Reprocessing jobs through the real services, once per database. Each test seeds its own records through the
/// store's API as <c>failed/unsupported</c> by an old extractor (version 1) for blobs the extractor reads, put in the
/// blob folder first (so no trigger starts them), and runs its jobs to the end, so the next test's filter matches only
/// its own records. Every wait is bounded; a bound that passes fails with the services' output.
/// </summary>
public abstract class ReprocessingJobScenarios<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : PipelineFixture
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    /// <summary>What every test's job runs again: the old extractor's unsupported failures.</summary>
    private static readonly ReprocessingFilter OldFailures = new(ImageStatus.Failed, FailureClass.Unsupported, ExtractorVersionBelow: ExtractorVersions.Current);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private SidecarDoublePipeline Pipeline => fixture.Pipeline;

    private WorkflowEngineDouble Engine => (WorkflowEngineDouble)Pipeline.Workflows;

    [SkippableFact]
    public async Task Three_hundred_old_failures_all_become_succeeded_with_thumbnails_and_at_most_N_run_at_once()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        const int Concurrency = 8;
        var seeded = await SeedAsync(300, seed: 71, "library");

        var job = await StartAsync(new ReprocessingRequest(OldFailures, Concurrency));
        var done = await WaitForEndAsync(job.Id);

        Assert.Equal((ReprocessingState.Completed, 300L, 300L, 300L, 0L), (done.State, done.Matched, done.Started, done.Done, done.Failed));
        var records = await Client.WaitForRecordsAsync(seeded, Bound);
        Assert.Equal(300, records.Count);
        Assert.All(records.Values, r =>
        {
            Assert.True(r.Status == ImageStatus.Succeeded, $"{r.Blob.Name}: {r.Status} {r.Failure}");
            Assert.NotNull(r.Thumbnail);
            Assert.Equal(ExtractorVersions.Current, r.ExtractorVersion);
        });

        var children = ChildrenOf(job.Id);
        Assert.Equal(300, children.Count);
        var most = MostAtOnce(children);
        output.WriteLine($"most children in flight at once: {most} (bound {Concurrency}); job history now {Engine.HistoryOf(job.Id).Count} events");
        Assert.InRange(most, 1, Concurrency);
        // Continue-as-new per page: the job's history holds the last page (100 records) only, not all three.
        Assert.InRange(Engine.HistoryOf(job.Id).Count, 1, 100 * 8);
    }

    [SkippableFact]
    public async Task Ingest_killed_mid_job_and_started_again_finishes_the_job_with_one_extraction_per_image()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        const int Concurrency = 4;
        var seeded = await SeedAsync(40, seed: 72, "restart");
        var analyzedBefore = AnsweredAnalyzeCalls();

        var job = await StartAsync(new ReprocessingRequest(OldFailures, Concurrency));
        await WaitForAsync(() => Task.FromResult(ChildrenOf(job.Id).Count), started => started >= 12, Bound);

        // Hold the children in SaveMetadata (the store is down, they retry on durable timers) until the job is full:
        // N children, each past its extraction. No child can finish, so the job can start no other; killing ingest
        // now leaves no extraction in flight whose answer could be lost, and every child mid-way through its run.
        await Pipeline.Store.KillAsync();
        try
        {
            await WaitForAsync(
                () => Task.FromResult(RunningChildren(job.Id)),
                running => running.Count == Concurrency && running.All(PastExtraction),
                Bound);
            await Pipeline.Ingest.KillAsync();
        }
        finally
        {
            await Pipeline.Store.StartAsync(TimeSpan.FromSeconds(60));
        }

        await Pipeline.Ingest.StartAsync(TimeSpan.FromSeconds(60));
        var done = await WaitForEndAsync(job.Id);

        Assert.Equal((ReprocessingState.Completed, 40L, 40L, 40L, 0L), (done.State, done.Matched, done.Started, done.Done, done.Failed));
        var records = await Client.WaitForRecordsAsync(seeded, Bound);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
        Assert.Equal(40, records.Count);
        // Each child started once (the restarted worker replayed the job's history), and each image was extracted once.
        var starts = Engine.StartedInstanceIds.Where(i => i.StartsWith(job.Id + "-", StringComparison.Ordinal)).ToList();
        Assert.Equal(40, starts.Distinct().Count());
        Assert.Equal(40, starts.Count);
        Assert.Equal(40, AnsweredAnalyzeCalls() - analyzedBefore);
    }

    [SkippableFact]
    public async Task Pause_holds_the_job_and_resume_completes_it()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var seeded = await SeedAsync(30, seed: 73, "pause");

        var job = await StartAsync(new ReprocessingRequest(OldFailures, 2));
        await WaitForAsync(() => Task.FromResult(ChildrenOf(job.Id).Count), started => started >= 4, Bound);
        using (var paused = await Http.PostAsync(Ingest($"reprocessing/{job.Id}/pause"), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, paused.StatusCode);
        }

        Assert.Equal(ReprocessingState.Paused, (await ReadAsync(job.Id)).State);
        using (var again = await Http.PostAsync(Ingest($"reprocessing/{job.Id}/pause"), null))
        {
            // Pausing a paused job changes nothing and says so by succeeding.
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        using (var resumed = await Http.PostAsync(Ingest($"reprocessing/{job.Id}/resume"), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        }

        var done = await WaitForEndAsync(job.Id);
        Assert.Equal((ReprocessingState.Completed, 30L, 30L), (done.State, done.Matched, done.Done));
        // One page (30 records), so the job's one run holds both: suspended through the engine, then resumed.
        var history = Engine.HistoryOf(job.Id);
        Assert.Contains(history, e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionSuspended);
        Assert.Contains(history, e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionResumed);
        Assert.All((await Client.WaitForRecordsAsync(seeded, Bound)).Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
    }

    [SkippableFact]
    public async Task Cancel_stops_new_starts_and_the_same_job_run_again_finishes_the_rest_harmlessly()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var seeded = await SeedAsync(40, seed: 74, "cancel");

        var job = await StartAsync(new ReprocessingRequest(OldFailures, 2));
        await WaitForAsync(() => Task.FromResult(ChildrenOf(job.Id).Count), started => started >= 4, Bound);
        using (var canceled = await Http.PostAsync(Ingest($"reprocessing/{job.Id}/cancel"), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, canceled.StatusCode);
        }

        var ended = await WaitForEndAsync(job.Id);
        Assert.Equal(ReprocessingState.Canceled, ended.State);
        // The job's workflow is terminated (daprd terminates its running children with it): it takes no further
        // turn, so the children it started are all it ever starts.
        var children = await WaitForAsync(() => Task.FromResult(ChildrenOf(job.Id)), c => c.All(id => IsTerminal(id)), Bound);
        Assert.InRange(children.Count, 4, 39);
        using (var refused = await Http.PostAsync(Ingest($"reprocessing/{job.Id}/pause"), null))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("has finished (canceled)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The same filter again: the images the first job finished match no more, the rest run now; nothing is lost.
        var second = await WaitForEndAsync((await StartAsync(new ReprocessingRequest(OldFailures, 4))).Id);
        Assert.Equal(ReprocessingState.Completed, second.State);
        Assert.InRange(second.Matched, 1, 40);
        var records = await Client.WaitForRecordsAsync(seeded, Bound);
        Assert.Equal(40, records.Count);
        Assert.All(records.Values, r => Assert.Equal(ImageStatus.Succeeded, r.Status));
        var jobs = (await Http.GetFromJsonAsync<ReprocessingJobs>(Ingest("reprocessing"), ContractJson.Options))!;
        Assert.Equal(second.Id, jobs.Items[0].Id);
        Assert.Contains(jobs.Items, j => j.Id == job.Id && j.State == ReprocessingState.Canceled);
    }

    private PipelineClient Client => fixture.Client;

    private Uri Ingest(string path) => new(Pipeline.Ingest.BaseAddress, path);

    /// <summary>
    /// Writes <paramref name="count"/> images into the blob folder and stores a <c>failed/unsupported</c> record of each
    /// through the store's API, as an old extractor (version 1) would have a year ago. Answers their ids.
    /// </summary>
    private async Task<IReadOnlyList<ImageId>> SeedAsync(int count, int seed, string what)
    {
        var images = TestImages.Mixed(count, seed, $"{what}-{Guid.NewGuid():N}"[..20]);
        var ids = new List<ImageId>(count);
        var records = new List<ImageRecord>(count);
        foreach (var image in images)
        {
            await File.WriteAllBytesAsync(Path.Combine(Pipeline.Network.Images.RootPath, image.Name), image.Content);
            var blob = new BlobReference(TestEnvironment.LocalContainer, image.Name, BlobVersions.FromContentHash(TestEnvironment.Sha256(image.Content)), null, image.Content.Length);
            records.Add(new ImageRecord
            {
                Id = blob.ImageId,
                Blob = blob,
                Status = ImageStatus.Failed,
                Failure = new ProcessingFailure(FailureClass.Unsupported, "This format is not supported."),
                ThumbnailFailure = new ProcessingFailure(FailureClass.Unsupported, "This format is not supported."),
                ExtractorVersion = 1,
                ProcessedAt = DateTimeOffset.UtcNow.AddYears(-1),
            });
            ids.Add(blob.ImageId);
        }

        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (record, ct) =>
        {
            using var put = await Http.PutAsJsonAsync(new Uri(Pipeline.Store.BaseAddress, $"images/{record.Id}"), record, ContractJson.Options, ct);
            Assert.True(put.IsSuccessStatusCode, $"seeding {record.Blob.Name}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(ct)}");
        });
        return ids;
    }

    private async Task<ReprocessingJob> StartAsync(ReprocessingRequest request)
    {
        using var response = await Http.PostAsJsonAsync(Ingest("reprocessing"), request, ContractJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ReprocessingJob>(ContractJson.Options))!;
    }

    private async Task<ReprocessingJob> ReadAsync(string id) =>
        (await Http.GetFromJsonAsync<ReprocessingJob>(Ingest($"reprocessing/{id}"), ContractJson.Options))!;

    /// <summary>The job once it has ended (completed, canceled or failed), or a failure naming where it stood.</summary>
    private async Task<ReprocessingJob> WaitForEndAsync(string id)
    {
        var job = await WaitForAsync(
            async () =>
            {
                try
                {
                    return await ReadAsync(id);
                }
                catch (HttpRequestException)
                {
                    return null;
                }
            },
            j => j?.State is ReprocessingState.Completed or ReprocessingState.Canceled or ReprocessingState.Failed,
            Bound);
        if (job?.State is not (ReprocessingState.Completed or ReprocessingState.Canceled or ReprocessingState.Failed))
        {
            Assert.Fail($"job {id} did not end within {Bound}: {job}\n{Engine.Describe(id)}\n--- recent service output ---\n{Pipeline.RecentOutput}");
        }

        output.WriteLine($"{id}: {job}");
        return job!;
    }

    /// <summary>The child instances the job started, as the engine holds them.</summary>
    private List<string> ChildrenOf(string jobId) =>
        [.. Engine.StartedInstanceIds.Where(i => i.StartsWith(jobId + "-", StringComparison.Ordinal)).Distinct()];

    private List<string> RunningChildren(string jobId) => [.. ChildrenOf(jobId).Where(id => !IsTerminal(id))];

    private bool IsTerminal(string instanceId) =>
        Engine.HistoryOf(instanceId).Any(e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionCompleted
            || e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionTerminated);

    /// <summary>Whether the child's extraction (<c>AnalyzeImage</c>) has its answer in history.</summary>
    private bool PastExtraction(string instanceId)
    {
        var history = Engine.HistoryOf(instanceId);
        var analyze = history.Where(e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.TaskScheduled && e.TaskScheduled.Name == DaprTopology.Workflows.AnalyzeImageActivity)
            .Select(e => e.EventId).ToHashSet();
        return analyze.Count > 0 && history.Any(e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.TaskCompleted && analyze.Contains(e.TaskCompleted.TaskScheduledId));
    }

    /// <summary>
    /// The most children running at once, from each one's start and end in the engine's histories (an end at the same
    /// instant as a start counts first: the job starts a child only after it has seen another end).
    /// </summary>
    private int MostAtOnce(IEnumerable<string> children)
    {
        var edges = new List<(DateTime At, int Change)>();
        foreach (var child in children)
        {
            var history = Engine.HistoryOf(child);
            var started = history.First(e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionStarted).Timestamp.ToDateTime();
            var ended = history.Last(e => e.EventTypeCase == HistoryEvent.EventTypeOneofCase.ExecutionCompleted).Timestamp.ToDateTime();
            edges.Add((started, +1));
            edges.Add((ended, -1));
        }

        var (most, now) = (0, 0);
        foreach (var (_, change) in edges.OrderBy(e => e.At).ThenBy(e => e.Change))
        {
            now += change;
            most = Math.Max(most, now);
        }

        return most;
    }

    /// <summary>Extractions the extractor answered (2xx), counted by the sidecar doubles' invocation log.</summary>
    private int AnsweredAnalyzeCalls() =>
        Pipeline.Network.Invocations.To(DaprTopology.AppIds.Extractor, DaprTopology.Methods.Analyze).Count(r => r.StatusCode is >= 200 and < 300);

}

[Collection(EndToEndCollection.Name)]
public sealed class SqliteReprocessingJobTests(SqlitePipelineFixture fixture, ITestOutputHelper output)
    : ReprocessingJobScenarios<SqlitePipelineFixture>(fixture, output), IClassFixture<SqlitePipelineFixture>;

[Collection(EndToEndCollection.Name)]
public sealed class PostgresReprocessingJobTests(PostgresPipelineFixture fixture, ITestOutputHelper output)
    : ReprocessingJobScenarios<PostgresPipelineFixture>(fixture, output), IClassFixture<PostgresPipelineFixture>;
