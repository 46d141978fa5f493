using System.Net;
using System.Net.Http.Json;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Extractor.Tests;

public sealed class ExtractorServiceTests : IDisposable
{
    private readonly LocalStorageInvokerFake _storage = new();
    private readonly WebApplicationFactory<Program> _factory;

    public ExtractorServiceTests()
    {
        _factory = Create(new Dictionary<string, string?>());
    }

    public void Dispose() => _factory.Dispose();

    private WebApplicationFactory<Program> Create(Dictionary<string, string?> settings) => ExtractorServiceHost.Create(_storage, 200000, settings);

    private static Task<(HttpStatusCode Status, string? FailureClass)> Failure(HttpResponseMessage response) => ExtractorServiceHost.FailureAsync(response);

    [Fact]
    public async Task Extract_reads_the_blob_through_the_binding_and_answers_its_metadata()
    {
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(40, 30), new ImageWriters.ExifTags(Make: "Fujifilm", Orientation: 8));
        _storage.Files["2024/trip/a.jpg"] = jpeg;
        var client = _factory.CreateClient();

        var response = await client.PostAsJsonAsync("/extract", new BlobReference("images", "2024/trip/a.jpg"));

        response.EnsureSuccessStatusCode();
        var metadata = await response.Content.ReadFromJsonAsync<ImageMetadata>(ContractJson.Options);
        Assert.Equal(new ImageInspector(new ExtractionOptions()).Inspect(jpeg).Value, metadata);
        Assert.Equal((30, 40), (metadata!.DisplayWidth, metadata.DisplayHeight));
    }

    [Fact]
    public async Task The_version_named_in_the_request_must_still_exist()
    {
        var png = ImageWriters.Png(5, 5);
        _storage.Files["x.png"] = png;
        var current = BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(png)));
        var client = _factory.CreateClient();

        var same = await client.PostAsJsonAsync("/extract", new BlobReference("images", "x.png", current));
        var stale = await client.PostAsJsonAsync("/extract", new BlobReference("images", "x.png", "sha256:00"));

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, FailureClass.NotFound), await Failure(stale));
    }

    [Fact]
    public async Task Failures_have_a_status_the_caller_can_act_on_and_a_stable_class()
    {
        _storage.Files["notes.txt"] = Encoding.UTF8.GetBytes("just text");
        _storage.Files["cut.jpg"] = ImageWriters.Jpeg(100, 100)[..200];
        _storage.Files["empty.gif"] = [];
        _storage.Files["big.png"] = new byte[300_000];
        var client = _factory.CreateClient();

        async Task<(HttpStatusCode, string?)> Extract(string name) => await Failure(await client.PostAsJsonAsync("/extract", new BlobReference("images", name)));

        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Unsupported), await Extract("notes.txt"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Corrupt), await Extract("cut.jpg"));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Empty), await Extract("empty.gif"));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, FailureClass.TooLarge), await Extract("big.png"));
        Assert.Equal((HttpStatusCode.NotFound, FailureClass.NotFound), await Extract("missing.jpg"));
        _storage.Unreachable = true;
        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await Extract("notes.txt"));
    }

    [Fact]
    public async Task A_malformed_request_is_a_bad_request()
    {
        var client = _factory.CreateClient();

        var response = await client.PostAsync("/extract", new StringContent("{\"container\":", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Content_endpoint_inspects_the_body()
    {
        var client = _factory.CreateClient();

        var ok = await client.PostAsync("/extract/content?verify=true", new ByteArrayContent(ImageWriters.Gif(9, 7, 3)));
        var empty = await client.PostAsync("/extract/content", new ByteArrayContent([]));
        var tooBig = await client.PostAsync("/extract/content", new ByteArrayContent(new byte[250_000]));

        var metadata = await ok.Content.ReadFromJsonAsync<ImageMetadata>(ContractJson.Options);
        Assert.Equal((ImageFormats.Gif, 3, true), (metadata?.Format, metadata?.FrameCount, metadata?.Verified));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Empty), await Failure(empty));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
    }

    [Fact]
    public async Task When_the_in_flight_budget_is_full_extraction_answers_503_with_retry_after_and_serves_again_once_it_drains()
    {
        using var factory = Create(new()
        {
            ["Extraction:MaxPixels"] = "10000",
            ["Extraction:MaxBytesInFlight"] = "300000",
            ["Extraction:RetryAfterSeconds"] = "7",
        });
        var client = factory.CreateClient();
        var budget = factory.Services.GetRequiredService<ImageInspector>().Budget;
        var png = ImageWriters.Png(20, 20);
        _storage.Files["small.png"] = png;

        using (budget.TryHold(budget.Capacity - 100, wait: false))
        {
            var content = await client.PostAsync("/extract/content", new ByteArrayContent(png));
            var blob = await client.PostAsJsonAsync("/extract", new BlobReference("images", "small.png"));

            foreach (var busy in new[] { content, blob })
            {
                Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await Failure(busy));
                Assert.Equal(TimeSpan.FromSeconds(7), busy.Headers.RetryAfter?.Delta);
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/extract/content", new ByteArrayContent(png))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/extract", new BlobReference("images", "small.png"))).StatusCode);
        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void A_budget_too_small_for_one_request_at_the_limits_stops_the_service_at_start()
    {
        using var factory = Create(new() { ["Extraction:MaxPixels"] = "10000", ["Extraction:MaxBytesInFlight"] = "100000" });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("MaxBytesInFlight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_app_token_only_calls_carrying_it_are_served_but_health_stays_open()
    {
        using var factory = Create(new() { ["APP_API_TOKEN"] = "s3cret-token" });
        var client = factory.CreateClient();

        var without = await client.PostAsync("/extract/content", new ByteArrayContent(ImageWriters.Png(2, 2)));
        var wrong = new HttpRequestMessage(HttpMethod.Post, "/extract/content") { Content = new ByteArrayContent(ImageWriters.Png(2, 2)) };
        wrong.Headers.Add("dapr-api-token", "guess");
        var right = new HttpRequestMessage(HttpMethod.Post, "/extract/content") { Content = new ByteArrayContent(ImageWriters.Png(2, 2)) };
        right.Headers.Add("dapr-api-token", "s3cret-token");

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
