using System.Diagnostics;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;

namespace ImageMeta.Extractor.Tests;

/// <summary>Hostile and broken input: each gets its exact failure class, quickly, without a memory spike.</summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private const long MemoryBound = 64L * 1024 * 1024;

    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    private string ClassOf(byte[] bytes, bool verify = false)
    {
        var before = Process.GetCurrentProcess().WorkingSet64;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();

        var result = _inspector.Inspect(bytes, verify);

        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.True(allocated < MemoryBound + bytes.Length, $"allocated {allocated} managed bytes");
        Assert.True(grown < MemoryBound + bytes.Length, $"working set grew by {grown} bytes");
        Assert.False(result.Succeeded);
        Assert.False(string.IsNullOrWhiteSpace(result.Failure.Message));
        return result.Failure.Class;
    }

    [Fact]
    public void Zero_bytes_are_empty() => Assert.Equal(FailureClass.Empty, ClassOf([]));

    [Theory]
    [InlineData("hello, this is not a picture\n")]
    [InlineData("<!DOCTYPE html><html><body>404</body></html>")]
    [InlineData("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("%PDF-1.7\n%\u00e2\u00e3")]
    public void Text_and_documents_are_unsupported(string text)
    {
        Assert.Equal(FailureClass.Unsupported, ClassOf(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void The_message_names_what_the_content_is()
    {
        var failure = _inspector.Inspect(Encoding.UTF8.GetBytes("<html><body>hi</body></html>")).Failure;

        Assert.Contains("HTML", failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tiff_whose_first_directory_is_empty_is_corrupt_and_named()
    {
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        var failure = _inspector.Inspect(tiff).Failure;

        Assert.Equal(FailureClass.Corrupt, failure?.Class);
        Assert.Contains("TIFF", failure?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("heic")]
    [InlineData("mif1")]
    [InlineData("avif")]
    public void A_heif_or_avif_without_a_primary_item_is_corrupt_and_named(string brand)
    {
        // An ftyp and an empty meta box: the signature is HEIF's, the header names no image.
        byte[] ftyp = [0, 0, 0, 0x18, .. "ftyp"u8, .. System.Text.Encoding.ASCII.GetBytes(brand), 0, 0, 0, 0, .. "mif1heic"u8, 0, 0, 0, 12, .. "meta"u8, 0, 0, 0, 0];

        var failure = _inspector.Inspect(ftyp).Failure;

        Assert.Equal(FailureClass.Corrupt, failure?.Class);
        Assert.Contains("HEIF", failure?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RAF", new byte[] { 0x46, 0x55, 0x4A, 0x49, 0x46, 0x49, 0x4C, 0x4D, 0x43, 0x43, 0x44, 0x2D, 0x52, 0x41, 0x57, 0x20, 0x30, 0x32, 0x30, 0x31 })]
    [InlineData("CR2", new byte[] { 0x49, 0x49, 0x2A, 0, 0x10, 0, 0, 0, 0x43, 0x52, 2, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData("PSD", new byte[] { 0x38, 0x42, 0x50, 0x53, 0, 1, 0, 0, 0, 0, 0, 0 })]
    [InlineData("JPEG XL", new byte[] { 0xFF, 0x0A })]
    [InlineData("JPEG 2000", new byte[] { 0xFF, 0x4F, 0xFF, 0x51, 0, 0x29 })]
    [InlineData("Netpbm", new byte[] { (byte)'P', (byte)'6', (byte)'\n', (byte)'x' })]
    public void Formats_read_by_their_own_header_reader_are_corrupt_when_that_header_is_broken(string name, byte[] content)
    {
        var failure = _inspector.Inspect(content).Failure;

        Assert.Equal(FailureClass.Corrupt, failure?.Class);
        Assert.Contains(name, failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_that_only_happens_to_parse_as_a_wbmp_header_is_not_a_wbmp()
    {
        // Type 0, fixed header 0, 15×23: Skia's codec takes it, but 15×23 one-bit rows are 46 bytes, not 1,000.
        byte[] lookalike = [0, 0, 15, 23, .. Enumerable.Range(0, 996).Select(i => (byte)(i * 7))];
        byte[] quickTime = [0, 0, 0, 0x14, .. "ftypqt  "u8, 0, 0, 2, 0, .. "qt  "u8, 0, 0, 0, 8, .. "wide"u8, .. new byte[200]];

        Assert.Equal(FailureClass.Unsupported, ClassOf(lookalike));
        Assert.Equal(FailureClass.Unsupported, ClassOf(quickTime));
        Assert.Contains("QuickTime", _inspector.Inspect(quickTime).Failure?.Message, StringComparison.Ordinal);
        Assert.Equal(ImageFormats.Wbmp, _inspector.Inspect(ImageWriters.Wbmp(15, 23)).Value?.Format);
    }

    [Theory]
    [InlineData("MPEG-4 video", new byte[] { 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6F, 0x6D, 0, 0, 2, 0 })]
    [InlineData("Matroska", new byte[] { 0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01 })]
    [InlineData("gzip archive", new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3 })]
    [InlineData("7-Zip archive", new byte[] { 0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4 })]
    [InlineData("TrueType font", new byte[] { 0, 1, 0, 0, 0, 0x10, 0, 0x80, 0, 3 })]
    [InlineData("WOFF2 font", new byte[] { 0x77, 0x4F, 0x46, 0x32, 0, 1, 0, 0 })]
    [InlineData("Microsoft Office document", new byte[] { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0 })]
    public void Non_images_are_unsupported_and_named_by_what_they_are(string name, byte[] head)
    {
        byte[] content = [.. head, .. new byte[300]];

        var failure = _inspector.Inspect(content).Failure;

        Assert.Equal(FailureClass.Unsupported, failure?.Class);
        Assert.Contains(name, failure?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_are_unsupported()
    {
        var random = new byte[4096];
        new Random(42).NextBytes(random);
        random[0] = 0x13; // not accidentally a signature

        Assert.Equal(FailureClass.Unsupported, ClassOf(random));
    }

    public static TheoryData<string, double> Truncations() => new()
    {
        { "jpeg", 0.01 }, { "jpeg", 0.3 }, { "jpeg", 0.7 }, { "jpeg", 0.95 },
        { "png", 0.02 }, { "png", 0.5 }, { "png", 0.9 },
        { "gif", 0.03 }, { "gif", 0.5 }, { "gif", 0.9 },
    };

    [Theory]
    [MemberData(nameof(Truncations))]
    public void Truncated_files_are_corrupt(string kind, double keep)
    {
        var whole = kind switch
        {
            "jpeg" => ImageWriters.Jpeg(200, 150),
            "png" => ImageWriters.Png(200, 150),
            _ => ImageWriters.Gif(60, 40),
        };
        var cut = whole.AsSpan(0, Math.Max(8, (int)(whole.Length * keep))).ToArray();

        Assert.Equal(FailureClass.Corrupt, ClassOf(cut));
    }

    [Theory]
    [InlineData("olympus.orf", "header")]
    [InlineData("olympus.orf", "ifd0")]
    [InlineData("olympus.orf", "entries")]
    [InlineData("pentax.pef", "header")]
    [InlineData("pentax.pef", "ifd0")]
    [InlineData("pentax.pef", "entries")]
    [InlineData("samsung.srw", "ifd0")]
    [InlineData("samsung.srw", "entries")]
    [InlineData("samsung.srw", "raw-subifd")]
    public void A_synthetic_orf_pef_or_srw_cut_in_its_directories_or_declaring_too_many_entries_is_corrupt(string file, string damage)
    {
        var whole = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", "generated", file));
        var big = whole[0] == (byte)'M';
        var damaged = damage switch
        {
            "header" => whole[..12],
            "ifd0" => whole[..(8 + 2 + (12 * 3))],
            // IFD0's entry count made 65,535: more than a directory may have.
            "entries" => [.. whole[..8], .. (big ? new byte[] { 0xFF, 0xFF } : [0xFF, 0xFF]), .. whole[10..]],
            // The SRW's raw SubIFD (the one with NewSubfileType 0) cut after its first entry.
            _ => whole[..(whole.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFE, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0]) + 12)],
        };
        Assert.True(_inspector.Inspect(whole).Succeeded);

        Assert.Equal(FailureClass.Corrupt, ClassOf(damaged));
    }

    [Theory]
    [InlineData("olympus.orf")]
    [InlineData("samsung.srw")]
    public void A_synthetic_raw_whose_maker_note_points_into_itself_or_past_the_end_still_reads_quickly(string file)
    {
        // The maker note is EXIF, an annotation: damaged, it may lose camera facts, never the image or the time bound.
        var damaged = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", "generated", file));
        var olympus = file.EndsWith(".orf", StringComparison.Ordinal);
        var note = olympus ? damaged.AsSpan().IndexOf("OLYMPUS\0II"u8) : -1;
        if (olympus)
        {
            // Equipment points back at the maker note's own IFD (offsets count from the maker note), CameraSettings past the end.
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(note + 12 + 2 + (12 * 1) + 8), 12);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(note + 12 + 2 + (12 * 2) + 8), 0xFFFF_FF00);
        }
        else
        {
            // The Samsung PreviewIFD (0x0035, LONG) points at the maker note's IFD itself.
            var entry = damaged.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x35, 0, 4, 0, 1, 0, 0, 0]);
            Assert.True(entry > 0, "no PreviewIFD entry");
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(entry + 8), (uint)(entry - 2 - (12 * 3)));
        }

        var clock = Stopwatch.StartNew();
        var result = _inspector.Inspect(damaged);

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(olympus ? (4640, 3472) : (5536, 3688), (result.Value.Width, result.Value.Height));
    }

    [Theory]
    [InlineData(10000, 10000, 0.0)]
    [InlineData(200, 150, 0.5)]
    [InlineData(200, 150, 0.99)]
    public async Task A_bmp_with_less_pixel_data_than_its_header_declares_is_corrupt_in_every_mode(int width, int height, double keep)
    {
        // A BMP says how many bytes its rows take: a short file shows without decoding, as a missing end marker does.
        var whole = width * height > 1_000_000 ? ImageWriters.Bmp(1, 1) : ImageWriters.Bmp(width, height);
        if (width * height > 1_000_000)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(whole.AsSpan(18), width);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(whole.AsSpan(22), height);
        }

        var cut = whole.AsSpan(0, 54 + (int)((whole.Length - 54) * keep)).ToArray();

        Assert.Equal(FailureClass.Corrupt, ClassOf(cut));
        Assert.Equal(FailureClass.Corrupt, (await _inspector.ScanAsync(new MemoryStream(cut), hash: false)).Failure?.Class);
        Assert.True(_inspector.Inspect(whole.Length < 100 ? ImageWriters.Bmp(3, 2) : whole).Succeeded);
    }

    [Fact]
    public void A_jpeg_cut_short_with_an_end_marker_appended_is_not_verified()
    {
        var whole = ImageWriters.Jpeg(400, 300);
        var cut = whole.AsSpan(0, (int)(whole.Length * 0.3)).ToArray().Concat(new byte[] { 0xFF, 0xD9 }).ToArray();

        Assert.Equal(FailureClass.Corrupt, ClassOf(cut, verify: true));
        Assert.True(_inspector.Inspect(whole, verify: true).Value?.Verified);
    }

    [Fact]
    public void Verifying_an_animated_webp_is_linear_in_its_frames_and_has_a_time_limit()
    {
        // Through Skia's frame lookup, which is quadratic, 200,000 frames took 183 s (100,000: 25–52 s); one small decode
        // per frame takes about 12 s. The bound is a "no hang" bound with room for a loaded machine, not a timing target:
        // only the quadratic walk crosses it.
        var many = ImageWriters.AnimatedWebp(1, 1, 200_000);
        var clock = Stopwatch.StartNew();

        var verified = _inspector.Inspect(many, verify: true);

        Assert.True(verified.Succeeded, verified.Failure?.Message);
        Assert.Equal((200_000, true), (verified.Value.FrameCount, verified.Value.Verified));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"took {clock.Elapsed}");

        var limited = new ImageInspector(new ExtractionOptions { MaxDecodeTime = TimeSpan.FromMilliseconds(1) }).Inspect(many, verify: true);
        Assert.Equal(FailureClass.TooLarge, limited.Failure?.Class);
    }

    [Fact]
    public void A_known_signature_with_a_broken_header_is_corrupt()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'X', (byte)'X', (byte)'X', (byte)'X', 1, 2, 3];

        Assert.Equal(FailureClass.Corrupt, ClassOf(png));
    }

    [Theory]
    [InlineData(65500, 65500)]
    [InlineData(50000, 50000)]
    [InlineData(100_000, 1001)]
    public void A_header_declaring_too_many_pixels_is_refused_before_decoding(int width, int height)
    {
        var png = ImageWriters.PngHeaderOnly(width, height);

        Assert.Equal(FailureClass.TooLarge, ClassOf(png));
        Assert.Equal(FailureClass.TooLarge, ClassOf(png, verify: true));
    }

    [Fact]
    public void A_decompression_bomb_within_the_pixel_limit_is_read_from_its_header_with_bounded_memory()
    {
        // 9000×9000 of one colour: a few hundred KB on disk, 324 MB as RGBA.
        var bomb = ImageWriters.SolidPng(9000, 9000);

        var result = _inspector.Inspect(bomb);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal((9000, 9000), (result.Value.Width, result.Value.Height));
        Assert.False(result.Value.Verified);
    }

    [Fact]
    public void Verifying_a_png_bomb_inflates_row_by_row()
    {
        var bomb = ImageWriters.SolidPng(6000, 6000);
        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;

        var result = _inspector.Inspect(bomb, verify: true);

        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.True(result.Value.Verified);
        Assert.True(grown < 64L << 20, $"working set grew by {grown} bytes: not row by row (a frame is {4L * 6000 * 6000})");
    }

    [Fact]
    public void Verifying_a_large_jpeg_decodes_row_by_row()
    {
        var jpeg = ImageWriters.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 4000, 3000);
        GC.Collect();
        var before = Process.GetCurrentProcess().WorkingSet64;

        var result = _inspector.Inspect(jpeg, verify: true);

        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.True(grown < 4L * 4000 * 3000 / 2, $"working set grew by {grown} bytes: not row by row");
    }

    [Fact]
    public void Content_over_the_byte_limit_is_too_large()
    {
        var png = ImageWriters.Png(100, 100);
        var inspector = new ImageInspector(new ExtractionOptions { MaxBytes = png.Length - 1 });

        Assert.Equal(FailureClass.TooLarge, inspector.Inspect(png).Failure?.Class);
        Assert.True(new ImageInspector(new ExtractionOptions { MaxBytes = png.Length }).Inspect(png).Succeeded);
    }

    [Fact]
    public async Task A_stream_over_the_byte_limit_is_refused_without_reading_it_all()
    {
        var inspector = new ImageInspector(new ExtractionOptions { MaxBytes = 1 << 20 });
        var endless = new EndlessStream();

        var result = await inspector.InspectAsync(endless);

        Assert.Equal(FailureClass.TooLarge, result.Failure?.Class);
        Assert.True(endless.Served < 4 << 20, $"read {endless.Served} bytes");
    }

    [Fact]
    public void Pixel_limit_is_configuration()
    {
        var strict = new ImageInspector(new ExtractionOptions { MaxPixels = 100 });

        Assert.Equal(FailureClass.TooLarge, strict.Inspect(ImageWriters.Png(11, 10)).Failure?.Class);
        Assert.True(strict.Inspect(ImageWriters.Png(10, 10)).Succeeded);
    }

    [Fact]
    public void Thousands_of_hostile_inputs_do_not_crash_or_leak()
    {
        var seeds = new[] { ImageWriters.Jpeg(40, 30), ImageWriters.Png(40, 30), ImageWriters.Gif(20, 20, 2), ImageWriters.Webp(20, 20), ImageWriters.Bmp(9, 9) };
        var random = new Random(7);
        var before = Process.GetCurrentProcess().WorkingSet64;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            for (var flips = 0; flips < 1 + (i % 8); flips++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var result = _inspector.Inspect(bytes, verify: i % 2 == 0);
            Assert.True(result.Succeeded || result.Failure is not null);
        }

        GC.Collect();
        var grown = Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(grown < 200L * 1024 * 1024, $"working set grew by {grown} bytes over 2000 inputs");
    }

    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0x42);
            Served += count;
            return count;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
