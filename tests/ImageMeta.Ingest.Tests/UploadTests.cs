using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest.Tests;

/// <summary>POST /images: what is written and started, and what is refused with nothing written.</summary>
public sealed class UploadTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    [Fact]
    public async Task An_upload_writes_the_blob_starts_its_workflow_and_answers_202_with_the_id_and_status_location()
    {
        var content = Encoding.UTF8.GetBytes("pretend image bytes");

        using var response = await H.UploadAsync("2026/cat.jpg", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var version = BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)));
        var expectedId = ImageId.For("images", "2026/cat.jpg", version);
        Assert.Equal(expectedId.Value, body.GetProperty("id").GetString());
        Assert.Equal("started", body.GetProperty("workflow").GetString());
        Assert.Equal($"/images/{expectedId}/status", response.Headers.Location?.OriginalString);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(H.ImagesFolder, "2026", "cat.jpg")));
        Assert.Equal([expectedId.Value], H.Engine.StartedInstanceIds);
        Assert.Contains("2026/cat.jpg", H.Engine.InputOf(expectedId.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_upload_twice_starts_one_workflow()
    {
        var content = Encoding.UTF8.GetBytes("same bytes");

        using var first = await H.UploadAsync("dup.png", content);
        using var second = await H.UploadAsync("dup.png", content);

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal("already-known", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString());
        Assert.Single(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task Concurrent_uploads_of_the_same_bytes_start_exactly_one_workflow()
    {
        // Both requests may pass the "is it known?" check before either starts; the engine then refuses the second
        // start (daprd's rule for a running id), which the starter must count as "already known", not as an error.
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var content = Encoding.UTF8.GetBytes("the same bytes, twice at once");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await H.UploadAsync("twins.png", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("workflow").GetString();
        }));

        Assert.Equal(1, answers.Count(a => a == "started"));
        Assert.Equal(7, answers.Count(a => a == "already-known"));
        Assert.Single(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task A_multipart_upload_takes_the_file_and_its_name()
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent([1, 2, 3, 4]);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "form-name.png");

        using var response = await H.Http.PostAsync("/images", form);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([1, 2, 3, 4], await File.ReadAllBytesAsync(Path.Combine(H.ImagesFolder, "form-name.png")));
    }

    [Theory]
    [InlineData("../escape.jpg")]
    [InlineData("/etc/x.jpg")]
    [InlineData("a/../../b.jpg")]
    [InlineData("bell\u0007.jpg")]
    [InlineData("back\\slash.jpg")]
    [InlineData("")]
    public async Task Names_with_path_tricks_get_400_and_nothing_is_written(string name)
    {
        using var response = await H.UploadAsync(name, [1, 2, 3]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(H.FilesWritten());
        Assert.Empty(H.Engine.StartedInstanceIds);
    }

    [Fact]
    public async Task An_empty_upload_gets_400_and_nothing_is_written()
    {
        using var response = await H.UploadAsync("empty.jpg", []);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(H.FilesWritten());
    }

    [Fact]
    public async Task An_upload_over_the_limit_gets_413_and_nothing_is_written()
    {
        await RestartAsync(new IngestHarnessOptions { MaxUpload = 1000 });

        using var response = await H.UploadAsync("big.jpg", new byte[5000]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(H.FilesWritten());
    }

    [Fact]
    public async Task An_upload_whose_start_is_not_confirmed_in_time_is_stored_and_deferred_to_the_sweep()
    {
        await RestartAsync(new IngestHarnessOptions { HostWorker = false });
        var content = Encoding.UTF8.GetBytes("stored while no worker is connected");

        using var response = await H.UploadAsync("waiting.png", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("deferred-to-sweep", body.GetProperty("workflow").GetString());
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(H.ImagesFolder, "waiting.png")));
        // Nothing is lost: the instance exists and waits for a worker, and a sweep would find it known.
        var id = body.GetProperty("id").GetString()!;
        var view = await H.Engine.GetAsync(id, CancellationToken.None);
        Assert.Contains(view?.RuntimeStatus, new[] { "PENDING", "RUNNING" });
        using var sweep = await H.Http.PostAsync("/sweep", null);
        Assert.True(sweep.IsSuccessStatusCode);
        Assert.Single(H.Engine.StartedInstanceIds);
    }
}
