using System.Buffers.Binary;
using System.Diagnostics;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// Animated JPEG XL frame counts from the codestream's frame headers and tables of contents, against what jxlinfo 0.7
/// (Debian's libjxl-tools) lists for the same files (corpus/sequences, made by generate-sequences.sh): its <c>frame:</c>
/// lines, the frames a viewer shows. Files the walk cannot count stay one frame marked uncounted, never a wrong number.
/// </summary>
public sealed class JpegXlFrameTests
{
    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    private static byte[] Sample(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", file));

    /// <summary>The same answer in memory, from the hashed pass and from a header-facts scan; that answer.</summary>
    private async Task<ImageMetadata> AllModes(byte[] bytes)
    {
        var inMemory = _inspector.Inspect(bytes);
        var hashed = await _inspector.ScanAsync(new MemoryStream(bytes));
        var headerOnly = await _inspector.ScanAsync(new MemoryStream(bytes), hash: false);

        Assert.True(inMemory.Succeeded, inMemory.Failure?.Message);
        Assert.Equal(inMemory.Value, hashed.Value);
        Assert.Equal(inMemory.Value with { Sha256 = null, Verified = false }, headerOnly.Value);
        return inMemory.Value;
    }

    [Theory]
    [InlineData("sequences/jxl-3-lossless.jxl", 3)]
    [InlineData("sequences/jxl-5-lossy-container.jxl", 5)]
    [InlineData("sequences/jxl-12-groups-lossless.jxl", 12)]
    [InlineData("sequences/jxl-12-groups-lossy-container.jxl", 12)]
    [InlineData("sequences/jxl-12-progressive-dc.jxl", 12)] // DC frames and passes: the DC frames are not shown
    [InlineData("sequences/jxl-4-partial-frames.jxl", 4)] // cropped frames at offsets, blended
    [InlineData("sequences/jxl-2-alpha-lossy.jxl", 2)]
    [InlineData("sequences/jxl-zero-delay-layers.jxl", 1)] // two 0-duration layers blended into the one frame
    [InlineData("generated/animated.jxl", 3)]
    public async Task An_animation_counts_the_frames_jxlinfo_lists(string file, int frames)
    {
        var metadata = await AllModes(Sample(file));

        Assert.Equal((frames, (bool?)null), (metadata.FrameCount, metadata.FramesNotCounted));
    }

    [Theory]
    [InlineData("sequences/jxl-12-permuted-toc.jxl")] // cjxl --group_order=1: the TOC's permutation is entropy-coded
    [InlineData("sequences/jxl-3-icc.jxl")] // the frames follow an entropy-coded ICC profile
    public async Task An_animation_the_walk_cannot_pass_is_one_frame_marked_uncounted(string file)
    {
        var metadata = await AllModes(Sample(file));

        Assert.Equal((1, (bool?)true), (metadata.FrameCount, metadata.FramesNotCounted));
    }

    [Fact]
    public async Task A_still_image_is_one_frame_and_not_marked()
    {
        var metadata = await AllModes(Sample("generated/codestream.jxl"));

        Assert.Equal((1, (bool?)null), (metadata.FrameCount, metadata.FramesNotCounted));
    }

    [Fact]
    public async Task A_codestream_split_over_partial_codestream_boxes_is_walked_across_them()
    {
        // The bare codestream cut into three jxlp boxes, with a box between two of them that is no codestream.
        var codestream = Sample("sequences/jxl-12-groups-lossless.jxl");
        var (a, b) = (codestream.Length / 3, codestream.Length * 2 / 3);
        byte[] file =
        [
            .. Container(), .. Box("jxlp", [0, 0, 0, 0, .. codestream[..a]]), .. Box("free", new byte[100]),
            .. Box("jxlp", [0, 0, 0, 1, .. codestream[a..b]]), .. Box("jxlp", [0x80, 0, 0, 2, .. codestream[b..]]),
        ];

        var metadata = await AllModes(file);

        Assert.Equal((ImageFormats.JpegXl, 300, 280), (metadata.Format, metadata.Width, metadata.Height));
        Assert.Equal((12, (bool?)null), (metadata.FrameCount, metadata.FramesNotCounted));
    }

    [Theory]
    [InlineData("sequences/jxl-12-permuted-toc.jxl", 12)]
    [InlineData("sequences/jxl-3-icc.jxl", 3)]
    public async Task A_frame_index_box_counts_what_the_codestream_walk_cannot(string file, int frames)
    {
        // A jxli box (ISO/IEC 18181-2) after the codestream: NF 1, TNUM 1, TDEN 1000, then the first frame at offset 0,
        // its ticks, and the frames from it to the end.
        byte[] index = [1, 0, 0, 0, 1, 0, 0, 0x03, 0xE8, 0, 100, (byte)frames];
        byte[] container = [.. Container(), .. Box("jxlc", Sample(file)), .. Box("jxli", index)];

        var metadata = await AllModes(container);

        Assert.Equal((frames, (bool?)null), (metadata.FrameCount, metadata.FramesNotCounted));
    }

    [Theory]
    [InlineData("sequences/jxl-12-groups-lossless.jxl", 12)]
    [InlineData("sequences/jxl-5-lossy-container.jxl", 5)]
    [InlineData("sequences/jxl-12-progressive-dc.jxl", 12)]
    public async Task A_truncated_animation_gives_its_whole_count_or_none_never_another(string file, int frames)
    {
        var bytes = Sample(file);
        var clock = Stopwatch.StartNew();
        for (var cut = 16; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 97))
        {
            var variant = bytes[..cut];
            var inMemory = _inspector.Inspect(variant);
            var headerOnly = await _inspector.ScanAsync(new MemoryStream(variant), hash: false);
            Assert.Equal(inMemory.Failure?.Class, headerOnly.Failure?.Class);
            if (inMemory.Succeeded)
            {
                Assert.Equal(inMemory.Value with { Sha256 = null, Verified = false }, headerOnly.Value);
                Assert.True(inMemory.Value.FramesNotCounted == true ? inMemory.Value.FrameCount == 1 : inMemory.Value.FrameCount == frames,
                    $"cut at {cut}: {inMemory.Value.FrameCount} frames, uncounted: {inMemory.Value.FramesNotCounted}");
            }
            else
            {
                Assert.Equal(FailureClass.Corrupt, inMemory.Failure!.Class);
            }
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task Hostile_frame_headers_and_tables_of_contents_are_answered_in_bounded_time()
    {
        // Every byte after the image header overwritten in turn (0xFF: all-ones selectors, the largest sizes and TOC
        // entries; 0x00: zero sizes), and a frame index that declares more frames than it lists.
        var bytes = Sample("sequences/jxl-12-groups-lossless.jxl");
        var clock = Stopwatch.StartNew();
        foreach (var value in new byte[] { 0xFF, 0x00, 0x55 })
        {
            for (var at = 8; at < Math.Min(bytes.Length, 400); at += 3)
            {
                var damaged = (byte[])bytes.Clone();
                damaged.AsSpan(at, Math.Min(8, damaged.Length - at)).Fill(value);
                var inMemory = _inspector.Inspect(damaged);
                var headerOnly = await _inspector.ScanAsync(new MemoryStream(damaged), hash: false);
                Assert.Equal(inMemory.Failure?.Class, headerOnly.Failure?.Class);
                Assert.True(inMemory.Succeeded || inMemory.Failure!.Class is FailureClass.Corrupt or FailureClass.TooLarge, inMemory.Failure?.Message);
            }
        }

        byte[] lying = [.. Container(), .. Box("jxlc", Sample("sequences/jxl-3-icc.jxl")), .. Box("jxli", [0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 1, 0, 0, 0x03, 0xE8])];
        var uncounted = await AllModes(lying);

        Assert.Equal((1, (bool?)true), (uncounted.FrameCount, uncounted.FramesNotCounted));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task An_exif_box_after_the_codestream_and_past_the_head_is_read_in_every_mode()
    {
        // container-exif.jxl's boxes in a new order: the codestream first, 300 KB of other boxes, then its compressed
        // EXIF box. A header-facts scan seeks over what lies between.
        var original = Sample("generated/container-exif.jxl");
        var boxes = new Dictionary<string, List<byte[]>>();
        for (var at = 0; at + 8 <= original.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(original.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(original, at + 4, 4);
            (boxes.TryGetValue(type, out var list) ? list : boxes[type] = []).Add(original[at..(at + size)]);
            at += size;
        }

        byte[] file = [.. Container(), .. boxes["jxlp"][0], .. boxes["jxlp"][1], .. Box("free", new byte[300_000]), .. boxes["brob"][0]];
        var stream = new CountingStream(file);

        var metadata = await AllModes(file);
        var headerOnly = await _inspector.ScanAsync(stream, hash: false);

        Assert.Equal(("GenCam", "2024-05-01T14:03:07+02:00"), (metadata.Exif?.CameraMake, metadata.Exif?.TakenAt));
        Assert.Equal(metadata with { Sha256 = null, Verified = false }, headerOnly.Value);
        Assert.True(stream.BytesRead < 64 * 1024, $"{stream.BytesRead} of {file.Length} bytes read");
    }

    [Fact]
    public async Task A_compressed_metadata_box_that_expands_past_its_cap_or_is_cut_short_is_left_out()
    {
        // brob boxes (Brotli): 64 MB of zeros in a few hundred bytes, and container-exif.jxl's own EXIF box cut short.
        var bomb = new byte[64 << 20];
        var compressed = new byte[1 << 20];
        Assert.True(System.IO.Compression.BrotliEncoder.TryCompress(bomb, compressed, out var length, quality: 5, window: 22));
        var original = Sample("generated/container-exif.jxl");
        var exifBox = original.AsSpan(135, 230).ToArray(); // the brob box holding its EXIF (see container-exif.jxl's boxes)
        Assert.Equal("brobExif", System.Text.Encoding.ASCII.GetString(exifBox, 4, 8));
        byte[] codestream = [.. original.AsSpan(32, 18)[12..], .. original.AsSpan(365, 342)[12..]];

        foreach (var box in new[] { Box("brob", [.. "Exif"u8, .. compressed[..length]]), Box("brob", exifBox[8..^40]) })
        {
            byte[] file = [.. Container(), .. box, .. Box("jxlc", codestream)];
            var clock = Stopwatch.StartNew();

            var metadata = await AllModes(file);

            Assert.Equal((96, 64, (string?)null), (metadata.Width, metadata.Height, metadata.Exif?.CameraMake));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed}");
        }

        byte[] whole = [.. Container(), .. exifBox, .. Box("jxlc", codestream)];
        Assert.Equal("GenCam", (await AllModes(whole)).Exif?.CameraMake);
    }

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }
    }

    /// <summary>The JPEG XL signature box and a file type box.</summary>
    private static byte[] Container() =>
        [0, 0, 0, 12, .. "JXL "u8, 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 20, .. "ftyp"u8, .. "jxl "u8, 0, 0, 0, 0, .. "jxl "u8];

    private static byte[] Box(string type, byte[] body)
    {
        var box = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        body.CopyTo(box, 8);
        return box;
    }
}
