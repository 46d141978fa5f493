using System.Net;
using System.Net.Http.Json;
using ImageMagick;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Mvc.Testing;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The fallback decoder through the service: <c>POST /thumbnail</c> and <c>POST /analyze</c> for formats SkiaSharp does
/// not decode, with <c>Thumbnails:FallbackDecoder</c> on and off. Where an answer needs the inspector's header reader for
/// the format, a build whose inspector still answers "does not read yet" skips with that reason named.
/// </summary>
public sealed class FallbackServiceTests : IDisposable
{
    private readonly LocalStorageInvokerFake _storage = new();
    private readonly List<WebApplicationFactory<Program>> _factories = [];

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }
    }

    private HttpClient Client(bool fallback)
    {
        var factory = ExtractorServiceHost.Create(_storage, 20_000_000, new Dictionary<string, string?> { ["Thumbnails:FallbackDecoder"] = fallback ? "true" : "false" });
        _factories.Add(factory);
        return factory.CreateClient();
    }

    private static byte[] TurnedTiff()
    {
        using var picture = FallbackSamples.MarkedCorner();
        return FallbackSamples.Written(picture, MagickFormat.Tiff, Orientation.RightTop);
    }

    private static async Task<ImageAnalysis> Analyze(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/" + DaprTopology.Methods.Analyze, new BlobReference("images", name), ContractJson.Options);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ImageAnalysis>(ContractJson.Options))!;
    }

    /// <summary>Skips, naming the format, while the inspector has no header reader for it (it answers "does not read ... yet").</summary>
    private static void RequireReader(ImageAnalysis analysis, string format) =>
        Skip.If(
            analysis.Failure is { Class: FailureClass.Unsupported } failure && failure.Message.Contains("does not read", StringComparison.Ordinal),
            $"The inspector has no {format} header reader in this build yet ({analysis.Failure?.Message}); this test needs it.");

    [Fact]
    public async Task Thumbnail_of_a_tiff_is_made_and_turned_by_its_orientation_tag()
    {
        _storage.Files["scan.tif"] = TurnedTiff();

        var response = await Client(fallback: true).PostAsJsonAsync("/" + DaprTopology.Methods.Thumbnail, new BlobReference("images", "scan.tif"), ContractJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var thumbnail = (await response.Content.ReadFromJsonAsync<ImageThumbnail>(ContractJson.Options))!;
        Assert.Equal((60, 80), (thumbnail.Width, thumbnail.Height));
        using var shown = SKBitmap.Decode(_storage.Thumbnails[thumbnail.Name]);
        Assert.True(shown.GetPixel(shown.Width - 8, 8).Red > 180, "the red corner is not at the top right");
    }

    [SkippableFact]
    public async Task Thumbnail_of_a_heic_is_made_through_the_service()
    {
        using var picture = FallbackSamples.MarkedCorner();
        _storage.Files["phone.heic"] = FallbackSamples.WithTransforms(FallbackSamples.Heic(FallbackSamples.Png(picture)), irot: 3, imir: null);

        var response = await Client(fallback: true).PostAsJsonAsync("/" + DaprTopology.Methods.Thumbnail, new BlobReference("images", "phone.heic"), ContractJson.Options);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var thumbnail = (await response.Content.ReadFromJsonAsync<ImageThumbnail>(ContractJson.Options))!;
        Assert.Equal((60, 80), (thumbnail.Width, thumbnail.Height));
    }

    [Fact]
    public async Task With_the_fallback_decoder_off_thumbnail_answers_422_unsupported()
    {
        _storage.Files["scan.tif"] = TurnedTiff();

        var response = await Client(fallback: false).PostAsJsonAsync("/" + DaprTopology.Methods.Thumbnail, new BlobReference("images", "scan.tif"), ContractJson.Options);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, FailureClass.Unsupported), await ExtractorServiceHost.FailureAsync(response));
        Assert.Empty(_storage.Thumbnails);
    }

    [SkippableFact]
    public async Task With_the_fallback_decoder_off_analyze_keeps_the_metadata_and_the_thumbnail_fails_unsupported()
    {
        _storage.Files["scan.tif"] = TurnedTiff();

        var analysis = await Analyze(Client(fallback: false), "scan.tif");

        Assert.Equal(FailureClass.Unsupported, analysis.ThumbnailFailure?.Class);
        RequireReader(analysis, "TIFF");
        Assert.Equal(ImageFormats.Tiff, analysis.Metadata?.Format);
        Assert.Contains("Thumbnails:FallbackDecoder", analysis.ThumbnailFailure!.Message, StringComparison.Ordinal);
        Assert.Empty(_storage.Thumbnails);
    }

    [SkippableFact]
    public async Task Analyze_of_a_tiff_gives_its_metadata_and_a_thumbnail_shown_the_same_way()
    {
        _storage.Files["scan.tif"] = TurnedTiff();

        var analysis = await Analyze(Client(fallback: true), "scan.tif");

        RequireReader(analysis, "TIFF");
        Assert.Equal((ImageFormats.Tiff, 60, 80), (analysis.Metadata!.Format, analysis.Metadata.DisplayWidth, analysis.Metadata.DisplayHeight));
        Assert.Equal((60, 80), (analysis.Thumbnail!.Width, analysis.Thumbnail.Height));
    }
}
