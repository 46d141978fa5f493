using System.Buffers.Binary;
using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// Every file of the corpus (public sample sets and files made on this machine; corpus/SOURCES.md) against the values
/// exiftool gives for it, stored in corpus/expected.tsv by corpus/expected.sh (with the few values checked by hand in
/// corpus/by-hand.tsv): format, stored and shown size, orientation, frames, camera, date and position.
/// </summary>
public sealed class CorpusTests
{
    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "corpus");

    private readonly ImageInspector _inspector = new(new ExtractionOptions());

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadLines(Path.Combine(Corpus, "expected.tsv")).Skip(1))
        {
            data.Add(line.Split('\t')[0]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Each_corpus_file_reads_as_exiftool_says(string file)
    {
        var expected = File.ReadLines(Path.Combine(Corpus, "expected.tsv")).Select(l => l.Split('\t')).First(f => f[0] == file);
        var path = Path.Combine(Corpus, file);

        foreach (var hash in new[] { true, false })
        {
            var result = await _inspector.InspectFileAsync(path, hash: hash);

            Assert.True(result.Succeeded, $"{file}: {result.Failure?.Message}");
            var m = result.Value;
            Assert.Equal(expected[1], m.Format);
            Assert.Equal(ImageFormats.MediaType(expected[1]), m.MimeType);
            Assert.Equal((int.Parse(expected[2], CultureInfo.InvariantCulture), int.Parse(expected[3], CultureInfo.InvariantCulture)), (m.Width, m.Height));
            Assert.Equal(int.Parse(expected[4], CultureInfo.InvariantCulture), m.Orientation);
            Assert.Equal((int.Parse(expected[10], CultureInfo.InvariantCulture), int.Parse(expected[11], CultureInfo.InvariantCulture)), (m.DisplayWidth, m.DisplayHeight));
            Assert.Equal(int.Parse(expected[12], CultureInfo.InvariantCulture), m.FrameCount);
            Assert.Equal(Blank(expected[5]), m.Exif?.CameraMake);
            Assert.Equal(Blank(expected[6]), m.Exif?.CameraModel);
            Assert.Equal(Blank(expected[7]), m.Exif?.TakenAt?[..19]);
            if (Blank(expected[8]) is { } latitude)
            {
                Assert.NotNull(m.Exif?.Gps);
                Assert.Equal(double.Parse(latitude, CultureInfo.InvariantCulture), m.Exif.Gps.Latitude, 4);
                Assert.Equal(double.Parse(expected[9], CultureInfo.InvariantCulture), m.Exif.Gps.Longitude, 4);
            }
            else
            {
                Assert.Null(m.Exif?.Gps);
            }
        }
    }

    [Fact]
    public void An_older_sony_arw_whose_minolta_header_is_damaged_reads_with_its_raw_sensor_size_instead()
    {
        // The DSLR-A330's size (3872x2592) is its SR2 directory's Minolta PRD block's; the raw SubIFD says 3880x2600.
        var original = File.ReadAllBytes(Path.Combine(Corpus, "bep-imagemeta", "Sony-DSLR-A330.arw"));
        var mri = original.AsSpan().IndexOf("\0MRI"u8);
        Assert.True(mri > 0, "no Minolta header in the A330 file");
        Assert.Equal((3872, 2592), Size(original));

        var overlong = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(overlong.AsSpan(mri + 12), 0xFFFF_FFF0); // the PRD block claims 4 GiB
        var renamed = (byte[])original.Clone();
        renamed[mri + 9] = (byte)'X'; // no PRD block at all
        var empty = (byte[])original.Clone();
        empty.AsSpan(mri + 8 + 8 + 12, 4).Clear(); // a PRD block with zero image height and width

        foreach (var damaged in new[] { overlong, renamed, empty })
        {
            Assert.Equal((3880, 2600), Size(damaged));
        }

        (long, long) Size(byte[] content)
        {
            var result = _inspector.Inspect(content);
            Assert.True(result.Succeeded, result.Failure?.Message);
            Assert.Equal(ImageFormats.Arw, result.Value.Format);
            return (result.Value.Width, result.Value.Height);
        }
    }

    [Fact]
    public void An_orf_pef_or_srw_has_the_size_of_the_directory_exiftool_gives_priority_not_of_the_largest()
    {
        // Each variant's expected size is what exiftool 12.57 reports for the same bytes.
        var pef = File.ReadAllBytes(Path.Combine(Corpus, "generated", "pentax.pef"));
        var ifd2 = (int)Next(pef, (int)Next(pef, (int)BinaryPrimitives.ReadUInt32BigEndian(pef.AsSpan(4))));
        // IFD2 (the JpgFromRaw) made to declare 6000x4000, more than IFD0's raw image: with no SubfileType 0 anywhere,
        // the first size found (IFD0's) stands.
        for (var i = 0; i < BinaryPrimitives.ReadUInt16BigEndian(pef.AsSpan(ifd2)); i++)
        {
            var entry = pef.AsSpan(ifd2 + 2 + (i * 12));
            var tag = BinaryPrimitives.ReadUInt16BigEndian(entry);
            if (tag is 0x103 or 0x11A)
            {
                BinaryPrimitives.WriteUInt16BigEndian(entry, tag == 0x103 ? (ushort)0x100 : (ushort)0x101);
                BinaryPrimitives.WriteUInt16BigEndian(entry[2..], 4);
                BinaryPrimitives.WriteUInt32BigEndian(entry[4..], 1);
                BinaryPrimitives.WriteUInt32BigEndian(entry[8..], tag == 0x103 ? 6000u : 4000u);
            }
        }

        Assert.Equal((4928, 3264), Size(pef, ImageFormats.Pef));

        var srw = File.ReadAllBytes(Path.Combine(Corpus, "generated", "samsung.srw"));
        var rawSubfile = srw.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFE, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
        Assert.True(rawSubfile > 0, "no NewSubfileType 0 in the SRW's raw SubIFD");
        var old = (byte[])srw.Clone();
        old.AsSpan(rawSubfile, 12).Clear();
        old[rawSubfile] = 0xFF; // OldSubfileType 1 (full resolution): still the priority directory
        old[rawSubfile + 2] = 3;
        old[rawSubfile + 4] = 1;
        old[rawSubfile + 8] = 1;
        var none = (byte[])srw.Clone();
        none[rawSubfile] = 0xFD; // an unknown tag: no priority directory, so IFD0's reduced-resolution 40x30 stands

        Assert.Equal((5536, 3688), Size(srw, ImageFormats.Srw));
        Assert.Equal((5536, 3688), Size(old, ImageFormats.Srw));
        Assert.Equal((40, 30), Size(none, ImageFormats.Srw));

        static long Next(byte[] tiff, int at) => BinaryPrimitives.ReadUInt32BigEndian(tiff.AsSpan(at + 2 + (12 * BinaryPrimitives.ReadUInt16BigEndian(tiff.AsSpan(at)))));

        (long, long) Size(byte[] content, string format)
        {
            var result = _inspector.Inspect(content);
            Assert.True(result.Succeeded, result.Failure?.Message);
            Assert.Equal(format, result.Value.Format);
            return (result.Value.Width, result.Value.Height);
        }
    }

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
