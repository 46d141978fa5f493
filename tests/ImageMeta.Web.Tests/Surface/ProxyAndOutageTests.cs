using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Web.Service;
using ImageMeta.Web.Service.Pages;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Web.Tests.Surface;

/// <summary>
/// The web app's HTTP surface against stand-in sidecars and apps (no browser): what thumbnails, originals, uploads and
/// the stage endpoint answer for each answer of the store and ingest, and which service a 503 names.
/// </summary>
public sealed class ProxyAndOutageTests : IAsyncLifetime
{
    private static readonly ImageId Id = ImageId.For("images", "a.png", "v1");
    private WebOnStandIns _web = null!;

    public async Task InitializeAsync() => _web = await WebOnStandIns.StartAsync();

    public async Task DisposeAsync() => await _web.DisposeAsync();

    [Fact]
    public async Task A_thumbnail_streams_through_with_its_etag_and_a_matching_if_none_match_gets_304()
    {
        var webp = new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4 };
        _web.Store.Answer = async context =>
        {
            context.Response.Headers.ETag = "\"t1\"";
            if (context.Request.Headers.IfNoneMatch == "\"t1\"")
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            context.Response.ContentType = "image/webp";
            await context.Response.Body.WriteAsync(webp);
        };
        using var client = _web.Client();
        client.DefaultRequestHeaders.Add("Cookie", "imagemeta.session=secret");

        using var first = await client.GetAsync(new Uri($"/thumbnails/{Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("image/webp", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal("\"t1\"", first.Headers.ETag?.ToString());
        Assert.True(first.Headers.CacheControl?.Private);
        Assert.Equal(TimeSpan.FromSeconds(300), first.Headers.CacheControl?.MaxAge);
        Assert.Equal(webp, await first.Content.ReadAsByteArrayAsync());

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/thumbnails/{Id}");
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"t1\""));
        using var second = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal("\"t1\"", second.Headers.ETag?.ToString());

        // The store was asked for the thumbnail method, and the browser's cookie never left the web app.
        Assert.All(_web.Store.Requests, r => Assert.Equal($"GET /{DaprTopology.Methods.Images}/{Id}/thumbnail", r.Target));
        Assert.All(_web.Store.Requests, r => Assert.False(r.Headers.ContainsKey("Cookie")));
        Assert.Equal(0, _web.Sidecar.RejectedForMissingApiToken);
    }

    [Theory]
    [InlineData(404, 404)]
    [InlineData(410, 404)]
    [InlineData(200, 404)]
    public async Task A_thumbnail_the_store_does_not_have_as_an_image_is_a_404(int storeStatus, int expected)
    {
        _web.Store.Answer = async context =>
        {
            context.Response.StatusCode = storeStatus;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("not an image");
        };
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri($"/thumbnails/{Id}", UriKind.Relative));

        Assert.Equal(expected, (int)answer.StatusCode);
        Assert.DoesNotContain("not an image", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_busy_store_gives_a_thumbnail_503_with_its_retry_after_and_a_stopped_store_a_503_without()
    {
        _web.Store.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "7";
            return Task.CompletedTask;
        };
        using var client = _web.Client();

        using var busy = await client.GetAsync(new Uri($"/thumbnails/{Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(ThumbnailsApi.StoreDownSentence, await DetailAsync(busy));

        await _web.Store.StopAsync();
        using var down = await client.GetAsync(new Uri($"/thumbnails/{Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Null(down.Headers.RetryAfter);
        Assert.Equal(ThumbnailsApi.StoreDownSentence, await DetailAsync(down));
    }

    [Fact]
    public async Task An_original_streams_through_with_its_name_type_and_own_policy()
    {
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        _web.Store.Answer = async context =>
        {
            context.Response.ContentType = "image/jpeg";
            context.Response.Headers.ContentDisposition = "inline; filename*=UTF-8''caf%C3%A9.jpg";
            context.Response.Headers["X-Store-Internal"] = "10.0.0.7";
            await context.Response.Body.WriteAsync(bytes);
        };
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri($"/originals/{Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("image/jpeg", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("café.jpg", answer.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal("inline", answer.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(OriginalsApi.OriginalPolicy, answer.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(answer.Headers.Contains("X-Store-Internal"));
        Assert.Equal(bytes, await answer.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(404, null, 404, "There is no page at this address.")]
    [InlineData(410, null, 410, "has been replaced or deleted")]
    [InlineData(503, "5", 503, "is not answering")]
    [InlineData(500, null, 503, "is not answering")]
    public async Task An_original_the_store_cannot_give_is_the_error_pages_sentence_with_the_stores_retry_after(int storeStatus, string? retryAfter, int expected, string sentence)
    {
        _web.Store.Answer = async context =>
        {
            context.Response.StatusCode = storeStatus;
            if (retryAfter is not null)
            {
                context.Response.Headers.RetryAfter = retryAfter;
            }

            await context.Response.WriteAsJsonAsync(new { detail = "blob http://10.0.0.7/images is gone" });
        };
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri($"/originals/{Id}", UriKind.Relative));

        Assert.Equal(expected, (int)answer.StatusCode);
        Assert.Equal(retryAfter, answer.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var page = await answer.Content.ReadAsStringAsync();
        Assert.Contains(sentence, page, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.7", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_original_with_the_store_stopped_is_a_503_page()
    {
        await _web.Store.StopAsync();
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri($"/originals/{Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Contains("is not answering", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_ingest_accepts_answers_202_with_its_id_and_workflow()
    {
        _web.Ingest.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return context.Response.WriteAsJsonAsync(new UploadAccepted(Id, new BlobReference("images", "a.png", "v1", null, 3), UploadWorkflow.AlreadyKnown), ContractJson.Options, context.RequestAborted);
        };
        using var client = _web.Client();

        using var answer = await UploadAsync(client);

        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal(Id.ToString(), body.RootElement.GetProperty("id").GetString());
        Assert.Equal("already-known", body.RootElement.GetProperty("workflow").GetString());
        Assert.Equal($"POST /{DaprTopology.Methods.Images}?name=a.png", Assert.Single(_web.Ingest.Requests).Target);
    }

    [Fact]
    public async Task A_busy_ingest_gives_the_upload_503_with_retry_after_rounded_up()
    {
        _web.Ingest.Answer = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "3";
            await context.Response.WriteAsJsonAsync(new { detail = "upload memory full at 10.0.0.7", failureClass = FailureClass.Unavailable });
        };
        using var client = _web.Client();

        using var answer = await UploadAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), answer.Headers.RetryAfter?.Delta);
        Assert.Equal(UploadsApi.IngestBusySentence, await DetailAsync(answer));
    }

    [Fact]
    public async Task A_refused_upload_carries_ingests_sentence_and_class()
    {
        _web.Ingest.Answer = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { detail = "That name has a control character.", failureClass = "invalid-name" });
        };
        using var client = _web.Client();

        using var answer = await UploadAsync(client);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("That name has a control character.", await DetailAsync(answer));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_ingest_down_an_upload_is_a_503_that_names_ingest(bool stopped)
    {
        if (stopped)
        {
            await _web.Ingest.StopAsync();
        }
        else
        {
            _web.Ingest.Answer = context =>
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return Task.CompletedTask;
            };
        }

        using var client = _web.Client();

        using var answer = await UploadAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Null(answer.Headers.RetryAfter);
        Assert.Equal(UploadsApi.IngestDownSentence, await DetailAsync(answer));
    }

    [Fact]
    public async Task With_only_the_store_down_the_stage_and_the_detail_page_name_the_store_not_ingest()
    {
        await _web.Store.StopAsync();
        _web.Ingest.Answer = context => context.Response.WriteAsJsonAsync(
            new ImageStatusView(Id, new WorkflowStatusView(WorkflowRunStatus.Running, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)), ContractJson.Options, context.RequestAborted);
        using var client = _web.Client();

        using var stage = await client.GetAsync(new Uri($"/api/uploads/{Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stage.StatusCode);
        var sentence = await DetailAsync(stage);
        Assert.Contains("image store is not answering", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("ingest", sentence, StringComparison.OrdinalIgnoreCase);

        var page = await client.GetStringAsync(new Uri($"/images/{Id}", UriKind.Relative));
        Assert.Contains("image store is not answering", page, StringComparison.Ordinal);
        Assert.DoesNotContain("ingest service is not answering", page, StringComparison.Ordinal);

        var gallery = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains(System.Net.WebUtility.HtmlEncode(IndexModel.StoreDownSentence), gallery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_record_and_ingest_down_the_stage_names_ingest()
    {
        await _web.Ingest.StopAsync();
        using var client = _web.Client();

        using var stage = await client.GetAsync(new Uri($"/api/uploads/{Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, stage.StatusCode);
        Assert.Contains("ingest service is not answering", await DetailAsync(stage), StringComparison.Ordinal);
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client)
    {
        var token = await WebOnStandIns.UploadTokenAsync(client);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent([1, 2, 3]);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "a.png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/uploads") { Content = form };
        request.Headers.Add("RequestVerificationToken", token);
        return await client.SendAsync(request);
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage answer)
    {
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("detail").GetString();
    }
}
