using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using ImageMeta.Testing.Images;

namespace ImageMeta.Cli.Tests;

/// <summary>
/// The command line as a user meets it, as a real process: help on every command, the version, the documented
/// exit codes, the closing summary, header-facts scans (<c>--no-hash</c>), and flat memory on a 250 MB file.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class CommandLineTests : IDisposable
{
    /// <summary>The issue's bound for any input, both modes.</summary>
    private const long PeakResidentLimit = 128L * 1024 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("scan", "--help")]
    [InlineData("scan", "-h")]
    public async Task Every_command_answers_help_with_exit_0(params string[] args)
    {
        var (exit, output, _) = await RunAsync(args);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.Contains(args[0] == "scan" ? "--no-hash" : "scan", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_assemblys_informational_version()
    {
        var expected = typeof(ScanCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var (exit, output, _) = await RunAsync("--version");

        Assert.Equal(0, exit);
        Assert.Equal(expected, output.Trim());
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("scan")]
    [InlineData("scan", "--bogus", "x")]
    [InlineData("scan", "--parallel", "0", "x")]
    [InlineData("scan", "--parallel", "many", "x")]
    [InlineData("scan", "--max-bytes", "-5", "x")]
    [InlineData("scan", "--verify", "--no-hash", "x")]
    public async Task Usage_errors_exit_2_with_the_problem_on_stderr_and_nothing_scanned(params string[] args)
    {
        var (exit, output, error) = await RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.StartsWith("imagemeta: ", error, StringComparison.Ordinal);
        Assert.Contains("--help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_after_double_dash_is_a_path_even_when_it_looks_like_an_option()
    {
        var (exit, _, error) = await RunAsync("scan", "--jsonl", "--", "--bogus");

        Assert.Equal(1, exit);
        Assert.Contains("no such file or folder: --bogus", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_hash_gives_the_hashed_facts_without_sha256_or_verified_and_the_summary_counts_by_class()
    {
        await File.WriteAllBytesAsync(Path.Combine(_folder, "a.jpg"), ImageWriters.WithExif(ImageWriters.Jpeg(40, 30), new ImageWriters.ExifTags(Make: "Acme", Orientation: 6)));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "b.gif"), ImageWriters.Gif(16, 12, 4));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "c.webp"), ImageWriters.AnimatedWebp(16, 12, 3));
        await File.WriteAllTextAsync(Path.Combine(_folder, "d.txt"), "not an image");

        var hashed = await CliProcess.RunJsonAsync([], "scan", "--jsonl", "--parallel", "1", _folder);
        var headerOnly = await CliProcess.RunJsonAsync([], "scan", "--jsonl", "--no-hash", _folder);

        Assert.Equal((0, 0), (hashed.Exit, headerOnly.Exit));
        Assert.Equal(4, headerOnly.Lines.Count);
        for (var i = 0; i < 3; i++)
        {
            var withHash = hashed.Lines[i].EnumerateObject().Where(p => p.Name is not ("sha256" or "verified")).Select(p => p.ToString());
            Assert.Equal(withHash, headerOnly.Lines[i].EnumerateObject().Where(p => p.Name != "verified").Select(p => p.ToString()));
            Assert.Equal(64, hashed.Lines[i].GetProperty("sha256").GetString()!.Length);
            Assert.False(headerOnly.Lines[i].TryGetProperty("sha256", out _));
            Assert.False(headerOnly.Lines[i].GetProperty("verified").GetBoolean());
        }

        Assert.Equal(6, headerOnly.Lines[0].GetProperty("orientation").GetInt32());
        Assert.Equal([1, 4, 3], headerOnly.Lines.Take(3).Select(l => l.GetProperty("frameCount").GetInt32()));
        Assert.Contains("imagemeta: 4 files, 3 ok, 1 failed (1 unsupported);", headerOnly.Error, StringComparison.Ordinal);
        Assert.Matches(@"MB/s; [0-9.]+ MB read", headerOnly.Error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_250_MB_file_scans_in_flat_memory_and_without_hash_reads_only_its_header(bool noHash)
    {
        var path = Path.Combine(_folder, "huge.png");
        var size = StoredPng.Write(path, width: 9200, height: 9100);
        Assert.True(size > 250_000_000, $"{size} bytes");

        using var cli = CliProcess.Start([.. CliProcess.Program, "scan", "--jsonl", .. noHash ? new[] { "--no-hash" } : [], path]);
        var output = cli.Output.ReadToEndAsync();
        var peak = await PeakResidentWhileRunningAsync(cli.Id, output);
        var exit = await cli.WaitAsync(CliProcess.Bound);
        var error = await cli.ErrorAsync();

        Assert.Equal(0, exit);
        Assert.Contains("\"ok\":true", await output, StringComparison.Ordinal);
        Assert.True(peak < PeakResidentLimit, $"peak RSS {peak / 1024 / 1024} MB");
        var read = double.Parse(ReadMegabytes().Match(error).Groups[1].Value, CultureInfo.InvariantCulture);
        if (noHash)
        {
            Assert.True(read < 1, $"--no-hash read {read} MB of a {size / 1e6:0} MB file: {error}");
        }
        else
        {
            Assert.Equal(size / 1e6, read, 0.1); // every byte once, no second read
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_scan_of_100000_small_files_stays_under_the_memory_bound(bool noHash)
    {
        // 1,000 files, then 99 copies of their folder as hard links: 100,000 names at little cost in disk and time.
        var root = Path.Combine(_folder, "many");
        var first = Directory.CreateDirectory(Path.Combine(root, "d0")).FullName;
        var jpeg = ImageWriters.Jpeg(64, 48);
        for (var i = 0; i < 1000; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(first, $"f{i}.jpg"), jpeg);
        }

        for (var d = 1; d < 100; d++)
        {
            using var copy = System.Diagnostics.Process.Start("cp", ["-al", first, Path.Combine(root, $"d{d}")])!;
            await copy.WaitForExitAsync();
            Assert.Equal(0, copy.ExitCode);
        }

        using var cli = CliProcess.Start([.. CliProcess.Program, "scan", "--jsonl", .. noHash ? new[] { "--no-hash" } : [], root]);
        var lines = 0;
        var reading = Task.Run(async () =>
        {
            while (await cli.Output.ReadLineAsync() is { } line)
            {
                Assert.Contains("\"ok\":true", line, StringComparison.Ordinal);
                lines++;
            }
        });
        var peak = await PeakResidentWhileRunningAsync(cli.Id, reading);
        var exit = await cli.WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal((0, 100_000), (exit, lines));
        Assert.True(peak < PeakResidentLimit, $"peak RSS {peak / 1024 / 1024} MB");
    }

    private static Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    private static async Task<(int Exit, string Output, string Error)> RunAsync(IEnumerable<string> args)
    {
        using var cli = CliProcess.Start([.. CliProcess.Program, .. args]);
        var output = cli.Output.ReadToEndAsync();
        var exit = await cli.WaitAsync(CliProcess.Bound);
        return (exit, await output, await cli.ErrorAsync());
    }

    /// <summary>
    /// The largest VmHWM (the kernel's peak resident set) seen in <c>/proc/PID/status</c> until the output ends;
    /// the mark only rises, so the last reading is the peak up to that moment.
    /// </summary>
    private static async Task<long> PeakResidentWhileRunningAsync(int pid, Task output)
    {
        long peak = 0;
        while (true)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null)
                {
                    peak = Math.Max(peak, 1024 * long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                return peak; // the process is gone
            }

            if (output.IsCompleted)
            {
                return peak;
            }

            await Task.Delay(10);
        }
    }

    [GeneratedRegex(@"; ([0-9.]+) MB read")]
    private static partial Regex ReadMegabytes();
}
