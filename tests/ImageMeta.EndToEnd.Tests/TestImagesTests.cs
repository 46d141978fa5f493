using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>The generated inputs are what the scenarios assume, by the extraction core's own judgement.</summary>
public sealed class TestImagesTests
{
    [Fact]
    public void Mixed_images_all_extract_and_cover_five_formats_and_exif()
    {
        var images = TestImages.Mixed(50, seed: 9, prefix: "check");

        var results = images.Select(i => (Image: i, Result: ExtractionReference.Extract(i.Content))).ToList();

        Assert.All(results, r => Assert.True(r.Result.Metadata is not null, $"{r.Image.Name}: {r.Result.Failure}"));
        Assert.Equal(
            new[] { ImageFormats.Bmp, ImageFormats.Gif, ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.Webp },
            results.Select(r => r.Result.Metadata!.Format).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(results, r => r.Result.Metadata!.Exif?.CameraMake == "ImageMeta" && r.Result.Metadata.Orientation == 6);
    }

    [Fact]
    public void Bad_files_fail_with_the_class_the_scenarios_expect()
    {
        foreach (var image in TestImages.Bad("check"))
        {
            Assert.Equal(image.ExpectedFailureClass, ExtractionReference.Extract(image.Content).Failure?.Class);
        }
    }
}
