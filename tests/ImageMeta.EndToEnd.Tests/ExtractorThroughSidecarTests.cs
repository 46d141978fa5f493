using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The real extractor process behind its sidecar double, called the way the workflow's
/// ExtractMetadata activity calls it: service invocation of <c>extract</c> with a blob reference, the
/// blob read back through the <c>images</c> binding (localstorage) by the extractor itself.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ExtractorThroughSidecarTests : IAsyncLifetime
{
    private readonly SidecarNetwork _network = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private SidecarDouble _caller = null!;
    private ServiceProcess _extractor = null!;

    public async Task InitializeAsync()
    {
        var port = LoopbackPorts.Free();
        var sidecar = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Extractor, AppPort = port, AppApiToken = "extractor-app-token" });
        _caller = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free() });
        var dll = RepositoryLayout.ServiceAssembly(DaprTopology.AppIds.Extractor, PipelineFixture.Configuration);
        var env = new Dictionary<string, string>(sidecar.AppEnvironment())
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["Blobs__BindingType"] = "localstorage",
            ["Blobs__LocalRootPath"] = _network.Images.RootPath,
            ["Telemetry__ZipkinEndpoint"] = string.Empty,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        _extractor = new ServiceProcess(DaprTopology.AppIds.Extractor, "dotnet", [dll], Path.GetDirectoryName(dll)!, port, env);
        await _extractor.StartAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _extractor.DisposeAsync();
        await _network.DisposeAsync();
        _http.Dispose();
    }

    [Fact]
    public async Task Good_images_answer_the_extraction_core_s_metadata_and_bad_ones_a_permanent_4xx_class()
    {
        var images = TestImages.Mixed(10, seed: 21, prefix: "direct").Concat(TestImages.Bad("direct")).ToList();
        foreach (var image in images)
        {
            await File.WriteAllBytesAsync(Path.Combine(_network.Images.RootPath, image.Name), image.Content);
        }

        foreach (var image in images)
        {
            using var response = await ExtractAsync(new BlobReference("images", image.Name));
            var body = await response.Content.ReadAsStringAsync();
            var expected = ExtractionReference.Extract(image.Content);
            if (image.ExpectedFailureClass is null)
            {
                Assert.True(response.IsSuccessStatusCode, $"{image.Name}: {(int)response.StatusCode} {body}\n{_extractor.RecentOutput}");
                Assert.Equal(
                    JsonSerializer.Serialize(expected.Metadata, ContractJson.Options),
                    JsonSerializer.Serialize(JsonSerializer.Deserialize<ImageMetadata>(body, ContractJson.Options), ContractJson.Options));
            }
            else
            {
                Assert.InRange((int)response.StatusCode, 400, 499);
                var failureClass = FailureClassOf(body);
                Assert.Equal(image.ExpectedFailureClass, failureClass);
                Assert.Equal(expected.Failure?.Class, failureClass);
            }
        }

        // One invocation per image, each through both doubles, with the app token added by the extractor's sidecar.
        Assert.Equal(images.Count, _network.Invocations.To(DaprTopology.AppIds.Extractor, DaprTopology.Methods.Extract).Count);
    }

    [Fact]
    public async Task A_missing_blob_is_a_not_found_failure_not_a_server_error()
    {
        using var response = await ExtractAsync(new BlobReference("images", "does/not/exist.png"));

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal(FailureClass.NotFound, FailureClassOf(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_thumbnail_is_written_as_webp_into_the_thumbnails_folder_and_nothing_into_images()
    {
        var photo = ImageWriters.WithExif(PhotoLikeImages.Encoded(31, 2048, 1536), new ImageWriters.ExifTags(Orientation: 8));
        var bomb = TestImages.Bad("thumb").Single(i => i.ExpectedFailureClass == FailureClass.TooLarge);
        await File.WriteAllBytesAsync(Path.Combine(_network.Images.RootPath, "photo.jpg"), photo);
        await File.WriteAllBytesAsync(Path.Combine(_network.Images.RootPath, bomb.Name), bomb.Content);
        var blob = new BlobReference("images", "photo.jpg", BlobVersions.FromContentHash(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo))));

        using var response = await InvokeAsync(DaprTopology.Methods.Thumbnail, blob);
        using var refused = await InvokeAsync(DaprTopology.Methods.Thumbnail, new BlobReference("images", bomb.Name));

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}\n{_extractor.RecentOutput}");
        var thumbnail = JsonSerializer.Deserialize<ImageThumbnail>(body, ContractJson.Options)!;
        Assert.Equal((ImageThumbnail.NameFor(blob.ImageId), 240, 320), (thumbnail.Name, thumbnail.Width, thumbnail.Height));
        var written = Assert.Single(Directory.GetFiles(_network.Thumbnails.RootPath, "*", SearchOption.AllDirectories));
        Assert.Equal(thumbnail.Name, Path.GetFileName(written));
        var webp = await File.ReadAllBytesAsync(written);
        Assert.Equal((thumbnail.Bytes, "WEBP"), (webp.LongLength, System.Text.Encoding.ASCII.GetString(webp, 8, 4)));
        Assert.Equal(["photo.jpg", bomb.Name], Directory.GetFiles(_network.Images.RootPath, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(FailureClass.TooLarge, FailureClassOf(await refused.Content.ReadAsStringAsync()));
        Assert.InRange((int)refused.StatusCode, 400, 499);
    }

    [Fact]
    public async Task The_extractor_refuses_calls_that_bypass_its_sidecar()
    {
        using var direct = await _http.PostAsJsonAsync(new Uri(_extractor.BaseAddress, DaprTopology.Methods.Extract), new BlobReference("images", "x.png"), ContractJson.Options);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, direct.StatusCode);
    }

    /// <summary>The extractor answers failures as problem details with the class in <c>failureClass</c>.</summary>
    private static string? FailureClassOf(string problemJson)
    {
        using var problem = JsonDocument.Parse(problemJson);
        return problem.RootElement.TryGetProperty("failureClass", out var value) ? value.GetString() : null;
    }

    private Task<HttpResponseMessage> ExtractAsync(BlobReference blob) => InvokeAsync(DaprTopology.Methods.Extract, blob);

    private Task<HttpResponseMessage> InvokeAsync(string method, BlobReference blob) =>
        _http.PostAsJsonAsync(
            new Uri($"{_caller.HttpEndpoint}/v1.0/invoke/{DaprTopology.AppIds.Extractor}/method/{method}"),
            blob,
            ContractJson.Options);
}
