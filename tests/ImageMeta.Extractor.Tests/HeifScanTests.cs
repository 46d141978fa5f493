using System.Buffers.Binary;
using System.Diagnostics;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// A header-facts scan of a HEIF walks its top-level boxes by their headers and reads the meta box and the EXIF/XMP items
/// on their own. These files put the meta box after the media data (as Samsung's phones do) and then lie about sizes and
/// offsets: every mode (in memory, the hashed pass, header facts) must give the same answer, in bounded time.
/// </summary>
public sealed class HeifScanTests
{
    private const string Samsung = "metadata-extractor-images/Issue-487.heic";

    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    private static byte[] Sample(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", file));

    /// <summary>Where the Samsung file's top-level boxes start: ftyp at 0, mdat at 24, then meta, then sefd.</summary>
    private static int MetaAt(byte[] bytes) => 24 + (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(24));

    private async Task<(Outcome<ImageMetadata> InMemory, Outcome<ImageMetadata> Hashed, Outcome<ImageMetadata> HeaderOnly)> AllModes(byte[] bytes)
    {
        var clock = Stopwatch.StartNew();
        var inMemory = _inspector.Inspect(bytes);
        var hashed = await _inspector.ScanAsync(new MemoryStream(bytes));
        var headerOnly = await _inspector.ScanAsync(new MemoryStream(bytes), hash: false);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed} for three reads of {bytes.Length} bytes");
        Assert.Equal(inMemory.Failure?.Class, hashed.Failure?.Class);
        Assert.Equal(inMemory.Failure?.Class, headerOnly.Failure?.Class);
        if (inMemory.Succeeded)
        {
            Assert.Equal(inMemory.Value, hashed.Value);
            Assert.Equal(inMemory.Value with { Sha256 = null, Verified = false }, headerOnly.Value);
        }

        return (inMemory, hashed, headerOnly);
    }

    [Fact]
    public async Task A_meta_box_declaring_more_bytes_than_the_file_has_is_refused_the_same_way_in_every_mode()
    {
        // 2 GB declared: past what a header may take, so too-large without reading towards it; 2,000 bytes too many: corrupt.
        var bytes = Sample(Samsung);
        var metaAt = MetaAt(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(metaAt), 0x7FFF_FFF0);
        var (huge, _, _) = await AllModes(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(metaAt), (uint)(bytes.Length - metaAt + 2000));
        var (longer, _, _) = await AllModes(bytes);

        Assert.Equal(FailureClass.TooLarge, huge.Failure?.Class);
        Assert.Equal(FailureClass.Corrupt, longer.Failure?.Class);
    }

    [Fact]
    public async Task A_meta_box_past_what_a_header_may_take_is_too_large_in_every_mode()
    {
        // The media data grown to 17 MiB: the meta box after it is beyond the head's 16 MiB, which the hashed pass could
        // not hold, so the header-facts scan refuses it too rather than answer differently.
        var bytes = Sample(Samsung);
        var metaAt = MetaAt(bytes);
        var grown = new byte[bytes.Length + (17 << 20)];
        bytes.AsSpan(0, metaAt).CopyTo(grown);
        bytes.AsSpan(metaAt).CopyTo(grown.AsSpan(metaAt + (17 << 20)));
        BinaryPrimitives.WriteUInt32BigEndian(grown.AsSpan(24), (uint)(metaAt - 24 + (17 << 20)));

        var (inMemory, _, _) = await AllModes(grown);

        Assert.Equal(FailureClass.TooLarge, inMemory.Failure?.Class);
    }

    [Fact]
    public async Task A_media_data_box_with_a_64_bit_size_past_the_limit_leaves_no_meta_box_and_is_too_large()
    {
        var bytes = Sample(Samsung);
        byte[] large = [0, 0, 0, 1, .. "mdat"u8, 0, 0, 0, 0x7F, 0, 0, 0, 0]; // 545 GB
        large.CopyTo(bytes.AsSpan(24));

        var (inMemory, _, _) = await AllModes(bytes);

        Assert.Equal(FailureClass.TooLarge, inMemory.Failure?.Class);
    }

    [Fact]
    public async Task Thousands_of_empty_top_level_boxes_before_the_meta_box_are_walked_in_bounded_time()
    {
        // 100,000 eight-byte 'free' boxes, then the Samsung file's meta box: more than the walk takes (65,536 boxes), so
        // no meta box is found, the same way in every mode.
        var bytes = Sample(Samsung);
        var metaAt = MetaAt(bytes);
        var free = new byte[100_000 * 8];
        for (var i = 0; i < free.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt32BigEndian(free.AsSpan(i), 8);
            "free"u8.CopyTo(free.AsSpan(i + 4));
        }

        byte[] file = [.. bytes.AsSpan(0, 24), .. free, .. bytes.AsSpan(metaAt)];

        var (inMemory, _, _) = await AllModes(file);

        Assert.Equal(FailureClass.Corrupt, inMemory.Failure?.Class);
    }

    [Fact]
    public async Task An_exif_item_placed_past_the_end_makes_the_file_truncated_in_every_mode()
    {
        // The iloc extent of the EXIF item moved 1 GB on: the item's data is not there, and reading it is not tried beyond a read's size.
        var bytes = Sample(Samsung);
        var read = _inspector.Inspect(bytes);
        Assert.True(read.Succeeded, read.Failure?.Message);
        var iloc = bytes.AsSpan(MetaAt(bytes)).IndexOf("iloc"u8) + MetaAt(bytes);
        var exifId = ExifItemId(bytes);
        var (offsetAt, offsetSize) = ExtentOffsetField(bytes, iloc, exifId);
        Assert.True(offsetSize == 4, $"the sample's iloc uses {offsetSize}-byte offsets");
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offsetAt), 0x4000_0000);

        var (inMemory, _, _) = await AllModes(bytes);

        Assert.Equal(FailureClass.Corrupt, inMemory.Failure?.Class);
    }

    [Fact]
    public async Task The_samsung_file_cut_inside_its_meta_box_is_corrupt_in_every_mode()
    {
        var bytes = Sample(Samsung);
        var (inMemory, _, _) = await AllModes(bytes[..(MetaAt(bytes) + 1000)]);

        Assert.Equal(FailureClass.Corrupt, inMemory.Failure?.Class);
    }

    /// <summary>The item id of the Samsung file's 'Exif' item, from its iinf (infe version 2: 16-bit ids).</summary>
    private static int ExifItemId(byte[] bytes)
    {
        var span = bytes.AsSpan();
        for (var at = span.IndexOf("infe"u8); at >= 0; at = span[(at + 4)..].IndexOf("infe"u8) is var next and >= 0 ? at + 4 + next : -1)
        {
            if (span.Slice(at + 4, 4)[0] == 2 && span.Slice(at + 12, 4).SequenceEqual("Exif"u8))
            {
                return BinaryPrimitives.ReadUInt16BigEndian(span[(at + 8)..]);
            }
        }

        throw new InvalidOperationException("no Exif item");
    }

    /// <summary>Where the first extent offset of <paramref name="id"/> lies in the iloc whose type is at <paramref name="iloc"/>.</summary>
    private static (int At, int Size) ExtentOffsetField(byte[] bytes, int iloc, int id)
    {
        var span = bytes.AsSpan(iloc + 4);
        var version = span[0];
        int offsetSize = span[4] >> 4, lengthSize = span[4] & 15, baseSize = span[5] >> 4, indexSize = version is 1 or 2 ? span[5] & 15 : 0;
        var at = 6;
        var count = version < 2 ? BinaryPrimitives.ReadUInt16BigEndian(span[at..]) : (int)BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
        at += version < 2 ? 2 : 4;
        for (var i = 0; i < count; i++)
        {
            var itemId = version < 2 ? BinaryPrimitives.ReadUInt16BigEndian(span[at..]) : (int)BinaryPrimitives.ReadUInt32BigEndian(span[at..]);
            at += (version < 2 ? 2 : 4) + (version is 1 or 2 ? 2 : 0) + 2 + baseSize;
            var extents = BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
            at += 2;
            if (itemId == id)
            {
                return (iloc + 4 + at + indexSize, offsetSize);
            }

            at += extents * (indexSize + offsetSize + lengthSize);
        }

        throw new InvalidOperationException($"item {id} is not in iloc");
    }
}
