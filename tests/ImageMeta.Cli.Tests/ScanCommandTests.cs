using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Extractor;
using ImageMeta.Testing.Images;

namespace ImageMeta.Cli.Tests;

public sealed class ScanCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-scan-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<(int Exit, List<JsonElement> Lines, string Error)> Scan(params string[] args)
    {
        var arguments = ScanCommand.Parse(args, out var problem);
        Assert.True(arguments is not null, problem);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await new ScanCommand(output, error, errorIsTerminal: false).RunAsync(arguments, CancellationToken.None);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        return (exit, lines, error.ToString());
    }

    [Fact]
    public async Task A_folder_of_mixed_files_gives_one_correct_line_each_in_order()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "sub"));
        var jpeg = ImageWriters.WithExif(ImageWriters.Jpeg(30, 20), new ImageWriters.ExifTags(Make: "Nikon", Orientation: 6));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "a.jpg"), jpeg);
        await File.WriteAllBytesAsync(Path.Combine(_folder, "b.txt"), Encoding.UTF8.GetBytes("not an image"));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "c.png"), ImageWriters.Png(10, 10).AsSpan(0, 30).ToArray());
        await File.WriteAllBytesAsync(Path.Combine(_folder, "d.gif"), []);
        await File.WriteAllBytesAsync(Path.Combine(_folder, "sub", "e.webp"), ImageWriters.AnimatedWebp(8, 8, 2));

        var (exit, lines, _) = await Scan(_folder, "--jsonl", "--parallel", "3");

        Assert.Equal(0, exit);
        Assert.Equal(["a.jpg", "b.txt", "c.png", "d.gif", "sub/e.webp"], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.Equal([true, false, false, false, true], lines.Select(l => l.GetProperty("ok").GetBoolean()));
        Assert.Equal("jpeg", lines[0].GetProperty("format").GetString());
        Assert.Equal(20, lines[0].GetProperty("displayWidth").GetInt32());
        Assert.Equal("Nikon", lines[0].GetProperty("exif").GetProperty("cameraMake").GetString());
        Assert.Equal(FailureClass.Unsupported, lines[1].GetProperty("error").GetProperty("class").GetString());
        Assert.Equal(FailureClass.Corrupt, lines[2].GetProperty("error").GetProperty("class").GetString());
        Assert.Equal(FailureClass.Empty, lines[3].GetProperty("error").GetProperty("class").GetString());
        Assert.Equal(2, lines[4].GetProperty("frameCount").GetInt32());
        Assert.False(lines[1].TryGetProperty("format", out _));
    }

    [Fact]
    public async Task A_file_named_directly_keeps_its_path_and_the_line_matches_the_library()
    {
        var path = Path.Combine(_folder, "photo.jpg");
        var bytes = ImageWriters.Jpeg(12, 9);
        await File.WriteAllBytesAsync(path, bytes);

        var (_, lines, _) = await Scan(path, "--jsonl", "--verify");

        var expected = new ImageInspector(new ExtractionOptions()).Inspect(bytes, verify: true).Value;
        var actual = lines.Single().Deserialize<ImageMetadata>(ContractJson.Options);
        Assert.Equal(path, lines.Single().GetProperty("file").GetString());
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task A_missing_path_is_reported_and_fails_the_exit_code()
    {
        var (exit, lines, error) = await Scan(Path.Combine(_folder, "nope"), "--jsonl");

        Assert.Equal(1, exit);
        Assert.Empty(lines);
        Assert.Contains("no such file or folder", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Finding_files_stops_at_once_when_cancelled()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "sub"));
        File.WriteAllBytes(Path.Combine(_folder, "sub", "a.jpg"), ImageWriters.Jpeg(4, 4));
        var finder = new FileFinder(_ => { }, _ => { });

        Assert.Single(finder.Find([FilePath.FromText(_folder)], CancellationToken.None));
        Assert.ThrowsAny<OperationCanceledException>(() => finder.Find([FilePath.FromText(_folder)], new CancellationToken(canceled: true)));
    }

    [Fact]
    public void A_name_shows_only_its_invalid_bytes_escaped_and_keeps_them_exactly()
    {
        byte[] bytes = [(byte)'a', 0xFF, 0xC3, 0xA9, (byte)'\\', 0xC3];
        var name = FilePath.FromBytes(bytes);

        Assert.False(name.IsUtf8);
        Assert.Equal("a\\xFFé\\\\xC3", name.Text);
        Assert.Equal(bytes, name.Bytes);
        Assert.True(FilePath.FromText("é/b.jpg").IsUtf8);
        var line = JsonDocument.Parse(ScanCommand.JsonLine(name, null, "gone")).RootElement;
        Assert.Equal(name.Text, line.GetProperty("file").GetString());
        Assert.Equal(bytes, line.GetProperty("fileBytes").GetBytesFromBase64());
    }

    [Theory]
    [InlineData("--parallel", "zero")]
    [InlineData("--bogus")]
    public void Usage_errors_are_refused(params string[] args)
    {
        Assert.Null(ScanCommand.Parse(["x", .. args], out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
        Assert.Null(ScanCommand.Parse([], out _));
    }
}
