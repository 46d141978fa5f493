using System.Security.Cryptography;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

public sealed class FormatTests
{
    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    public static TheoryData<string, string, int, int, int> StillImages() => new()
    {
        { "jpeg", ImageFormats.Jpeg, 64, 48, 1 },
        { "png", ImageFormats.Png, 33, 17, 1 },
        { "webp", ImageFormats.Webp, 40, 30, 1 },
        { "bmp", ImageFormats.Bmp, 13, 7, 1 },
        { "gif", ImageFormats.Gif, 20, 10, 1 },
        { "gif-animated", ImageFormats.Gif, 16, 12, 5 },
        { "webp-animated", ImageFormats.Webp, 16, 12, 3 },
        { "ico", ImageFormats.Ico, 32, 32, 1 },
        { "wbmp", ImageFormats.Wbmp, 19, 9, 1 },
    };

    [Theory]
    [InlineData("IIRO")]
    [InlineData("IIRS")]
    [InlineData("MMOR")]
    [InlineData("MMSR")]
    public void Every_olympus_byte_order_and_identifier_is_an_orf(string magic)
    {
        byte[] head = [.. System.Text.Encoding.ASCII.GetBytes(magic), 0, 0, 0, 8];
        Assert.Equal(ImageFormats.Orf, ContainerSignature.Detect(head).ImageFormat);
    }

    private static byte[] Make(string kind, int width, int height, int frames) => kind switch
    {
        "jpeg" => ImageWriters.Jpeg(width, height),
        "png" => ImageWriters.Png(width, height),
        "webp" => ImageWriters.Webp(width, height),
        "bmp" => ImageWriters.Bmp(width, height),
        "gif" or "gif-animated" => ImageWriters.Gif(width, height, frames),
        "webp-animated" => ImageWriters.AnimatedWebp(width, height, frames),
        "ico" => ImageWriters.Ico(width),
        "wbmp" => ImageWriters.Wbmp(width, height),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Fact]
    public void An_animated_png_counts_the_frames_its_actl_chunk_declares()
    {
        // APNG: an acTL chunk (frame count, plays) before IDAT; Skia's PNG codec ignores it and says one frame.
        var png = ImageWriters.Png(12, 10);
        byte[] actl = [0, 0, 0, 8, .. "acTL"u8, 0, 0, 0, 41, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] animated = [.. png.AsSpan(0, 33), .. actl, .. png.AsSpan(33)];

        var result = _inspector.Inspect(animated);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal((ImageFormats.Png, 41), (result.Value.Format, result.Value.FrameCount));
        Assert.Equal(1, _inspector.Inspect(png).Value?.FrameCount);
    }

    [Theory]
    [MemberData(nameof(StillImages))]
    public void Reads_format_size_and_frames_from_the_header(string kind, string format, int width, int height, int frames)
    {
        var bytes = Make(kind, width, height, frames);

        var result = _inspector.Inspect(bytes);

        Assert.True(result.Succeeded, result.Failure?.Message);
        var m = result.Value;
        Assert.Equal(format, m.Format);
        Assert.Equal(ImageFormats.MediaType(format), m.MimeType);
        Assert.Equal((width, height), (m.Width, m.Height));
        Assert.Equal((width, height), (m.DisplayWidth, m.DisplayHeight));
        Assert.Equal(frames, m.FrameCount);
        Assert.Equal(bytes.Length, m.ByteSize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), m.Sha256);
        Assert.Equal(1, m.Orientation);
        Assert.False(m.Verified);
    }

    [Theory]
    [MemberData(nameof(StillImages))]
    public void Verify_decodes_every_frame_of_intact_data(string kind, string format, int width, int height, int frames)
    {
        var result = _inspector.Inspect(Make(kind, width, height, frames), verify: true);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(format, result.Value.Format);
        Assert.True(result.Value.Verified);
    }

    [Fact]
    public void Format_comes_from_the_bytes_not_the_name()
    {
        var png = ImageWriters.Png(10, 10);

        var result = _inspector.Inspect(png);

        Assert.Equal(ImageFormats.Png, result.Value?.Format);
    }

    [Fact]
    public void Alpha_is_reported_when_the_image_has_transparency()
    {
        Assert.True(_inspector.Inspect(ImageWriters.Png(8, 8, alpha: true)).Value?.HasAlpha);
        Assert.False(_inspector.Inspect(ImageWriters.Jpeg(8, 8)).Value?.HasAlpha);
    }

    [Fact]
    public void Grayscale_jpeg_reports_a_gray_color_type()
    {
        var info = new SKImageInfo(16, 16, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        bitmap.Erase(SKColors.Gray);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);

        var result = _inspector.Inspect(data.ToArray());

        Assert.Equal("gray8", result.Value?.ColorType);
    }

    [Fact]
    public async Task Streams_and_files_give_the_same_answer_as_memory()
    {
        var bytes = ImageWriters.WithExif(ImageWriters.Jpeg(30, 20), new ImageWriters.ExifTags(Make: "Acme"));
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, bytes);
            var fromMemory = _inspector.Inspect(bytes).Value;
            var fromFile = (await _inspector.InspectFileAsync(path)).Value;
            var fromStream = (await _inspector.InspectAsync(new NonSeekableStream(bytes))).Value;

            Assert.NotNull(fromMemory);
            Assert.Equal(fromMemory, fromFile);
            Assert.Equal(fromMemory, fromStream);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A stream that cannot report its length, like a network body.</summary>
    internal sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
