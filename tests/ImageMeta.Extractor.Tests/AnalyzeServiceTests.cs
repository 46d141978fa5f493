using System.Net;
using System.Net.Http.Json;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary><c>POST /analyze</c>: one blob read gives the metadata, the thumbnail and its renditions; permanent failures are values.</summary>
public sealed class AnalyzeServiceTests : IDisposable
{
    private readonly LocalStorageInvokerFake _storage = new();
    private readonly WebApplicationFactory<Program> _factory;

    public AnalyzeServiceTests()
    {
        _factory = ExtractorServiceHost.Create(_storage, 20_000_000, new Dictionary<string, string?>());
    }

    public void Dispose() => _factory.Dispose();

    private async Task<ImageAnalysis> Analyze(BlobReference blob)
    {
        var response = await _factory.CreateClient().PostAsJsonAsync("/" + DaprTopology.Methods.Analyze, blob, ContractJson.Options);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var analysis = await response.Content.ReadFromJsonAsync<ImageAnalysis>(ContractJson.Options);
        Assert.NotNull(analysis);
        Assert.Equal(ExtractorVersions.Current, analysis.ExtractorVersion);
        Assert.False(string.IsNullOrEmpty(analysis.ExtractorBuild));
        Assert.True((analysis.Metadata is null) != (analysis.Failure is null), "exactly one of metadata and failure");
        Assert.True((analysis.Thumbnail is null) != (analysis.ThumbnailFailure is null), "exactly one of thumbnail and its failure");
        return analysis;
    }

    [Fact]
    public async Task One_read_gives_metadata_thumbnail_and_renditions_written_under_the_image_id()
    {
        var jpeg = ImageWriters.WithExif(PhotoLikeImages.Encoded(11, 2400, 1800, SKEncodedImageFormat.Jpeg, 90), new ImageWriters.ExifTags(Orientation: 6));
        _storage.Files["2024/a.jpg"] = jpeg;
        var blob = new BlobReference("images", "2024/a.jpg", BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(jpeg))));

        var analysis = await Analyze(blob);

        Assert.Equal(1, _storage.ImageReads);
        Assert.Equal((ImageFormats.Jpeg, 1800, 2400), (analysis.Metadata!.Format, analysis.Metadata.DisplayWidth, analysis.Metadata.DisplayHeight));
        var thumbnail = analysis.Thumbnail!;
        Assert.Equal((240, 320), (thumbnail.Width, thumbnail.Height));
        Assert.Equal(new ImageRendition(ImageThumbnail.LargeNameFor(blob.ImageId), 480, 640, _storage.Thumbnails[ImageThumbnail.LargeNameFor(blob.ImageId)].Length), thumbnail.Large);
        Assert.Equal(new ImageRendition(ImageThumbnail.PreviewNameFor(blob.ImageId), 1200, 1600, _storage.Thumbnails[ImageThumbnail.PreviewNameFor(blob.ImageId)].Length), thumbnail.Preview);
        Assert.Equal(ImageThumbnail.BlobNamesFor(blob.ImageId).Order(), _storage.Thumbnails.Keys.Order());
        Assert.All(_storage.Thumbnails.Values, webp => Assert.Equal("WEBP", Encoding.ASCII.GetString(webp, 8, 4)));
        using var preview = SKBitmap.Decode(_storage.Thumbnails[ImageThumbnail.PreviewNameFor(blob.ImageId)]);
        Assert.Equal((1200, 1600), (preview.Width, preview.Height));
    }

    [Fact]
    public async Task A_small_image_is_never_enlarged()
    {
        _storage.Files["small.png"] = ImageWriters.Png(300, 200);

        var thumbnail = (await Analyze(new BlobReference("images", "small.png"))).Thumbnail!;

        Assert.Equal((300, 200), (thumbnail.Width, thumbnail.Height));
        Assert.Equal((300, 200), (thumbnail.Large!.Width, thumbnail.Large.Height));
        Assert.Equal((300, 200), (thumbnail.Preview!.Width, thumbnail.Preview.Height));
    }

    [Fact]
    public async Task Permanent_failures_are_values_and_only_what_a_retry_can_change_is_a_problem()
    {
        _storage.Files["notes.txt"] = Encoding.UTF8.GetBytes("just text");
        _storage.Files["x.png"] = ImageWriters.Png(5, 5);

        var text = await Analyze(new BlobReference("images", "notes.txt"));
        var missing = await Analyze(new BlobReference("images", "missing.jpg"));
        var replaced = await Analyze(new BlobReference("images", "x.png", "sha256:00"));

        Assert.Equal((FailureClass.Unsupported, FailureClass.Unsupported), (text.Failure?.Class, text.ThumbnailFailure?.Class));
        Assert.Equal((FailureClass.NotFound, FailureClass.NotFound), (missing.Failure?.Class, missing.ThumbnailFailure?.Class));
        Assert.Equal(FailureClass.NotFound, replaced.Failure?.Class);
        Assert.Empty(_storage.Thumbnails);

        var client = _factory.CreateClient();
        var bad = await client.PostAsync("/analyze", new StringContent("{\"name\":\"a.jpg\"}", Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode.BadRequest, FailureClass.InvalidRequest), await ExtractorServiceHost.FailureAsync(bad));
        _storage.Failing.Add(DaprTopology.Components.Thumbnails);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable),
            await ExtractorServiceHost.FailureAsync(await client.PostAsJsonAsync("/analyze", new BlobReference("images", "x.png"), ContractJson.Options)));
        _storage.Unreachable = true;
        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable),
            await ExtractorServiceHost.FailureAsync(await client.PostAsJsonAsync("/analyze", new BlobReference("images", "x.png"), ContractJson.Options)));
    }

    [Fact]
    public async Task A_full_budget_answers_503_with_retry_after()
    {
        using var factory = ExtractorServiceHost.Create(_storage, 2_000_000,
            new Dictionary<string, string?> { ["Extraction:MaxPixels"] = "100000", ["Extraction:MaxBytesInFlight"] = "3000000", ["Extraction:RetryAfterSeconds"] = "9" });
        var budget = factory.Services.GetRequiredService<ImageInspector>().Budget;
        _storage.Files["small.png"] = ImageWriters.Png(20, 20);

        HttpResponseMessage busy;
        using (budget.TryHold(budget.Capacity - 100, wait: false))
        {
            busy = await factory.CreateClient().PostAsJsonAsync("/analyze", new BlobReference("images", "small.png"), ContractJson.Options);
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await ExtractorServiceHost.FailureAsync(busy));
        Assert.Equal(TimeSpan.FromSeconds(9), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(0, budget.Held);
    }
}
