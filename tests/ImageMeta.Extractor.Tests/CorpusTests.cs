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

    private static string? Blank(string value) => value.Length == 0 ? null : value;
}
