using System.Buffers.Binary;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary>The thumbnail renderer on its own: size bound, orientation, scaled decoding, limits and failure classes.</summary>
public sealed class ThumbnailRendererTests
{
    internal static ThumbnailRenderer Renderer(ExtractionOptions? limits = null, ThumbnailOptions? options = null, long budget = 1L << 30) =>
        new(limits ?? new ExtractionOptions(), options ?? new ThumbnailOptions(), new InFlightBudget(budget));

    internal static RenderedThumbnail Rendered(byte[] content, ThumbnailRenderer? renderer = null)
    {
        var result = (renderer ?? Renderer()).Render(content);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Value;
    }

    private static SKBitmap DecodeWebp(byte[] webp)
    {
        Assert.Equal("RIFF", Encoding.ASCII.GetString(webp, 0, 4));
        Assert.Equal("WEBP", Encoding.ASCII.GetString(webp, 8, 4));
        return SKBitmap.Decode(webp);
    }

    [Theory]
    [InlineData(4000, 3000, 320, 240)]
    [InlineData(1152, 864, 320, 240)]
    [InlineData(300, 1000, 96, 320)]
    [InlineData(641, 320, 320, 160)]
    [InlineData(320, 200, 320, 200)]
    [InlineData(100, 50, 100, 50)]
    [InlineData(1, 1, 1, 1)]
    public void The_long_side_is_at_most_320_and_small_images_are_never_enlarged(int width, int height, int expectedWidth, int expectedHeight)
    {
        var thumbnail = Rendered(PhotoLikeImages.Encoded(3, width, height, SKEncodedImageFormat.Jpeg, 85));

        Assert.Equal((expectedWidth, expectedHeight), (thumbnail.Width, thumbnail.Height));
        using var decoded = DecodeWebp(thumbnail.Webp);
        Assert.Equal((expectedWidth, expectedHeight), (decoded.Width, decoded.Height));
    }

    [Theory]
    [InlineData(6000, 4000, 2250, 1500)] // 3/8 of a 24 MP photo already covers the 1600 px preview
    [InlineData(4000, 3000, 2000, 1500)] // 4/8: 3/8 (1500×1125) would have to be enlarged
    [InlineData(2048, 1536, 1792, 1344)] // 7/8
    [InlineData(1152, 864, 1152, 864)]   // smaller than the preview: decoded whole, never enlarged
    public void A_large_jpeg_is_decoded_at_the_smallest_dct_scale_that_still_covers_the_preview(int width, int height, int decodedWidth, int decodedHeight)
    {
        var thumbnail = Rendered(PhotoLikeImages.Encoded(4, width, height, SKEncodedImageFormat.Jpeg, 85));

        Assert.Equal(new SKSizeI(width, height), thumbnail.SourceSize);
        Assert.Equal(new SKSizeI(decodedWidth, decodedHeight), thumbnail.DecodedSize);
    }

    [Fact]
    public void A_webp_is_decoded_at_the_preview_size_and_a_png_whole()
    {
        var webp = Rendered(PhotoLikeImages.Encoded(5, 3200, 2400, SKEncodedImageFormat.Webp, 80));
        var png = Rendered(PhotoLikeImages.Encoded(5, 1000, 750, SKEncodedImageFormat.Png, 100));

        Assert.Equal(new SKSizeI(1600, 1200), webp.DecodedSize);
        Assert.Equal((320, 240, 640, 480, 1600, 1200), (webp.Width, webp.Height, webp.Large!.Width, webp.Large.Height, webp.Preview!.Width, webp.Preview.Height));
        Assert.Equal(new SKSizeI(1000, 750), png.DecodedSize);
        Assert.Equal((320, 240), (png.Width, png.Height));
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(3, true, true)]
    [InlineData(4, false, true)]
    [InlineData(5, false, false)]
    [InlineData(6, true, false)]
    [InlineData(7, true, true)]
    [InlineData(8, false, true)]
    public void The_exif_orientation_is_applied(int orientation, bool redOnTheRight, bool redAtTheBottom)
    {
        // Stored: 80×60, red top-left quadrant on blue. Shown per TIFF tag 274, the red corner moves.
        using var bitmap = new SKBitmap(new SKImageInfo(80, 60, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Blue);
            using var red = new SKPaint { Color = SKColors.Red };
            canvas.DrawRect(0, 0, 40, 30, red);
        }

        var jpeg = ImageWriters.WithExif(PhotoLikeImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 95), new ImageWriters.ExifTags(Orientation: orientation));

        var thumbnail = Rendered(jpeg);

        var turned = orientation >= 5;
        Assert.Equal(turned ? (60, 80) : (80, 60), (thumbnail.Width, thumbnail.Height));
        using var shown = DecodeWebp(thumbnail.Webp);
        var x = redOnTheRight ? shown.Width - 8 : 8;
        var y = redAtTheBottom ? shown.Height - 8 : 8;
        Assert.True(shown.GetPixel(x, y).Red > 200, $"({x},{y}) is {shown.GetPixel(x, y)}, not red");
        Assert.True(shown.GetPixel(shown.Width - 1 - x, shown.Height - 1 - y).Blue > 200, "the opposite corner is not blue");
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_before_any_pixel_buffer()
    {
        // The budget holds the content and nothing more: any decode buffer would be refused as "busy" instead.
        var png = ImageWriters.PngHeaderOnly(60_000, 60_000);
        var jpeg = JpegDeclaring(PhotoLikeImages.Encoded(6, 64, 48), 65_000, 65_000);
        var renderer = Renderer(new ExtractionOptions { WhenBusy = BusyPolicy.Refuse }, budget: jpeg.Length + png.Length);

        foreach (var bomb in new[] { png, jpeg })
        {
            var failure = renderer.Render(bomb).Failure;

            Assert.Equal(FailureClass.TooLarge, failure?.Class);
            Assert.Contains("pixels", failure!.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, renderer.Budget.Held);
    }

    [Fact]
    public void Bad_content_fails_with_the_same_classes_as_extraction()
    {
        var renderer = Renderer(new ExtractionOptions { MaxBytes = 100_000 });
        byte[] heif = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, 0, 0, 0, 8, .. "meta"u8];
        var jpeg = PhotoLikeImages.Encoded(7, 200, 150, SKEncodedImageFormat.Jpeg, 90);

        Assert.Equal(FailureClass.Empty, renderer.Render(Array.Empty<byte>()).Failure?.Class);
        Assert.Equal(FailureClass.Unsupported, renderer.Render(Encoding.UTF8.GetBytes("just some notes\n")).Failure?.Class);
        Assert.Equal(FailureClass.Corrupt, renderer.Render(heif).Failure?.Class); // a HEIF header with nothing in it
        Assert.Equal(FailureClass.Corrupt, renderer.Render(jpeg.AsMemory(0, jpeg.Length / 2)).Failure?.Class);
        Assert.Equal(FailureClass.Corrupt, renderer.Render(ImageWriters.Png(64, 48).AsMemory(0, 40)).Failure?.Class);
        Assert.Equal(FailureClass.TooLarge, renderer.Render(new byte[100_001]).Failure?.Class);
    }

    [Fact]
    public void Over_the_render_time_limit_the_image_fails_too_large()
    {
        var renderer = Renderer(options: new ThumbnailOptions { MaxRenderTime = TimeSpan.FromMilliseconds(1) });

        var failure = renderer.Render(PhotoLikeImages.Encoded(8, 2000, 2000, SKEncodedImageFormat.Png, 100)).Failure;

        Assert.Equal(FailureClass.TooLarge, failure?.Class);
        Assert.Contains("longer than", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void When_the_shared_budget_is_full_rendering_is_unavailable_and_holds_nothing_afterwards()
    {
        var renderer = Renderer(new ExtractionOptions { WhenBusy = BusyPolicy.Refuse }, budget: 1_000_000);
        var jpeg = PhotoLikeImages.Encoded(9, 1000, 800, SKEncodedImageFormat.Jpeg, 90);

        using (renderer.Budget.TryHold(999_000, wait: false))
        {
            Assert.Equal(FailureClass.Unavailable, renderer.Render(jpeg).Failure?.Class);
        }

        Assert.True(renderer.Render(jpeg).Succeeded);
        Assert.Equal(0, renderer.Budget.Held);
    }

    [Fact]
    public void Animated_images_give_their_first_frame()
    {
        var gif = Rendered(ImageWriters.Gif(90, 70, frames: 4));
        var webp = Rendered(ImageWriters.AnimatedWebp(60, 40, frames: 3));

        Assert.Equal((90, 70), (gif.Width, gif.Height));
        Assert.Equal((60, 40), (webp.Width, webp.Height));
    }

    [Fact]
    public void Transparency_is_kept()
    {
        var thumbnail = Rendered(ImageWriters.Png(64, 48, alpha: true));

        using var shown = DecodeWebp(thumbnail.Webp);
        Assert.NotEqual(SKAlphaType.Opaque, shown.AlphaType);
        Assert.True(shown.GetPixel(0, 5).Alpha < 16, $"{shown.GetPixel(0, 5)}");
    }

    [Fact]
    public void Rendering_the_same_content_again_gives_the_same_bytes_and_hash()
    {
        var jpeg = PhotoLikeImages.Encoded(10, 1600, 1200);

        var first = Rendered(jpeg);
        var second = Rendered(jpeg);

        Assert.Equal(first.Webp, second.Webp);
        Assert.Equal(first.PerceptualHash, second.PerceptualHash);
        var id = ImageId.For("images", "a.jpg", "v1");
        Assert.Equal(first.ToContract(id), second.ToContract(id));
        Assert.Equal(id.Value + ".webp", first.ToContract(id).Name);
    }

    /// <summary>The JPEG with the height and width of its frame header (SOFn) replaced.</summary>
    private static byte[] JpegDeclaring(byte[] jpeg, int width, int height)
    {
        var copy = jpeg.ToArray();
        var at = 2;
        while (copy[at] == 0xFF && copy[at + 1] is not (0xC0 or 0xC1 or 0xC2))
        {
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(at + 2));
        }

        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at + 7), (ushort)width);
        return copy;
    }
}
