using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using ImageMeta.Testing.Images;

namespace ImageMeta.Cli.Tests;

/// <summary>
/// The CLI as users meet it: a real process on real odd files (FIFOs, sockets, unreadable folders as an
/// unprivileged user, names that are not UTF-8, symbolic links and loops), and Ctrl-C as SIGINT.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScanProcessTests : IDisposable
{
    private const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static readonly byte[] Photo = ImageWriters.Jpeg(16, 12);

    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-process-").FullName;

    public ScanProcessTests() => File.SetUnixFileMode(_folder, Open);

    /// <summary>rm, not Directory.Delete: .NET cannot name the non-UTF-8 files, and locked folders need their mode back first.</summary>
    public void Dispose()
    {
        using var remove = Process.Start("bash", ["-c", "chmod -R u+rwx \"$1\" 2>/dev/null; rm -rf \"$1\"", "_", _folder]);
        remove.WaitForExit();
    }

    [Fact]
    public async Task A_fifo_and_a_socket_in_a_folder_are_skipped_with_a_notice_and_never_opened()
    {
        await File.WriteAllBytesAsync(Path.Combine(_folder, "a.jpg"), Photo);
        await Run("mkfifo", Path.Combine(_folder, "b.fifo"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(_folder, "c.sock")));
        await File.WriteAllBytesAsync(Path.Combine(_folder, "d.jpg"), Photo);

        // Before the fix the scan waited for ever in open() on the FIFO, also for a.jpg's line.
        var (exit, lines, error) = await CliProcess.RunJsonAsync([], "scan", _folder, "--jsonl");

        Assert.Equal(0, exit);
        Assert.Equal(["a.jpg", "d.jpg"], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.All(lines, l => Assert.True(l.GetProperty("ok").GetBoolean()));
        Assert.Contains("b.fifo: not a regular file (a FIFO)", error, StringComparison.Ordinal);
        Assert.Contains("c.sock: not a regular file (a socket)", error, StringComparison.Ordinal);

        // Named directly, a FIFO is skipped the same way instead of blocking.
        (exit, lines, error) = await CliProcess.RunJsonAsync([], "scan", Path.Combine(_folder, "b.fifo"), "--jsonl");
        Assert.Equal(0, exit);
        Assert.Empty(lines);
        Assert.Contains("not a regular file (a FIFO)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_while_the_output_waits_for_a_reader_exits_130_promptly()
    {
        for (var i = 0; i < 3000; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(_folder, $"{i:D4}.jpg"), Photo);
        }

        // env resets SIGINT to its default: a test host started in the background may pass it on ignored.
        using var cli = CliProcess.Start(["env", "--default-signal=INT", .. CliProcess.Program, "scan", _folder, "--jsonl"]);
        var first = await cli.Output.ReadLineAsync().WaitAsync(CliProcess.Bound);
        Assert.StartsWith("{\"file\":\"0000.jpg\"", first, StringComparison.Ordinal);

        // The test reads no further: about 1 MB of lines fill the pipe, so the CLI ends up blocked in write().
        await cli.InterruptAsync();

        Assert.Equal(130, await cli.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("interrupted", await cli.ErrorAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreadable_folders_are_reported_and_exit_1_without_root_privileges()
    {
        await File.WriteAllBytesAsync(Path.Combine(_folder, "a.jpg"), Photo);
        var lockedFile = Path.Combine(_folder, "b.jpg");
        await File.WriteAllBytesAsync(lockedFile, Photo);
        File.SetUnixFileMode(lockedFile, UnixFileMode.None);
        var locked = Directory.CreateDirectory(Path.Combine(_folder, "locked")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(locked, "inside.jpg"), Photo);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var launcher = Unprivileged();

        // The folder named directly.
        var (exit, lines, error) = await CliProcess.RunJsonAsync(launcher, "scan", locked, "--jsonl");
        Assert.Equal(1, exit);
        Assert.Empty(lines);
        Assert.Contains($"cannot read folder {locked}: Permission denied", error, StringComparison.Ordinal);

        // Found while walking: the rest is scanned, the folder reported, the exit code 1.
        (exit, lines, error) = await CliProcess.RunJsonAsync(launcher, "scan", _folder, "--jsonl");
        Assert.Equal(1, exit);
        Assert.Equal(["a.jpg", "b.jpg"], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.True(lines[0].GetProperty("ok").GetBoolean());
        Assert.Equal("unreadable", lines[1].GetProperty("error").GetProperty("class").GetString());
        Assert.Contains($"cannot read folder {locked}: Permission denied", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_is_not_utf8_is_scanned_and_printed_losslessly()
    {
        var source = Path.Combine(_folder, "source.jpg");
        await File.WriteAllBytesAsync(source, Photo);
        var inner = Directory.CreateDirectory(Path.Combine(_folder, "inner")).FullName;
        // "café.jpg" in Latin-1: byte 0xE9 alone is not UTF-8, and .NET cannot create such a name itself.
        await Run("bash", "-c", "cp \"$1\" \"$2/$(printf 'caf\\xe9.jpg')\"", "_", source, inner);
        byte[] expected = [.. "caf"u8, 0xE9, .. ".jpg"u8];

        var (exit, lines, error) = await CliProcess.RunJsonAsync([], "scan", inner, "--jsonl");

        Assert.True(exit == 0, error);
        var line = Assert.Single(lines);
        Assert.True(line.GetProperty("ok").GetBoolean(), line.ToString());
        Assert.Equal("jpeg", line.GetProperty("format").GetString());
        Assert.Equal("caf\\xE9.jpg", line.GetProperty("file").GetString());
        Assert.Equal(expected, line.GetProperty("fileBytes").GetBytesFromBase64());

        // Named directly on the command line, the bytes arrive intact too.
        (exit, lines, error) = await CliProcess.RunJsonAsync(
            ["bash", "-c", "dir=$1; shift; exec \"$@\" \"$dir/$(printf 'caf\\xe9.jpg')\"", "_", inner], [.. CliProcess.Program.Skip(2), "scan", "--jsonl"]);
        Assert.True(exit == 0, error);
        line = Assert.Single(lines);
        Assert.True(line.GetProperty("ok").GetBoolean(), line.ToString());
        Assert.Equal([.. Encoding.UTF8.GetBytes(inner + "/"), .. expected], line.GetProperty("fileBytes").GetBytesFromBase64());

        // A valid UTF-8 name carries no fileBytes: file alone is exact.
        (_, lines, _) = await CliProcess.RunJsonAsync([], "scan", source, "--jsonl");
        Assert.False(Assert.Single(lines).TryGetProperty("fileBytes", out _));
    }

    [Fact]
    public async Task Links_to_files_are_followed_and_a_folder_loop_is_reported_and_entered_once()
    {
        var real = Directory.CreateDirectory(Path.Combine(_folder, "real")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(real, "photo.jpg"), Photo);
        File.CreateSymbolicLink(Path.Combine(_folder, "link.jpg"), "real/photo.jpg");
        File.CreateSymbolicLink(Path.Combine(_folder, "dangling.jpg"), "nowhere.jpg");
        Directory.CreateSymbolicLink(Path.Combine(real, "back"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_folder, "twin"), "real");

        var (exit, lines, error) = await CliProcess.RunJsonAsync([], "scan", _folder, "--jsonl");

        Assert.Equal(0, exit);
        Assert.Equal(["link.jpg", "real/photo.jpg"], lines.Select(l => l.GetProperty("file").GetString()));
        Assert.All(lines, l => Assert.True(l.GetProperty("ok").GetBoolean()));
        Assert.Contains($"{real}/back: a symbolic link loop back to {_folder}", error, StringComparison.Ordinal);
        Assert.Contains($"{_folder}/twin: the same folder as {real}, already scanned", error, StringComparison.Ordinal);
        Assert.Contains($"{_folder}/dangling.jpg: a symbolic link to nothing", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Root reads every folder whatever its mode, through the capabilities CAP_DAC_OVERRIDE and
    /// CAP_DAC_READ_SEARCH; as root the CLI runs without them (setpriv, util-linux, part of every Debian), so
    /// mode 000 stops it as it stops any user. Not as nobody: the test's own folder (a CI clone) may be one
    /// only root can enter. Anyone but root runs the CLI as is.
    /// </summary>
    private static string[] Unprivileged() => Environment.UserName != "root" ? [] :
        ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"];

    private static async Task Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed with {process.ExitCode}");
    }
}
