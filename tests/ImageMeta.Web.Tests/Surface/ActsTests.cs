using System.Net;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Web.Service.Acting;
using ImageMeta.Web.Service.Pages;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Web.Tests.Surface;

/// <summary>
/// Acting on photos against stand-ins for ingest and the store (no browser): the detail page's delete and process
/// again, the gallery's selection posts and the jobs page, for each answer ingest can give. Every bad answer (404, 409,
/// a stopped ingest) becomes a sentence on the next page, never a 500; a post without the antiforgery token is refused.
/// </summary>
public sealed class ActsTests : IAsyncLifetime
{
    private static readonly ImageId Id = ImageId.For("images", "a.png", "v1");
    private WebOnStandIns _web = null!;

    public async Task InitializeAsync()
    {
        _web = await WebOnStandIns.StartAsync();
        // The store knows the one image; everything else it does not.
        _web.Store.Answer = context =>
        {
            if (context.Request.Path == $"/{DaprTopology.Methods.Images}/{Id}")
            {
                var record = new ImageRecord { Id = Id, Blob = new BlobReference("images", "a.png", "v1", null, 3), Status = ImageStatus.Succeeded, ProcessedAt = DateTimeOffset.UnixEpoch };
                return context.Response.WriteAsJsonAsync(record, ContractJson.Options, context.RequestAborted);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        };
    }

    public async Task DisposeAsync() => await _web.DisposeAsync();

    [Fact]
    public async Task A_delete_ingest_accepts_goes_back_to_the_gallery_with_the_sentence()
    {
        _web.Ingest.Answer = context => Answer(context, StatusCodes.Status202Accepted, new DeleteAccepted(Id, "delete-" + Id));
        using var client = _web.Client();

        using var answer = await PostAsync(client, $"/images/{Id}?handler=Delete", []);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/", answer.Headers.Location?.ToString());
        Assert.Contains(ActSentences.Deleted, await client.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Contains($"DELETE /{DaprTopology.Methods.Images}/{Id}", _web.Ingest.Requests.Select(r => r.Target));
    }

    [Theory]
    [InlineData("Delete", 404, "already deleted")]
    [InlineData("Reprocess", 404, "has no stored record to process again")]
    [InlineData("Reprocess", 409, "was deleted, so there is nothing to process again")]
    public async Task A_refused_act_on_the_detail_page_is_a_sentence_on_it_not_an_error(string handler, int status, string sentence)
    {
        _web.Ingest.Answer = context => Problem(context, status, "Refused by ingest.");
        using var client = _web.Client();

        using var answer = await PostAsync(client, $"/images/{Id}?handler={handler}", []);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal($"/images/{Id}", answer.Headers.Location?.ToString());
        Assert.Contains(sentence, await client.GetStringAsync(answer.Headers.Location), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_again_ingest_accepts_says_so_on_the_detail_page()
    {
        _web.Ingest.Answer = context => Answer(context, StatusCodes.Status202Accepted, new ReprocessAccepted(Id, Id.Value));
        using var client = _web.Client();

        using var answer = await PostAsync(client, $"/images/{Id}?handler=Reprocess", []);

        Assert.Equal($"/images/{Id}", answer.Headers.Location?.ToString());
        Assert.Contains(ActSentences.Reprocessing, await client.GetStringAsync(answer.Headers.Location), StringComparison.Ordinal);
        Assert.Contains($"POST /{DaprTopology.Methods.Images}/{Id}/reprocess", _web.Ingest.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task With_ingest_down_delete_and_process_again_name_ingest_and_change_nothing()
    {
        await _web.Ingest.StopAsync();
        using var client = _web.Client();

        using var delete = await PostAsync(client, $"/images/{Id}?handler=Delete", []);
        Assert.Contains(ActSentences.IngestDownDelete, await client.GetStringAsync(delete.Headers.Location), StringComparison.Ordinal);
        using var again = await PostAsync(client, $"/images/{Id}?handler=Reprocess", []);
        Assert.Contains(ActSentences.IngestDownReprocess, await client.GetStringAsync(again.Headers.Location), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_reaches_no_service()
    {
        using var client = _web.Client();
        using var form = new FormUrlEncodedContent([]);

        using var answer = await client.PostAsync(new Uri($"/images/{Id}?handler=Delete", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Empty(_web.Ingest.Requests);
    }

    [Fact]
    public async Task A_selection_delete_asks_first_then_deletes_each_and_counts_an_image_already_gone_as_deleted()
    {
        var ids = new[] { Id, ImageId.For("images", "b.png", "v1"), ImageId.For("images", "c.png", "v1") };
        _web.Ingest.Answer = context => context.Request.Path.Value!.EndsWith(ids[2].Value, StringComparison.Ordinal)
            ? Problem(context, StatusCodes.Status404NotFound, "No image is known.")
            : Answer(context, StatusCodes.Status202Accepted, new DeleteAccepted(Id, "delete"));
        using var client = _web.Client();
        var chosen = ids.Select(i => new KeyValuePair<string, string>("ids", i.Value)).Append(new("ids", "not-an-id")).ToList();

        using var ask = await PostAsync(client, "/selection", [.. chosen, new("act", SelectionModel.DeleteAct)]);
        Assert.Equal(HttpStatusCode.OK, ask.StatusCode);
        var question = await ask.Content.ReadAsStringAsync();
        Assert.Contains("Delete these 3 images?", question, StringComparison.Ordinal);
        Assert.Contains("<li>a.png</li>", question, StringComparison.Ordinal);
        Assert.Empty(_web.Ingest.Requests);

        using var yes = await PostAsync(client, "/selection", [.. chosen, new("act", SelectionModel.DeleteAct), new("confirmed", "true")]);
        Assert.Equal("/", yes.Headers.Location?.ToString());
        Assert.Contains("Deleted 3 images. They may take a moment to leave the gallery.", await client.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Equal(3, _web.Ingest.Requests.Count(r => r.Target.StartsWith("DELETE ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_selection_process_again_with_ingest_down_names_ingest()
    {
        await _web.Ingest.StopAsync();
        using var client = _web.Client();

        using var answer = await PostAsync(client, "/selection", [new("ids", Id.Value), new("act", SelectionModel.ReprocessAct)]);

        Assert.Contains("The ingest service is not answering, so 1 image of 1 was not processed again.", await client.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_jobs_page_shows_progress_and_its_buttons_send_the_filters_and_actions()
    {
        var job = new ReprocessingJob("job-1", ReprocessingState.Running, new ReprocessingFilter(Status: "failed"), 4, 40, 16, 12, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        var bodies = new List<string>();
        _web.Ingest.Answer = async context =>
        {
            if (context.Request.Method == HttpMethods.Get)
            {
                await context.Response.WriteAsJsonAsync(new ReprocessingJobs([job]), ContractJson.Options, context.RequestAborted);
                return;
            }

            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            lock (bodies)
            {
                bodies.Add(body);
            }

            if (context.Request.Path.Value!.EndsWith("/pause", StringComparison.Ordinal))
            {
                await Problem(context, StatusCodes.Status409Conflict, "The job has finished; there is nothing to pause.");
                return;
            }

            await Answer(context, StatusCodes.Status202Accepted, job);
        };
        using var client = _web.Client();

        var page = await client.GetStringAsync(new Uri("/jobs", UriKind.Relative));
        Assert.Contains("Images with status failed", page, StringComparison.Ordinal);
        Assert.Contains("12 of 40 so far done", page, StringComparison.Ordinal);
        Assert.Contains("<progress max=\"40\" value=\"12\"", page, StringComparison.Ordinal);
        var list = await client.GetStringAsync(new Uri("/jobs?handler=List", UriKind.Relative));
        Assert.DoesNotContain("<html", list, StringComparison.Ordinal);
        Assert.Contains("data-job=\"job-1\"", list, StringComparison.Ordinal);

        using var failed = await PostAsync(client, "/jobs?handler=Start", [new("kind", JobsModel.FailedKind)]);
        Assert.Contains("Started a job that processes every failed image again.", await client.GetStringAsync(failed.Headers.Location), StringComparison.Ordinal);
        using var older = await PostAsync(client, "/jobs?handler=Start", [new("kind", JobsModel.OlderKind)]);
        await client.GetStringAsync(older.Headers.Location);
        var requests = bodies.Select(b => JsonSerializer.Deserialize<ReprocessingRequest>(b, ContractJson.Options)!).ToList();
        Assert.Equal("failed", requests[0].Filter?.Status);
        Assert.Equal(ExtractorVersions.Current, requests[1].Filter?.ExtractorVersionBelow);
        Assert.Equal(ReprocessingRequest.DefaultConcurrency, requests[1].Concurrency);

        using var cancel = await PostAsync(client, "/jobs?handler=Act", [new("job", "job-1"), new("action", "cancel")]);
        Assert.Contains("Canceled the job", await client.GetStringAsync(cancel.Headers.Location), StringComparison.Ordinal);
        using var pause = await PostAsync(client, "/jobs?handler=Act", [new("job", "job-1"), new("action", "pause")]);
        Assert.Contains("The job was not paused: The job has finished; there is nothing to pause.", await client.GetStringAsync(pause.Headers.Location), StringComparison.Ordinal);
        using var odd = await PostAsync(client, "/jobs?handler=Act", [new("job", "../x"), new("action", "cancel")]);
        await client.GetStringAsync(odd.Headers.Location);
        Assert.Contains($"POST /{DaprTopology.Methods.Reprocessing}/job-1/cancel", _web.Ingest.Requests.Select(r => r.Target));
        Assert.DoesNotContain(_web.Ingest.Requests, r => r.Target.Contains("..", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_ingest_down_the_jobs_page_names_ingest()
    {
        await _web.Ingest.StopAsync();
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri("/jobs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains(JobsModel.IngestDownSentence, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string target, List<KeyValuePair<string, string>> fields)
    {
        var token = await WebOnStandIns.UploadTokenAsync(client);
        using var form = new FormUrlEncodedContent([.. fields, new("__RequestVerificationToken", token)]);
        return await client.PostAsync(new Uri(target, UriKind.Relative), form);
    }

    private static Task Answer<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, ContractJson.Options, context.RequestAborted);
    }

    private static Task Problem(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["status"] = status, ["detail"] = detail, [FailureClass.ProblemMember] = "refused" }));
    }
}
