using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.Bench.Pipeline;

/// <summary>What one run measured on one database.</summary>
public sealed record PipelineMeasurement(
    string Database,
    int BurstImages,
    double BurstSeconds,
    double ImagesPerSecond,
    double BlobReadsPerImage,
    int SteadyImages,
    double SteadyRate,
    double P50Milliseconds,
    double P95Milliseconds,
    double MaxMilliseconds,
    IReadOnlyList<(string Stage, int Count, double MedianMs, double P95Ms)> Stages,
    IReadOnlyList<(string Process, double CpuSeconds)> Cpu,
    ReprocessingMeasurement? Reprocessing = null);

/// <summary>
/// A reprocessing job over the records the warm-up and the burst stored, in the same run: how many it ran, at most how
/// many at once, and images/s = images ÷ (the job's start → the last of its records stored).
/// </summary>
public sealed record ReprocessingMeasurement(long Images, int Concurrency, double Seconds, double ImagesPerSecond, long Failed);

/// <summary>
/// Upload-to-stored-row throughput and latency of the real services against the sidecar doubles.
/// "Stored" is when the store's <c>PUT /images/{id}</c> returned 2xx through its sidecar: the double's
/// invocation log records that instant, so no polling skews the numbers.
/// </summary>
public sealed class PipelineBenchmark(SidecarDoublePipeline pipeline, PipelineClient client, TextWriter log)
{
    public async Task<PipelineMeasurement> RunAsync(string database, int burstImages, int burstConcurrency, double steadyRate, TimeSpan steadyDuration)
    {
        // Warm-up: JIT, connection pools, SQL plans. Not measured.
        await UploadAndWaitAsync(TestImages.Mixed(40, seed: 7, prefix: $"warmup-{database}"), concurrency: 8, TimeSpan.FromMinutes(2));

        log.WriteLine($"[{database}] burst: {burstImages} images, {burstConcurrency} concurrent uploads");
        var burst = TestImages.Mixed(burstImages, seed: 11, prefix: $"burst-{database}");
        var cpuBefore = CpuSeconds();
        // Blob reads are counted where they happen, at the images binding double (every sidecar's `get`).
        var readsBefore = pipeline.Network.Images.GetCount;
        var clock = Stopwatch.StartNew();
        var burstIds = await UploadAndWaitAsync(burst, burstConcurrency, TimeSpan.FromMinutes(5));
        var burstSeconds = clock.Elapsed.TotalSeconds;
        var cpuAfter = CpuSeconds();
        var readsPerImage = (double)(pipeline.Network.Images.GetCount - readsBefore) / burstIds.Count;

        log.WriteLine($"[{database}] reprocessing: every stored record again, {burstConcurrency} at once");
        var reprocessing = await new ReprocessingBenchmark(pipeline, log).RunAsync(burstConcurrency, TimeSpan.FromMinutes(10));

        log.WriteLine($"[{database}] steady: {steadyRate} images/s for {steadyDuration.TotalSeconds} s");
        var steadyCount = (int)(steadyRate * steadyDuration.TotalSeconds);
        var steady = TestImages.Mixed(steadyCount, seed: 13, prefix: $"steady-{database}");
        var spansBefore = pipeline.Zipkin?.Spans.Count ?? 0;
        var latencies = await SteadyAsync(steady, steadyRate);
        await Task.Delay(TimeSpan.FromSeconds(3)); // let the exporters flush the last spans
        var stages = Stages(pipeline.Zipkin?.Spans.Skip(spansBefore).ToList() ?? []);

        latencies.Sort();
        return new PipelineMeasurement(
            database,
            burstIds.Count,
            burstSeconds,
            burstIds.Count / burstSeconds,
            readsPerImage,
            latencies.Count,
            steadyRate,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            latencies.Count > 0 ? latencies[^1] : double.NaN,
            stages,
            [.. cpuAfter.Select(c => (c.Key, c.Value - cpuBefore.GetValueOrDefault(c.Key)))],
            reprocessing);
    }

    private async Task<IReadOnlyCollection<ImageId>> UploadAndWaitAsync(IReadOnlyList<TestImage> images, int concurrency, TimeSpan timeout)
    {
        var ids = new List<ImageId>();
        await Parallel.ForEachAsync(images, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (image, ct) =>
        {
            var result = await client.UploadAsync(image.Name, image.Content, ct);
            lock (ids)
            {
                ids.Add(result.Id);
            }
        });

        var stored = await WaitForStoredAsync(ids, timeout);
        if (stored.Count < ids.Count)
        {
            throw new TimeoutException($"{ids.Count - stored.Count} of {ids.Count} images not stored within {timeout}.\n{pipeline.RecentOutput}");
        }

        return ids;
    }

    /// <summary>Uploads on a fixed schedule (open loop: a slow answer does not delay the next upload).</summary>
    private async Task<List<double>> SteadyAsync(IReadOnlyList<TestImage> images, double rate)
    {
        var started = new Dictionary<ImageId, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        var uploads = new List<Task>();
        for (var i = 0; i < images.Count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var image = images[i];
            uploads.Add(Task.Run(async () =>
            {
                var at = DateTimeOffset.UtcNow;
                var result = await client.UploadAsync(image.Name, image.Content);
                lock (started)
                {
                    started[result.Id] = at;
                }
            }));
        }

        await Task.WhenAll(uploads);
        var stored = await WaitForStoredAsync(started.Keys, TimeSpan.FromMinutes(2));
        return [.. started.Where(s => stored.ContainsKey(s.Key)).Select(s => (stored[s.Key] - s.Value).TotalMilliseconds)];
    }

    /// <summary>When each id's store write succeeded, from the store double's invocation log.</summary>
    private async Task<Dictionary<ImageId, DateTimeOffset>> WaitForStoredAsync(IEnumerable<ImageId> ids, TimeSpan timeout)
    {
        var wanted = ids.ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var stored = new Dictionary<ImageId, DateTimeOffset>();
            foreach (var call in pipeline.Network.Invocations.To(DaprTopology.AppIds.Store, DaprTopology.Methods.Images + "/"))
            {
                if (call.Verb == "PUT" && call.StatusCode is >= 200 and < 300 &&
                    ImageId.TryParse(call.Method[(DaprTopology.Methods.Images.Length + 1)..], out var id) && wanted.Contains(id) && !stored.ContainsKey(id))
                {
                    stored[id] = call.At;
                }
            }

            if (stored.Count == wanted.Count || deadline.Elapsed > timeout)
            {
                return stored;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Span durations by (service, span name): where an image's time goes.</summary>
    private static List<(string Stage, int Count, double MedianMs, double P95Ms)> Stages(List<ZipkinSpan> spans) =>
        [.. spans
            .GroupBy(s => $"{s.ServiceName}: {Normalize(s.Name ?? "?")}")
            .Select(g =>
            {
                var durations = g.Select(s => s.Duration / 1000.0).Order().ToList();
                return (g.Key, durations.Count, Percentile(durations, 0.5), Percentile(durations, 0.95));
            })
            .Where(s => s.Item2 >= 5)
            .OrderByDescending(s => s.Item3 * s.Item2)
            .Take(20)];

    /// <summary>Folds ids out of span names so one stage is one row.</summary>
    private static string Normalize(string name) =>
        System.Text.RegularExpressions.Regex.Replace(name, "[0-9a-f]{32}", "{id}");

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>User+system CPU seconds of each service process and of this process (which hosts the doubles).</summary>
    private Dictionary<string, double> CpuSeconds()
    {
        var result = new Dictionary<string, double>();
        foreach (var service in pipeline.Services)
        {
            if (service.ProcessId is { } pid)
            {
                result[service.Name] = ProcCpu(pid);
            }
        }

        result["test host (doubles, client)"] = ProcCpu(Environment.ProcessId);
        return result;
    }

    private static double ProcCpu(int pid)
    {
        try
        {
            // /proc/{pid}/stat fields 14 and 15: utime and stime in clock ticks (100 Hz on Linux).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static string Markdown(DoubleOverhead overhead) =>
        string.Create(CultureInfo.InvariantCulture, $"""
            Sidecar doubles alone (the floor under the pipeline numbers):

            | path | calls/s | p50 (ms) |
            | --- | --- | --- |
            | HTTP service invocation through two doubles to an empty handler | {overhead.InvocationsPerSecond:F0} | {overhead.InvocationP50Ms:F2} |
            | gRPC `images` create of {overhead.PayloadBytes / 1024} KiB (localstorage double, file write) | {overhead.BindingCreatesPerSecond:F0} | {overhead.BindingCreateP50Ms:F2} |

            """);

    public static string Markdown(IReadOnlyList<PipelineMeasurement> results)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"| database | burst images | burst time (s) | images/s | blob reads per image | steady rate (/s) | steady images | p50 (ms) | p95 (ms) | max (ms) |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Database} | {r.BurstImages} | {r.BurstSeconds:F1} | **{r.ImagesPerSecond:F0}** | {r.BlobReadsPerImage:F2} | {r.SteadyRate:F0} | {r.SteadyImages} | {r.P50Milliseconds:F0} | **{r.P95Milliseconds:F0}** | {r.MaxMilliseconds:F0} |");
        }

        if (results.Any(r => r.Reprocessing is not null))
        {
            md.AppendLine();
            md.AppendLine("Reprocessing job over the stored records, in the same run (target: at least 80 % of the upload burst's images/s):");
            md.AppendLine();
            md.AppendLine("| database | images | at once | time (s) | images/s | of the burst's | failed |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var r in results.Where(r => r.Reprocessing is not null))
            {
                var j = r.Reprocessing!;
                md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Database} | {j.Images} | {j.Concurrency} | {j.Seconds:F1} | **{j.ImagesPerSecond:F0}** | **{j.ImagesPerSecond / r.ImagesPerSecond:P0}** | {j.Failed} |");
            }
        }

        foreach (var r in results)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"CPU seconds during the {r.Database} burst ({r.BurstSeconds:F1} s wall, 2 cores = {2 * r.BurstSeconds:F0} core-seconds available):");
            md.AppendLine();
            md.AppendLine("| process | CPU s | share |");
            md.AppendLine("| --- | --- | --- |");
            var total = r.Cpu.Sum(c => c.CpuSeconds);
            foreach (var (process, cpu) in r.Cpu.OrderByDescending(c => c.CpuSeconds))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {process} | {cpu:F1} | {(total > 0 ? cpu / total : 0):P0} |");
            }

            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Span durations at the steady rate ({r.Database}), largest total first:");
            md.AppendLine();
            md.AppendLine("| service: span | count | median (ms) | p95 (ms) |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (var (stage, count, median, p95) in r.Stages)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {stage} | {count} | {median:F1} | {p95:F1} |");
            }
        }

        return md.ToString();
    }
}
