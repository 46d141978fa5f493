using System.Globalization;
using System.Net;
using ImageMeta.Ingest;
using ImageMeta.Testing.Dapr.Pipeline;
using Xunit.Abstractions;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Ingest as the end-to-end suite runs it (its own process, its sidecar double, the extractor and store behind
/// theirs) with the default upload limit and budget, its collector sized as in a pod whose memory limit is exactly
/// the documented bound (<see cref="IngestMemoryBound"/>). Its peak resident memory (VmHWM in
/// <c>/proc/&lt;pid&gt;/status</c>) is what the container's limit would see.
/// </summary>
public sealed class IngestMemoryTests(ITestOutputHelper output)
{
    /// <summary>How many clients upload a maximum-size body at the same moment.</summary>
    private const int Uploads = 8;

    [SkippableFact]
    public async Task Eight_concurrent_maximum_size_uploads_are_all_stored_and_ingest_stays_under_the_documented_bound()
    {
        Skip.If(PipelineFixture.MissingServices() is not null, PipelineFixture.MissingServices());
        var result = await UploadConcurrentlyAsync(IngestOptions.DefaultMaxUploadBytes, IngestOptions.DefaultUploadMemoryBudgetBytes, Uploads, output);

        var bound = IngestMemoryBound.Ingest(IngestOptions.DefaultUploadMemoryBudgetBytes);
        Assert.Equal(Uploads, result.Stored);
        Assert.True(result.PeakBytes <= bound, $"Peak resident memory {result.PeakBytes / 1024 / 1024} MiB is over the documented bound of {bound / 1024 / 1024} MiB.");
    }

    /// <summary>What one run saw: ingest's resident memory before and at its peak, uploads stored, and refusals on the way.</summary>
    internal sealed record Measurement(long BaselineBytes, long PeakBytes, int Stored, int Refusals);

    /// <summary>
    /// Starts the pipeline with this limit and budget, sends <paramref name="uploads"/> bodies of the maximum size at
    /// once, and resends each one refused for the budget after its Retry-After until it is stored.
    /// </summary>
    internal static async Task<Measurement> UploadConcurrentlyAsync(long maxUpload, long budget, int uploads, ITestOutputHelper output)
    {
        var podLimit = IngestMemoryBound.Ingest(budget);
        await using var pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = PipelineFixture.Configuration,
            WorkflowEngine = TestEnvironment.CreateWorkflowEngine,
            Tracing = false,
            // Room for a maximum-size create (base64) through each sidecar double, as the manifests give daprd.
            SidecarMaxBodyBytes = (maxUpload * 4 / 3) + (4 * 1024 * 1024),
            Environment = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["ingest"] = new Dictionary<string, string>
                {
                    ["Ingest__MaxUploadBytes"] = maxUpload.ToString(CultureInfo.InvariantCulture),
                    ["Ingest__UploadMemoryBudgetBytes"] = budget.ToString(CultureInfo.InvariantCulture),
                    ["Ingest__UploadRetryAfterSeconds"] = "1",
                    ["Blobs__CallTimeout"] = "00:02:00",
                    // The collector sizes itself as in a pod with this memory limit (hexadecimal), so its heap limit
                    // (90 % of it, the service's runtimeconfig) is what the pod would have.
                    ["DOTNET_GCTotalPhysicalMemory"] = podLimit.ToString("X", CultureInfo.InvariantCulture),
                },
            },
        });
        var pid = pipeline.Ingest.ProcessId ?? throw new InvalidOperationException("ingest is not running.");
        var baseline = ResidentBytes(pid, "VmRSS");

        // One array for every body (each upload has its own name, so its own blob): the test's memory is not the point.
        var body = new byte[maxUpload];
        new Random(17).NextBytes(body);
        // Expect: 100-continue with a patient wait for the answer (the default sends the body after 1 s anyway), so a
        // refused upload costs its headers only; README: what a client should do.
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) };
        using var client = new HttpClient(handler) { BaseAddress = pipeline.Ingest.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        var refusals = 0;
        var answers = await Task.WhenAll(Enumerable.Range(0, uploads).Select(async i =>
        {
            // Bounded: every refusal waits its Retry-After; a budget that never frees up ends the loop.
            for (var attempt = 0; attempt < 200; attempt++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/images?name=memory/upload-{i}.bin") { Content = new ByteArrayContent(body) };
                request.Headers.ExpectContinue = true;
                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Headers.RetryAfter?.Delta is not { } wait)
                {
                    return (StatusCode: response.StatusCode, Body: await response.Content.ReadAsStringAsync());
                }

                Interlocked.Increment(ref refusals);
                await Task.Delay(wait);
            }

            return (StatusCode: HttpStatusCode.ServiceUnavailable, Body: "still refused for the budget");
        }));

        var peak = ResidentBytes(pid, "VmHWM");
        output.WriteLine(FormattableString.Invariant(
            $"max {maxUpload / 1024 / 1024} MiB, budget {budget / 1024 / 1024} MiB, {uploads} uploads: RSS before {baseline / 1024 / 1024} MiB, peak {peak / 1024 / 1024} MiB; {refusals} refusals; answers {string.Join(",", answers.Select(a => (int)a.StatusCode))}; load {File.ReadAllText("/proc/loadavg").Trim()}"));
        Assert.True(pipeline.Ingest.IsRunning, $"ingest died.\n{pipeline.RecentOutput}");
        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.Accepted, $"Upload answered {(int)a.StatusCode} {a.Body}\n{pipeline.RecentOutput}"));
        return new Measurement(baseline, peak, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted), refusals);
    }

    internal static long ResidentBytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
