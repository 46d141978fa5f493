using System.Net;
using ImageMeta.Contracts;
using ImageMeta.ServiceDefaults;
using Microsoft.AspNetCore.Http;

namespace ImageMeta.Web.Tests.Surface;

/// <summary>
/// What the web app answers for its error page, its readiness probe and its private answers' caching, against stand-in
/// sidecars (open mode; the sign-in cases are in SignIn/SignInHttpTests.cs).
/// </summary>
public sealed class PagesAndProbesTests : IAsyncLifetime
{
    private static readonly ImageId Id = ImageId.For("images", "a.png", "v1");
    private WebOnStandIns _web = null!;

    public async Task InitializeAsync() => _web = await WebOnStandIns.StartAsync();

    public async Task DisposeAsync() => await _web.DisposeAsync();

    [Theory]
    [InlineData("0", 404)]
    [InlineData("-1", 404)]
    [InlineData("1000", 404)]
    [InlineData("100", 404)]
    [InlineData("101", 404)]
    [InlineData("200", 404)]
    [InlineData("302", 404)]
    [InlineData("460", 404)]
    [InlineData("x", 404)]
    [InlineData("404", 404)]
    [InlineData("410", 410)]
    [InlineData("413", 413)]
    [InlineData("503", 503)]
    public async Task The_error_page_answers_only_statuses_it_means(string code, int expected)
    {
        using var client = _web.Client();

        using var answer = await client.GetAsync(new Uri($"/Error?code={code}", UriKind.Relative));

        Assert.Equal(expected, (int)answer.StatusCode);
        Assert.Equal("text/html", answer.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"error-sentence\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_follows_the_sidecar_and_not_the_services_behind_it()
    {
        using var client = _web.Client();
        await _web.Store.StopAsync();
        await _web.Ingest.StopAsync();

        using (var ready = await client.GetAsync(new Uri(HealthEndpoints.Readiness, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await _web.Sidecar.DisposeAsync();
        using var unready = await client.GetAsync(new Uri(HealthEndpoints.Readiness, UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        Assert.Equal("Unhealthy", await unready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_detail_page_and_an_uploads_stage_are_never_cached()
    {
        ServeFailedRecordWithoutWorkflow("a.png", context => context.Response.WriteAsJsonAsync(new SimilarImages([]), ContractJson.Options, context.RequestAborted));
        using var client = _web.Client();

        using var page = await client.GetAsync(new Uri($"/images/{Id}", UriKind.Relative));
        using var stage = await client.GetAsync(new Uri($"/api/uploads/{Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(page.Headers.CacheControl?.NoStore, $"detail page Cache-Control: {page.Headers.CacheControl}");
        Assert.Equal(HttpStatusCode.OK, stage.StatusCode);
        Assert.True(stage.Headers.CacheControl?.NoStore, $"stage Cache-Control: {stage.Headers.CacheControl}");
    }

    [Theory]
    [InlineData("{\"unexpected\":true}")]
    [InlineData("not json")]
    public async Task A_similar_answer_of_the_wrong_shape_leaves_the_record_shown_and_says_only_the_strip_is_missing(string similarBody)
    {
        ServeFailedRecordWithoutWorkflow("shape.png", context => WriteRawJsonAsync(context, similarBody));
        using var client = _web.Client();

        using var page = await client.GetAsync(new Uri($"/images/{Id}", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("shape.png", html, StringComparison.Ordinal);
        Assert.DoesNotContain("The image store is not answering", html, StringComparison.Ordinal);
        Assert.True(
            html.Contains("Similar images cannot be shown right now.", StringComparison.Ordinal) || html.Contains("No similar images", StringComparison.Ordinal),
            "the similar strip says neither that it cannot be shown nor that there are none");
    }

    /// <summary>
    /// The store stand-in answers a failed record for <see cref="Id"/> under <paramref name="blobName"/> and its similar
    /// strip with <paramref name="similar"/>; the ingest stand-in knows no workflow for it (404).
    /// </summary>
    private void ServeFailedRecordWithoutWorkflow(string blobName, Func<HttpContext, Task> similar)
    {
        _web.Store.Answer = context => context.Request.Path.Value!.EndsWith("/similar", StringComparison.Ordinal)
            ? similar(context)
            : context.Response.WriteAsJsonAsync(
            new ImageRecord
            {
                Id = Id,
                Blob = new BlobReference("images", blobName, "v1", null, 3),
                Status = ImageStatus.Failed,
                Failure = new ProcessingFailure(FailureClass.Corrupt, "Cut short."),
                ProcessedAt = DateTimeOffset.UnixEpoch,
            },
            ContractJson.Options,
            context.RequestAborted);
        _web.Ingest.Answer = context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        };
    }

    private static Task WriteRawJsonAsync(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
