using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// The reprocessing routes' answers to bad input and to finished jobs, against ingest in process with the engine
/// double (the stand-in store matches nothing, so a job started here completes with matched 0). The jobs' work on real
/// records is the end-to-end suite's (ReprocessingJobScenarios).
/// </summary>
public sealed class ReprocessingJobsTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync(new IngestHarnessOptions { AppToken = "app-secret" });

    public async Task DisposeAsync() => await H.DisposeAsync();

    [Theory]
    [InlineData("{\"concurrency\":0}", "concurrency is 0")]
    [InlineData("{\"concurrency\":65}", "concurrency is 65")]
    [InlineData("{\"concurrency\":\"many\"}", "not a reprocessing request")]
    [InlineData("{\"filter\":{\"status\":\"broken\"}}", "filter.status")]
    [InlineData("{\"filter\":{\"failureClass\":\"Not A Class\"}}", "filter.failureClass")]
    [InlineData("{\"filter\":{\"format\":\"\"}}", "filter.format")]
    [InlineData("{\"filter\":{\"extractorVersionBelow\":-1}}", "filter.extractorVersionBelow")]
    [InlineData("{\"filter\":{\"processedBefore\":\"yesterday\"}}", "not a reprocessing request")]
    [InlineData("not json", "not a reprocessing request")]
    public async Task A_bad_request_gets_400_with_a_sentence_and_starts_nothing(string body, string sentence)
    {
        using var response = await H.Http.PostAsync("/reprocessing", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(sentence, await DetailAsync(response), StringComparison.Ordinal);
        Assert.Empty(H.Engine.StartedInstanceIds);
        Assert.Empty((await ListAsync()).Items);
    }

    [Fact]
    public async Task Malformed_and_unknown_job_ids_get_400_and_404_on_every_route()
    {
        var unknown = "reprocess-" + new string('a', 32);
        foreach (var (verb, suffix) in new[] { (HttpMethod.Get, ""), (HttpMethod.Post, "/pause"), (HttpMethod.Post, "/resume"), (HttpMethod.Post, "/cancel") })
        {
            using var malformed = await H.Http.SendAsync(new HttpRequestMessage(verb, $"/reprocessing/not-a-job{suffix}"));
            using var missing = await H.Http.SendAsync(new HttpRequestMessage(verb, $"/reprocessing/{unknown}{suffix}"));

            Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NotFound), (malformed.StatusCode, missing.StatusCode));
            Assert.Contains("is not a reprocessing job id", await DetailAsync(malformed), StringComparison.Ordinal);
            Assert.Contains("No reprocessing job", await DetailAsync(missing), StringComparison.Ordinal);
        }

        Assert.Empty(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_filter_that_matches_nothing_completes_with_matched_0_and_the_finished_job_refuses_pause_resume_and_cancel_with_409()
    {
        using var started = await H.Http.PostAsJsonAsync("/reprocessing", new ReprocessingRequest(new ReprocessingFilter(Status: ImageStatus.Failed, ExtractorVersionBelow: 3)), ContractJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var job = (await started.Content.ReadFromJsonAsync<ReprocessingJob>(ContractJson.Options))!;
        Assert.Equal($"/reprocessing/{job.Id}", started.Headers.Location?.OriginalString);
        Assert.Equal(ReprocessingRequest.DefaultConcurrency, job.Concurrency);

        await H.Engine.WaitForTerminalAsync(job.Id, TimeSpan.FromSeconds(30));
        var done = (await H.Http.GetFromJsonAsync<ReprocessingJob>($"/reprocessing/{job.Id}", ContractJson.Options))!;

        Assert.Equal((ReprocessingState.Completed, 0L, 0L, 0L, 0L), (done.State, done.Matched, done.Started, done.Done, done.Failed));
        Assert.Equal(ImageStatus.Failed, done.Filter.Status);
        foreach (var action in new[] { "pause", "resume", "cancel" })
        {
            using var refused = await H.Http.PostAsync($"/reprocessing/{job.Id}/{action}", null);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("has finished (completed)", await DetailAsync(refused), StringComparison.Ordinal);
        }

        Assert.Equal(ReprocessingState.Completed, (await H.Http.GetFromJsonAsync<ReprocessingJob>($"/reprocessing/{job.Id}", ContractJson.Options))!.State);
        Assert.Equal([job.Id], H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var started = await H.Http.PostAsync("/reprocessing", null);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            ids.Add((await started.Content.ReadFromJsonAsync<ReprocessingJob>(ContractJson.Options))!.Id);
        }

        ids.Reverse();
        Assert.Equal(ids, (await ListAsync()).Items.Select(j => j.Id));
    }

    [Fact]
    public async Task The_routes_need_the_api_token_like_every_other_ingest_route()
    {
        using var client = H.Ingest.CreateClient();

        using var refused = await client.PostAsync("/reprocessing", null);
        using var listing = await client.GetAsync("/reprocessing");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (refused.StatusCode, listing.StatusCode));
        Assert.Empty(H.Engine.StartedInstanceIds);
    }

    private async Task<ReprocessingJobs> ListAsync() => (await H.Http.GetFromJsonAsync<ReprocessingJobs>("/reprocessing", ContractJson.Options))!;

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString() ?? string.Empty;
}
