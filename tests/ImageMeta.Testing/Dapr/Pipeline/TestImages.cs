using System.Text;
using ImageMeta.Testing.Images;
using SkiaSharp;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>A named test file and the failure class it must end with (null = must succeed).</summary>
public sealed record TestImage(string Name, byte[] Content, string? ExpectedFailureClass = null);

/// <summary>
/// A deterministic corpus for the pipeline: JPEG (some with an EXIF block), PNG with alpha and WebP through
/// SkiaSharp's encoders; BMP and GIF from <see cref="ImageWriters"/>. Plus the bad ones: text, truncated,
/// and a decompression bomb whose header claims billions of pixels.
/// </summary>
public static class TestImages
{
    /// <summary><paramref name="count"/> images cycling through five formats, sizes varying, deterministic per seed.</summary>
    public static IReadOnlyList<TestImage> Mixed(int count, int seed, string prefix)
    {
        var random = new Random(seed);
        var images = new List<TestImage>(count);
        for (var i = 0; i < count; i++)
        {
            var width = random.Next(8, 320);
            var height = random.Next(8, 240);
            var color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(64, 256));
            var (extension, content) = (i % 5) switch
            {
                0 => ("jpg", Jpeg(width, height, color, exif: i % 10 == 0 ? (Orientation: (ushort)(i % 20 == 0 ? 6 : 1), Make: "ImageMeta", Model: $"Test {i}") : null)),
                1 => ("png", Encode(width, height, color, SKEncodedImageFormat.Png, 100)),
                2 => ("webp", Encode(width, height, color, SKEncodedImageFormat.Webp, 80)),
                3 => ("bmp", ImageWriters.Bmp(width, height)),
                _ => ("gif", ImageWriters.Gif(width, height, frames: 1 + random.Next(3))),
            };
            images.Add(new TestImage($"{prefix}-{i:D4}.{extension}", content));
        }

        return images;
    }

    /// <summary>Files that must fail without retries, each with its class.</summary>
    public static IReadOnlyList<TestImage> Bad(string prefix)
    {
        var png = Encode(64, 48, SKColors.CornflowerBlue, SKEncodedImageFormat.Png, 100);
        return
        [
            new($"{prefix}-notes.txt", Encoding.UTF8.GetBytes("These are notes, not an image.\nSecond line.\n"), "unsupported"),
            new($"{prefix}-truncated.png", png[..20], "corrupt"),
            new($"{prefix}-bomb.png", ImageWriters.PngHeaderOnly(60_000, 60_000), "too-large"),
        ];
    }

    public static byte[] Encode(int width, int height, SKColor color, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color);
            using var paint = new SKPaint { Color = new SKColor((byte)(255 - color.Red), color.Green, color.Blue, 255) };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A JPEG, optionally with an EXIF block (Make, Model, Orientation) right after SOI.</summary>
    public static byte[] Jpeg(int width, int height, SKColor color, (ushort Orientation, string Make, string Model)? exif)
    {
        var jpeg = Encode(width, height, color, SKEncodedImageFormat.Jpeg, 85);
        return exif is { } tags
            ? ImageWriters.WithExif(jpeg, new ImageWriters.ExifTags(Orientation: tags.Orientation, Make: tags.Make, Model: tags.Model))
            : jpeg;
    }
}
