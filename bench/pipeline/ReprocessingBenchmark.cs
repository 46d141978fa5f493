using System.Diagnostics;
using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.Bench.Pipeline;

/// <summary>
/// Reprocessing throughput: one job (<c>POST /reprocessing</c>) over every record stored before it started, its end
/// taken from the store double's invocation log (the last successful <c>PUT images/{id}</c> since the start), as the
/// upload burst's is, so the two rates compare.
/// </summary>
public sealed class ReprocessingBenchmark(SidecarDoublePipeline pipeline, TextWriter log)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<ReprocessingMeasurement> RunAsync(int concurrency, TimeSpan timeout)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var request = new ReprocessingRequest(new ReprocessingFilter(ProcessedBefore: startedAt), Math.Min(concurrency, ReprocessingRequest.MaxConcurrency));
        using var response = await Http.PostAsJsonAsync(new Uri(pipeline.Ingest.BaseAddress, DaprTopology.Methods.Reprocessing), request, ContractJson.Options);
        response.EnsureSuccessStatusCode();
        var job = (await response.Content.ReadFromJsonAsync<ReprocessingJob>(ContractJson.Options))!;
        while (job.State is ReprocessingState.Running && clock.Elapsed < timeout)
        {
            await Task.Delay(100);
            job = (await Http.GetFromJsonAsync<ReprocessingJob>(new Uri(pipeline.Ingest.BaseAddress, $"{DaprTopology.Methods.Reprocessing}/{job.Id}"), ContractJson.Options))!;
        }

        if (job.State is not ReprocessingState.Completed)
        {
            throw new TimeoutException($"The reprocessing job did not complete within {timeout}: {job}\n{pipeline.RecentOutput}");
        }

        var lastStored = pipeline.Network.Invocations.To(DaprTopology.AppIds.Store, DaprTopology.Methods.Images + "/")
            .Where(c => c.Verb == "PUT" && c.StatusCode is >= 200 and < 300 && c.At >= startedAt)
            .Max(c => c.At);
        var seconds = (lastStored - startedAt).TotalSeconds;
        log.WriteLine($"reprocessing: {job.Done} images in {seconds:F1} s, {job.Failed} failed");
        return new ReprocessingMeasurement(job.Done, request.Concurrency, seconds, job.Done / seconds, job.Failed);
    }
}
