using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Metrics;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Issue 18: a real Prometheus scrapes the three services' <c>/metrics</c> while the pipeline works, and its HTTP API
/// then tells what happened: as many records stored as uploads, failures by class equal to the bad files sent, a
/// non-empty latency histogram. The apps run with an app API token, which the scrape does not carry.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PrometheusScrapeTests
{
    private static readonly TimeSpan ScrapeBound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task A_real_Prometheus_scraping_the_three_services_counts_stored_images_failures_by_class_and_latency()
    {
        Skip.If(PipelineFixture.MissingServices() is not null, PipelineFixture.MissingServices());
        Skip.If(PrometheusServer.UnavailableReason is not null, PrometheusServer.UnavailableReason);
        const string token = "metrics-test-app-token";
        await using var pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = PipelineFixture.Configuration,
            WorkflowEngine = TestEnvironment.CreateWorkflowEngine,
            Database = MetadataDatabase.Sqlite,
            Environment = TestEnvironment.Services,
            Tracing = false,
            AppApiToken = token,
        });
        await using var prometheus = await PrometheusServer.StartAsync(pipeline.Services.Select(s => (s.Name, s.BaseAddress)), TimeSpan.FromSeconds(60));
        using var client = new PipelineClient(pipeline.Ingest.BaseAddress, pipeline.Store.BaseAddress, token);
        var prefix = $"metrics-{Guid.NewGuid():N}"[..20];
        var good = TestImages.Mixed(10, seed: 18, prefix: prefix);
        var bad = TestImages.Bad(prefix);
        var images = good.Concat(bad).ToList();

        var uploads = await Task.WhenAll(images.Select(i => client.UploadAsync(i.Name, i.Content)));
        var records = await client.WaitForRecordsAsync([.. uploads.Select(u => u.Id)], TimeSpan.FromMinutes(3));
        Assert.Equal(images.Count, records.Count);
        // A sweep finds every blob known, and a message that is no event is dropped as poison.
        Assert.True((await pipeline.IngestSidecar.FireCronAsync(DaprTopology.Components.Sweep)).Acknowledged);
        Assert.True((await pipeline.IngestSidecar.DeliverQueueMessageAsync(DaprTopology.Components.ImageEvents, "not an event", TimeSpan.FromMilliseconds(500))).Acknowledged);

        // All three targets are scraped, although the apps demand a token on every other path.
        var up = await prometheus.WaitForAsync("up", s => s.Count == 3 && s.All(x => x.Value == 1), ScrapeBound);
        Assert.True(up.Count == 3 && up.All(x => x.Value == 1), $"targets not all up: {Describe(up)}\n{prometheus.RecentOutput}");

        // Images stored == uploads: the store's inserts and ingest's outcomes both count each image once.
        var inserted = await WaitForSumAsync(prometheus, $"{PipelineMetricNames.Upserts}{{imagemeta_upsert_outcome=\"inserted\"}}", images.Count);
        Assert.Equal(images.Count, inserted);
        var finished = await WaitForSumAsync(prometheus, PipelineMetricNames.WorkflowOutcomes, images.Count);
        Assert.Equal(images.Count, finished);
        Assert.Equal(good.Count, await WaitForSumAsync(prometheus, $"{PipelineMetricNames.WorkflowOutcomes}{{imagemeta_image_status=\"succeeded\"}}", good.Count));
        Assert.Equal(images.Count, await WaitForSumAsync(prometheus, $"{PipelineMetricNames.WorkflowsStarted}{{imagemeta_trigger=\"upload\"}}", images.Count));

        // Failures by class == the bad files sent, in the extractor and in the outcomes (a busy refusal, class
        // "unavailable", is retried and is not a bad file, so only the content classes are compared).
        var expected = bad.GroupBy(b => b.ExpectedFailureClass!).ToDictionary(g => g.Key, g => (double)g.Count(), StringComparer.Ordinal);
        foreach (var metric in new[] { PipelineMetricNames.ExtractorFailures, $"{PipelineMetricNames.WorkflowOutcomes}{{imagemeta_image_status=\"failed\"}}" })
        {
            var query = $"sum by (error_type) ({metric})";
            var byClass = await prometheus.WaitForAsync(query, s => Matches(ContentClasses(s), expected), ScrapeBound);
            Assert.True(Matches(ContentClasses(byClass), expected), $"{query}: {Describe(byClass)}; expected {string.Join(", ", expected.Select(e => $"{e.Key}={e.Value}"))}");
        }

        // The latency histograms hold every image, and their quantiles are numbers.
        Assert.Equal(images.Count, await WaitForSumAsync(prometheus, PipelineMetricNames.BlobToRecord + "_count", images.Count));
        Assert.True(await WaitForSumAsync(prometheus, PipelineMetricNames.ExtractionDuration + "_count", images.Count) >= images.Count);
        foreach (var histogram in new[] { PipelineMetricNames.BlobToRecord, PipelineMetricNames.ExtractionDuration, PipelineMetricNames.StoreOperationDuration })
        {
            var p95 = Assert.Single(await prometheus.QueryAsync($"histogram_quantile(0.95, sum by (le) ({histogram}_bucket))")).Value;
            Assert.True(double.IsFinite(p95) && p95 > 0, $"p95 of {histogram} is {p95}");
        }

        // The rest of what this run did, under the names the alerts and the dashboard use.
        Assert.Equal(1, await WaitForSumAsync(prometheus, PipelineMetricNames.PoisonMessages, 1));
        Assert.Equal(1, await WaitForSumAsync(prometheus, PipelineMetricNames.SweepDuration + "_count", 1));
        Assert.Equal(images.Count, await WaitForSumAsync(prometheus, PipelineMetricNames.SweepListed + "_sum", images.Count));
        Assert.Equal(images.Count, await WaitForSumAsync(prometheus, $"{PipelineMetricNames.DuplicatesSkipped}{{imagemeta_trigger=\"sweep\"}}", images.Count));
        Assert.Equal(images.Sum(i => (double)i.Content.Length), await WaitForSumAsync(prometheus, PipelineMetricNames.UploadSize + "_sum", images.Sum(i => (double)i.Content.Length)));
        Assert.Equal(good.Count, await WaitForSumAsync(prometheus, PipelineMetricNames.Extracted, good.Count));
        Assert.Equal(good.Sum(i => (double)i.Content.Length), await WaitForSumAsync(prometheus, PipelineMetricNames.BytesRead, good.Sum(i => (double)i.Content.Length)));

        // Every imagemeta_ series Prometheus holds is one the catalogue (and so the alerts and dashboard) knows, and
        // the platform's own instruments are there too: ASP.NET Core, HttpClient (the sidecar calls) and the runtime.
        // (Scraped as OpenMetrics, each counter and histogram also has a _created series: its start time, not a metric.)
        var names = (await prometheus.QueryAsync("count by (__name__) ({__name__=~\"imagemeta_.*\"})")).Select(s => s.Labels["__name__"])
            .Where(n => !n.EndsWith("_created", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(PipelineMetricNames.All.Contains(n), $"{n} is exported but not in PipelineMetricNames"));
        // The store calls nobody, so only ingest and the extractor have client requests.
        string[] PipelineApps = [DaprTopology.AppIds.Ingest, DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store];
        (string Metric, IReadOnlyList<string> Apps)[] platform =
        [
            ("http_server_request_duration_seconds_count", PipelineApps),
            ("dotnet_gc_collections_total", PipelineApps),
            ("http_client_request_duration_seconds_count", [DaprTopology.AppIds.Ingest, DaprTopology.AppIds.Extractor]),
        ];
        foreach (var (metric, apps) in platform)
        {
            var jobs = (await prometheus.QueryAsync($"count by (job) ({metric})")).Select(s => s.Labels["job"]).Order(StringComparer.Ordinal).ToList();
            Assert.True(jobs.SequenceEqual(apps.Order(StringComparer.Ordinal)), $"{metric} comes from [{string.Join(", ", jobs)}]");
        }
    }

    private static async Task<double> WaitForSumAsync(PrometheusServer prometheus, string selector, double expected)
    {
        var answer = await prometheus.WaitForAsync($"sum({selector})", s => s.Count == 1 && s[0].Value >= expected, ScrapeBound);
        return answer.Count == 1 ? answer[0].Value : 0;
    }

    private static Dictionary<string, double> ContentClasses(IReadOnlyList<PrometheusSample> samples) =>
        samples.Where(s => s.Labels.TryGetValue("error_type", out var c) && FailureClass.Permanent.Contains(c))
            .ToDictionary(s => s.Labels["error_type"], s => s.Value, StringComparer.Ordinal);

    private static bool Matches(Dictionary<string, double> actual, Dictionary<string, double> expected) =>
        actual.Count == expected.Count && expected.All(e => actual.TryGetValue(e.Key, out var v) && v == e.Value);

    private static string Describe(IReadOnlyList<PrometheusSample> samples) =>
        samples.Count == 0 ? "(no series)" : string.Join("; ", samples.Select(s =>
            "{" + string.Join(",", s.Labels.Select(l => $"{l.Key}={l.Value}")) + "} " + s.Value.ToString(CultureInfo.InvariantCulture)));
}
