using System.Security.Cryptography;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The single streaming pass (hashed, the default) and the header-facts scan (<c>--no-hash</c>) against the
/// in-memory inspection: the same facts for every kind of test image, a hash only when hashing, and a
/// header-facts scan that never reads past what the facts need.
/// </summary>
public sealed class ScanModeTests
{
    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    /// <summary>Every kind of image the tests make, small ones (read in one chunk) and large ones (head much shorter than the file).</summary>
    public static TheoryData<string> Images() =>
    [
        "jpeg", "jpeg-exif", "jpeg-rotated", "jpeg-gray", "png", "png-alpha", "webp", "bmp", "gif", "gif-animated", "webp-animated",
        "ico", "wbmp", "large-jpeg-exif", "large-png", "large-webp", "large-bmp", "large-gif-animated",
    ];

    internal static byte[] Make(string kind) => kind switch
    {
        "jpeg" => ImageWriters.Jpeg(64, 48),
        "jpeg-exif" => ImageWriters.WithExif(ImageWriters.Jpeg(30, 20), new ImageWriters.ExifTags(Make: "Acme", Model: "One", Gps: (48.2, 16.37, 180))),
        "jpeg-rotated" => ImageWriters.WithExif(ImageWriters.Jpeg(60, 20), new ImageWriters.ExifTags(Orientation: 6)),
        "jpeg-gray" => Gray(),
        "png" => ImageWriters.Png(33, 17),
        "png-alpha" => ImageWriters.Png(8, 8, alpha: true),
        "webp" => ImageWriters.Webp(40, 30),
        "bmp" => ImageWriters.Bmp(13, 7),
        "gif" => ImageWriters.Gif(20, 10),
        "gif-animated" => ImageWriters.Gif(16, 12, 5),
        "webp-animated" => ImageWriters.AnimatedWebp(16, 12, 3),
        "ico" => ImageWriters.Ico(32),
        "wbmp" => ImageWriters.Wbmp(19, 9),
        "large-jpeg-exif" => ImageWriters.WithExif(HostileImages.Noise(SKEncodedImageFormat.Jpeg, 1600, 1200), new ImageWriters.ExifTags(Make: "Acme", Orientation: 8)),
        "large-png" => HostileImages.Noise(SKEncodedImageFormat.Png, 700, 500),
        "large-webp" => HostileImages.Noise(SKEncodedImageFormat.Webp, 1200, 900),
        "large-bmp" => ImageWriters.Bmp(900, 700),
        "large-gif-animated" => ImageWriters.Gif(400, 300, 40),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Images))]
    public async Task Both_modes_give_the_facts_of_the_in_memory_inspection_and_only_hashing_gives_a_hash(string kind)
    {
        var bytes = Make(kind);

        var inMemory = _inspector.Inspect(bytes);
        var hashed = await _inspector.ScanAsync(new MemoryStream(bytes));
        var headerOnly = await _inspector.ScanAsync(new MemoryStream(bytes), hash: false);

        Assert.True(inMemory.Succeeded, inMemory.Failure?.Message);
        Assert.Equal(inMemory.Value, hashed.Value);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), hashed.Value?.Sha256);
        Assert.Equal(inMemory.Value with { Sha256 = null, Verified = false }, headerOnly.Value);
    }

    [Theory]
    [InlineData("large-jpeg-exif")]
    [InlineData("large-png")]
    [InlineData("large-webp")]
    [InlineData("large-bmp")]
    public async Task A_header_facts_scan_reads_nothing_past_the_header_so_an_unreadable_tail_still_scans(string kind)
    {
        var bytes = Make(kind);
        Assert.True(bytes.Length > 512 * 1024, $"{kind} is {bytes.Length} bytes: too small to show anything");
        var expected = _inspector.Inspect(bytes).Value! with { Sha256 = null };

        var headerOnly = await _inspector.ScanAsync(new UnreadableTailStream(bytes, readable: 64 * 1024), hash: false);

        Assert.Equal(expected, headerOnly.Value);
        Assert.Null(headerOnly.Value!.Sha256);
        Assert.False(headerOnly.Value.Verified);
        Assert.Equal(bytes.Length, headerOnly.Value.ByteSize);
        // The hashed pass must read every byte, so the same stream fails it: proof the tail is really unreadable.
        await Assert.ThrowsAsync<IOException>(() => _inspector.ScanAsync(new UnreadableTailStream(bytes, readable: 64 * 1024)));
    }

    [Theory]
    [InlineData("metadata-extractor-images/exif-at-eof.heic")]
    [InlineData("metadata-extractor-images/Issue-263-dotnet.heic")]
    [InlineData("metadata-extractor-images/Issue-649.avif")]
    [InlineData("metadata-extractor-images/Issue-487.heic")]
    public async Task A_header_facts_scan_of_a_heif_seeks_to_its_exif_item_instead_of_reading_the_tiles_before_it(string file)
    {
        // iPhones put the meta box first and the EXIF item's data after megabytes of image tiles; Samsung's S10+ puts its
        // meta box after the 1.6 MB of tiles, and the EXIF item just before that meta box.
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", file));
        var expected = _inspector.Inspect(bytes).Value! with { Sha256 = null };
        var stream = new CountingStream(bytes);

        var headerOnly = await _inspector.ScanAsync(stream, hash: false);
        var hashed = await _inspector.ScanAsync(new CountingStream(bytes));

        Assert.Equal(expected, headerOnly.Value);
        Assert.Equal(expected, hashed.Value! with { Sha256 = null });
        Assert.NotNull(headerOnly.Value!.Exif?.CameraModel);
        Assert.True(stream.BytesRead <= 96 * 1024, $"{stream.BytesRead} of {bytes.Length} bytes read");
    }

    [Fact]
    public async Task A_heif_whose_meta_box_follows_its_media_data_is_read_by_box_headers_even_with_its_tiles_unreadable()
    {
        // The Samsung file with the bytes of its mdat made unreadable: a header-facts scan that only seeks over them
        // still answers, with the EXIF item read from just before the meta box.
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", "metadata-extractor-images/Issue-487.heic"));
        var expected = _inspector.Inspect(bytes).Value! with { Sha256 = null };
        var stream = new HoleStream(bytes, holeStart: 64, holeEnd: 1_500_000);

        var headerOnly = await _inspector.ScanAsync(stream, hash: false);

        Assert.True(headerOnly.Succeeded, headerOnly.Failure?.Message);
        Assert.Equal(expected, headerOnly.Value);
        Assert.Equal(("samsung", "SM-G975F"), (headerOnly.Value.Exif?.CameraMake, headerOnly.Value.Exif?.CameraModel));
        await Assert.ThrowsAsync<IOException>(() => _inspector.ScanAsync(new HoleStream(bytes, holeStart: 64, holeEnd: 1_500_000)));
    }

    [Fact]
    public async Task A_hashed_scan_reads_each_byte_once_in_fixed_size_reads()
    {
        var bytes = Make("large-jpeg-exif");
        var stream = new CountingStream(bytes);

        var result = await _inspector.ScanAsync(stream);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), result.Value?.Sha256);
        Assert.Equal(bytes.Length, stream.BytesRead);
        Assert.True(stream.LargestRead <= 128 * 1024, $"a read of {stream.LargestRead} bytes");
    }

    [Fact]
    public async Task A_truncated_file_found_by_the_hashed_pass_is_decoded_from_a_second_read_and_is_corrupt()
    {
        var bytes = Make("large-jpeg-exif");
        var cut = bytes[..(bytes.Length / 2)];

        var result = await _inspector.ScanAsync(new MemoryStream(cut));
        var headerOnly = await _inspector.ScanAsync(new MemoryStream(cut), hash: false);

        Assert.Equal(FailureClass.Corrupt, result.Failure?.Class);
        Assert.True(headerOnly.Succeeded, "header facts do not look past the header");
        Assert.False(headerOnly.Value.Verified);
    }

    private static byte[] Gray()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Gray);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>A seekable stream whose bytes past <c>readable</c> cannot be read (like a bad sector): reading them throws.</summary>
    private sealed class UnreadableTailStream(byte[] bytes, int readable) : MemoryStream(bytes, writable: false)
    {
        // MemoryStream sends a derived type's span reads here too.
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (count == 0 || Position >= Length)
            {
                return 0;
            }

            if (Position >= readable)
            {
                throw new IOException($"Input/output error reading at {Position} (the test's unreadable tail)");
            }

            return base.Read(buffer, offset, (int)Math.Min(count, readable - Position));
        }
    }

    /// <summary>A seekable stream with a range that cannot be read (like a bad sector): a read that touches it throws.</summary>
    private sealed class HoleStream(byte[] bytes, long holeStart, long holeEnd) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var end = Math.Min(Position + count, Length);
            if (Position < holeEnd && end > holeStart)
            {
                if (Position >= holeStart)
                {
                    throw new IOException($"Input/output error reading at {Position} (the test's unreadable range)");
                }

                count = (int)(holeStart - Position);
            }

            return base.Read(buffer, offset, count);
        }
    }

    /// <summary>Counts the bytes read through it and the largest single read.</summary>
    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public long BytesRead { get; private set; }

        public int LargestRead { get; private set; }

        // MemoryStream sends a derived type's span reads here too.
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            BytesRead += n;
            LargestRead = Math.Max(LargestRead, count);
            return n;
        }
    }
}
