using System.Buffers.Binary;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The header readers of the formats Skia does not decode (HEIF, AVIF, TIFF, RAW, JPEG XL, JPEG 2000, PSD, Netpbm, CUR),
/// beyond the corpus comparison: the facts exiftool's table has no column for, and damaged or hostile headers.
/// </summary>
public sealed class HeaderReaderTests
{
    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "corpus");

    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    private static byte[] Sample(string file) => File.ReadAllBytes(Path.Combine(Corpus, file));

    [Theory]
    [InlineData("generated/xmp-only.jpg", "2023-11-02T09:15:00+09:00")]
    [InlineData("generated/xmp-only.png", "2023-11-02T09:15:00+09:00")]
    [InlineData("generated/xmp-only.webp", "2023-11-02T09:15:00+09:00")]
    [InlineData("generated/rotated-exif.heic", "2024-05-01T14:03:07+02:00")]
    [InlineData("generated/container-exif.jxl", "2024-05-01T14:03:07+02:00")]
    [InlineData("exiftool/CanonRaw.cr3", "2018-02-21T12:08:56+00:00")]
    public void The_date_keeps_the_zone_its_file_records(string file, string takenAt) =>
        Assert.Equal(takenAt, _inspector.Inspect(Sample(file)).Value?.Exif?.TakenAt);

    [Theory]
    [InlineData("exiftool/XMP.jpg", "sRGB IEC61966-2.1")]
    [InlineData("libvips/avif-orientation-6.avif", "Display P3")]
    [InlineData("pillow/tiff_16bit_RGBa.tiff", "sRGB IEC61966-2.1")]
    [InlineData("exiftool/Photoshop.psd", "Apple RGB")]
    [InlineData("exiftool/Nikon.nef", "Nikon Adobe RGB 4.0.0.3000")]
    public void The_color_profile_is_named_by_its_icc_description(string file, string profile) =>
        Assert.Equal(profile, _inspector.Inspect(Sample(file)).Value?.ColorProfile);

    [Theory]
    [InlineData("pillow/multipage.tiff", 3)]
    [InlineData("generated/two-pages.tif", 2)]
    [InlineData("generated/tiled.tif", 1)]
    public void A_tiff_counts_its_pages(string file, int pages) => Assert.Equal(pages, _inspector.Inspect(Sample(file)).Value?.FrameCount);

    [Fact]
    public void An_animated_jpeg_xl_counts_its_frames_and_a_still_one_is_one_frame()
    {
        // jxlinfo lists three frames; JpegXlFrameTests has the rest.
        var animated = _inspector.Inspect(Sample("generated/animated.jxl")).Value;
        var still = _inspector.Inspect(Sample("generated/codestream.jxl")).Value;

        Assert.Equal((3, null), (animated?.FrameCount, animated?.FramesNotCounted));
        Assert.Equal((1, null), (still?.FrameCount, still?.FramesNotCounted));
    }

    [Fact]
    public void An_image_sequence_without_a_still_image_takes_its_size_and_frames_from_its_track()
    {
        // avifenc writes the first frame as a still image too; without that meta box only the moov track is left.
        var bytes = Sample("generated/sequence.avif");
        var meta = bytes.AsSpan().IndexOf("meta"u8);
        "free"u8.CopyTo(bytes.AsSpan(meta));

        var result = _inspector.Inspect(bytes);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal((ImageFormats.Avif, 64, 48, 3), (result.Value.Format, result.Value.Width, result.Value.Height, result.Value.FrameCount));
    }

    [Fact]
    public void A_clean_aperture_listed_after_a_rotation_crops_the_turned_image()
    {
        // clap-irot.avif lists clap (80x40 of 96x64), then irot 1: shown 40x80. With the two associations swapped the
        // 96x64 image is turned to 64x96 first, and the 80x40 aperture is then cut from that, within its 64 columns.
        var bytes = Sample("generated/clap-irot.avif");
        var span = bytes.AsSpan();
        var ipco = span.IndexOf("ipco"u8) - 4;
        var types = new List<string>();
        for (var at = ipco + 8; at < ipco + BinaryPrimitives.ReadInt32BigEndian(span[ipco..]);)
        {
            types.Add(System.Text.Encoding.ASCII.GetString(span.Slice(at + 4, 4)));
            at += Math.Max(8, BinaryPrimitives.ReadInt32BigEndian(span[at..]));
        }

        var clap = (byte)(types.IndexOf("clap") + 1);
        var irot = (byte)(types.IndexOf("irot") + 1);
        var ipma = span.IndexOf("ipma"u8);
        var entries = span[ipma..];
        var clapAt = entries.IndexOfAny([clap, (byte)(clap | 0x80)]);
        Assert.True(clap > 0 && irot > 0 && clapAt > 8 && (entries[clapAt + 1] & 0x7F) == irot, "clap-irot.avif associates clap, then irot");
        (entries[clapAt], entries[clapAt + 1]) = (entries[clapAt + 1], entries[clapAt]);

        var inOrder = _inspector.Inspect(Sample("generated/clap-irot.avif")).Value;
        var swapped = _inspector.Inspect(bytes).Value;

        Assert.Equal((40, 80, 8), (inOrder?.DisplayWidth, inOrder?.DisplayHeight, inOrder?.Orientation));
        Assert.Equal((64, 40, 8), (swapped?.DisplayWidth, swapped?.DisplayHeight, swapped?.Orientation));
    }

    [Theory]
    [InlineData("generated/alpha.avif", true)]
    [InlineData("pillow/transparency.avif", true)]
    [InlineData("generated/rotated-exif.avif", false)]
    [InlineData("generated/alpha.pam", true)]
    [InlineData("pillow/00r1_graya_la.jp2", true)]
    [InlineData("pillow/rgba.psd", true)]
    [InlineData("pillow/tiff_16bit_RGBa.tiff", true)]
    [InlineData("libvips/sample.cur", true)]
    public void Alpha_comes_from_the_header(string file, bool alpha) => Assert.Equal(alpha, _inspector.Inspect(Sample(file)).Value?.HasAlpha);

    [Theory]
    [InlineData("exiftool/CanonRaw.cr2", ImageFormats.Cr2)]
    [InlineData("exiftool/FujiFilm.raf", ImageFormats.Raf)]
    [InlineData("exiftool/Nikon.nef", ImageFormats.Nef)]
    [InlineData("exiftool/DNG.dng", ImageFormats.Dng)]
    public void Camera_raw_is_labelled_with_its_own_format_and_carries_the_cameras_exposure(string file, string format)
    {
        var m = _inspector.Inspect(Sample(file)).Value;

        Assert.Equal(format, m?.Format);
        Assert.NotNull(m?.Exif?.ExposureTime);
        Assert.NotNull(m?.Exif?.FNumber);
        Assert.NotNull(m?.Exif?.Iso);
    }

    [Theory]
    [InlineData("pillow/dispose_bgnd.gif")]
    [InlineData("pillow/dispose_bgnd_transparency.gif")]
    [InlineData("libvips/dispose-background.gif")]
    [InlineData("pillow/pal8os2.bmp")]
    [InlineData("pillow/pal8os2v2.bmp")]
    [InlineData("pillow/rgb24prof.bmp")]
    [InlineData("pillow/rgb24lprof.bmp")]
    [InlineData("generated/os2-palette.bmp")]
    public void Files_pillow_decodes_verify_as_intact(string file)
    {
        // The GIF's first frame is opaque and a later one is disposed to the (transparent) background.
        var result = _inspector.Inspect(Sample(file), verify: true);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.True(result.Value.Verified);
    }

    /// <summary>Files of the new formats whose header says how long the content is.</summary>
    public static TheoryData<string> Declaring() =>
    [
        "generated/rotated-exif.heic", "generated/alpha.avif", "libvips/avif-orientation-6.avif", "generated/tiled.tif", "generated/bigtiff.tif",
        "pillow/hopper_bigtiff.tif", "generated/base.jp2", "generated/alpha.pam", "generated/gray.pgm", "pillow/deerstalker.cur",
    ];

    [Theory]
    [MemberData(nameof(Declaring))]
    public async Task A_truncated_file_is_corrupt_from_its_header_in_every_mode(string file)
    {
        var bytes = Sample(file);
        var cut = bytes[..(bytes.Length * 3 / 4)];

        Assert.Equal(FailureClass.Corrupt, _inspector.Inspect(cut).Failure?.Class);
        using var stream = new MemoryStream(cut);
        Assert.Equal(FailureClass.Corrupt, (await _inspector.ScanAsync(stream, hash: false)).Failure?.Class);
    }

    [Fact]
    public void Huge_declared_canvases_are_too_large_from_the_header()
    {
        var heic = Sample("generated/rotated-exif.heic");
        var ispe = heic.AsSpan().IndexOf("ispe"u8);
        BinaryPrimitives.WriteUInt32BigEndian(heic.AsSpan(ispe + 8), 200_000);
        BinaryPrimitives.WriteUInt32BigEndian(heic.AsSpan(ispe + 12), 200_000);
        byte[] pnm = [.. "P6\n100000 100000\n255\n"u8, 0];
        var psd = Sample("pillow/rgba.psd");
        BinaryPrimitives.WriteUInt32BigEndian(psd.AsSpan(14), 30_000);
        BinaryPrimitives.WriteUInt32BigEndian(psd.AsSpan(18), 30_000);

        Assert.Equal(FailureClass.TooLarge, _inspector.Inspect(heic).Failure?.Class);
        Assert.Equal(FailureClass.TooLarge, _inspector.Inspect(pnm).Failure?.Class);
        Assert.Equal(FailureClass.TooLarge, _inspector.Inspect(psd).Failure?.Class);
    }

    [Fact]
    public void A_tiff_whose_directories_loop_is_read_once_each()
    {
        // IFD0 at 8 with one entry and its next-IFD offset pointing back at itself.
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 3, 0, 0, 1, 3, 0, 1, 0, 0, 0, 7, 0, 0, 0, 1, 1, 3, 0, 1, 0, 0, 0, 5, 0, 0, 0,
            0x11, 1, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0];

        var result = _inspector.Inspect(tiff);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal((7, 5, 1), (result.Value.Width, result.Value.Height, result.Value.FrameCount));
    }

    [Fact]
    public void A_tiff_directory_declaring_more_entries_than_any_writer_uses_is_corrupt()
    {
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0xFF, 0xFF, .. new byte[64]];

        Assert.Equal(FailureClass.Corrupt, _inspector.Inspect(tiff).Failure?.Class);
    }

    public static TheoryData<string> NewFormatSamples()
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadLines(Path.Combine(Corpus, "expected.tsv")).Skip(1))
        {
            var fields = line.Split('\t');
            if (ImageFormats.Find(fields[1])?.Decoder == ThumbnailDecoder.Fallback)
            {
                data.Add(fields[0]);
            }
        }

        return data;
    }

    /// <summary>
    /// Fuzzing the new readers: every sample of the new formats cut at many lengths and with bytes overwritten (a fixed
    /// seed, so a failure repeats). Each must give an answer (metadata, or a failure of a class that says the input is at
    /// fault), never an exception, in every mode.
    /// </summary>
    [Theory]
    [MemberData(nameof(NewFormatSamples))]
    public async Task Damaged_samples_of_the_new_formats_are_answered_never_thrown(string file)
    {
        var bytes = Sample(file);
        var random = new Random(file.Length * 7919);
        var variants = new List<byte[]>();
        for (var i = 1; i <= 24; i++)
        {
            variants.Add(bytes[..(bytes.Length * i / 25)]);
            var damaged = (byte[])bytes.Clone();
            for (var j = 0; j < 1 + (i % 6); j++)
            {
                var at = random.Next(Math.Min(damaged.Length, 4096));
                damaged[at] = (byte)(i % 3 == 0 ? 0xFF : random.Next(256));
            }

            variants.Add(damaged);
        }

        foreach (var variant in variants)
        {
            var inMemory = _inspector.Inspect(variant);
            using var stream = new MemoryStream(variant);
            var headerOnly = await _inspector.ScanAsync(stream, hash: false);
            foreach (var result in new[] { inMemory, headerOnly })
            {
                Assert.True(result.Succeeded || result.Failure!.Class is FailureClass.Corrupt or FailureClass.TooLarge or FailureClass.Unsupported or FailureClass.Empty,
                    result.Failure?.Message);
            }
        }
    }
}
