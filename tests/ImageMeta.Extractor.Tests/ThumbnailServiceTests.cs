using System.Net;
using System.Net.Http.Json;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary><c>POST /thumbnail</c> in the service: read through <c>images</c>, written through <c>thumbnails</c>, classed failures.</summary>
public sealed class ThumbnailServiceTests : IDisposable
{
    private readonly LocalStorageInvokerFake _storage = new();
    private readonly WebApplicationFactory<Program> _factory;

    public ThumbnailServiceTests()
    {
        _factory = Create([]);
    }

    public void Dispose() => _factory.Dispose();

    private WebApplicationFactory<Program> Create(Dictionary<string, string?> settings) => ExtractorServiceHost.Create(_storage, 2000000, settings);

    private static Task<(HttpStatusCode Status, string? FailureClass)> Failure(HttpResponseMessage response) => ExtractorServiceHost.FailureAsync(response);

    [Fact]
    public async Task The_thumbnail_is_written_through_the_thumbnails_binding_under_the_image_id_and_nothing_is_added_to_images()
    {
        var jpeg = ImageWriters.WithExif(PhotoLikeImages.Encoded(11, 1600, 1200, SKEncodedImageFormat.Jpeg, 90), new ImageWriters.ExifTags(Orientation: 6));
        _storage.Files["2024/trip/a.jpg"] = jpeg;
        var version = BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(jpeg)));
        var blob = new BlobReference("images", "2024/trip/a.jpg", version);
        var client = _factory.CreateClient();

        var first = await client.PostAsJsonAsync("/thumbnail", blob, ContractJson.Options);
        var stored = _storage.Thumbnails.ToDictionary(f => f.Key, f => f.Value);
        var again = await client.PostAsJsonAsync("/thumbnail", blob, ContractJson.Options);

        first.EnsureSuccessStatusCode();
        var thumbnail = await first.Content.ReadFromJsonAsync<ImageThumbnail>(ContractJson.Options);
        Assert.NotNull(thumbnail);
        Assert.Equal(ImageThumbnail.NameFor(blob.ImageId), thumbnail.Name);
        Assert.Equal((240, 320), (thumbnail.Width, thumbnail.Height));
        Assert.True(PerceptualHash.TryParse(thumbnail.PerceptualHash, out _), thumbnail.PerceptualHash);
        var webp = Assert.Single(stored);
        Assert.Equal(thumbnail.Name, webp.Key);
        Assert.Equal(thumbnail.Bytes, webp.Value.Length);
        Assert.Equal("WEBP", Encoding.ASCII.GetString(webp.Value, 8, 4));
        Assert.Equal(["2024/trip/a.jpg"], _storage.Files.Keys);

        // A re-run of the same version overwrites the same blob with the same bytes.
        Assert.Equal(thumbnail, await again.Content.ReadFromJsonAsync<ImageThumbnail>(ContractJson.Options));
        Assert.Equal(webp.Value, Assert.Single(_storage.Thumbnails).Value);
    }

    [Fact]
    public async Task Failures_have_the_same_status_and_class_as_extraction()
    {
        _storage.Files["notes.txt"] = Encoding.UTF8.GetBytes("just text");
        _storage.Files["cut.jpg"] = ImageWriters.Jpeg(100, 100)[..200];
        _storage.Files["empty.gif"] = [];
        _storage.Files["big.png"] = new byte[2_000_001];
        _storage.Files["bomb.png"] = ImageWriters.PngHeaderOnly(60_000, 60_000);
        _storage.Files["x.png"] = ImageWriters.Png(5, 5);
        var client = _factory.CreateClient();

        async Task<(HttpStatusCode, string?)> Thumbnail(BlobReference blob) => await Failure(await client.PostAsJsonAsync("/thumbnail", blob, ContractJson.Options));

        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Unsupported), await Thumbnail(new("images", "notes.txt")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Corrupt), await Thumbnail(new("images", "cut.jpg")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Empty), await Thumbnail(new("images", "empty.gif")));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, FailureClass.TooLarge), await Thumbnail(new("images", "big.png")));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, FailureClass.TooLarge), await Thumbnail(new("images", "bomb.png")));
        Assert.Equal((HttpStatusCode.NotFound, FailureClass.NotFound), await Thumbnail(new("images", "missing.jpg")));
        Assert.Equal((HttpStatusCode.NotFound, FailureClass.NotFound), await Thumbnail(new("images", "x.png", "sha256:00")));
        Assert.Equal((HttpStatusCode.NotFound, FailureClass.NotFound), await Thumbnail(new("thumbnails", "x.png")));
        Assert.Empty(_storage.Thumbnails);

        _storage.Failing.Add(DaprTopology.Components.Thumbnails);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await Thumbnail(new("images", "x.png")));
        _storage.Unreachable = true;
        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await Thumbnail(new("images", "x.png")));
    }

    [Fact]
    public async Task A_malformed_request_is_a_bad_request()
    {
        var client = _factory.CreateClient();

        var response = await client.PostAsync("/thumbnail", new StringContent("{\"name\":\"a.jpg\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Thumbnails_share_extraction_s_in_flight_budget_and_answer_503_with_retry_after_when_it_is_full()
    {
        using var factory = Create(new() { ["Extraction:MaxPixels"] = "100000", ["Extraction:MaxBytesInFlight"] = "3000000", ["Extraction:RetryAfterSeconds"] = "9" });
        var client = factory.CreateClient();
        var budget = factory.Services.GetRequiredService<ImageInspector>().Budget;
        _storage.Files["small.png"] = ImageWriters.Png(20, 20);

        HttpResponseMessage busy;
        using (budget.TryHold(budget.Capacity - 100, wait: false))
        {
            busy = await client.PostAsJsonAsync("/thumbnail", new BlobReference("images", "small.png"), ContractJson.Options);
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, FailureClass.Unavailable), await Failure(busy));
        Assert.Equal(TimeSpan.FromSeconds(9), busy.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/thumbnail", new BlobReference("images", "small.png"), ContractJson.Options)).StatusCode);
        Assert.Equal(0, budget.Held);
    }
}
