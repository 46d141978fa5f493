using System.Diagnostics;
using System.Text.Json;

namespace ImageMeta.Cli.Tests;

/// <summary>
/// The built imagemeta program started as a real process (through the dotnet host that runs the tests),
/// optionally behind a launcher such as setpriv, env or bash, which must exec it so the process id is the CLI's.
/// </summary>
public sealed class CliProcess : IDisposable
{
    /// <summary>Bound for a scan of a small folder: far above its normal second, far below "for ever".</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Task<string> _error;

    private CliProcess(Process process)
    {
        _process = process;
        _error = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public StreamReader Output => _process.StandardOutput;

    /// <summary>The dotnet host and the CLI's assembly, as a command line's first words.</summary>
    public static IReadOnlyList<string> Program =>
    [
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet",
        Path.Combine(AppContext.BaseDirectory, "imagemeta.dll"),
    ];

    public static CliProcess Start(IEnumerable<string> commandLine, string? workingDirectory = null)
    {
        var words = commandLine.ToList();
        var start = new ProcessStartInfo(words[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var word in words.Skip(1))
        {
            start.ArgumentList.Add(word);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {words[0]}");
        process.StandardInput.Close();
        return new CliProcess(process);
    }

    /// <summary>Starts the CLI with these arguments, reads everything, and waits at most <see cref="Bound"/>.</summary>
    public static async Task<(int Exit, List<JsonElement> Lines, string Error)> RunJsonAsync(IEnumerable<string> launcher, params string[] args)
    {
        using var cli = Start([.. launcher, .. Program, .. args]);
        var output = cli.Output.ReadToEndAsync();
        var exit = await cli.WaitAsync(Bound);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        return (exit, lines, await cli.ErrorAsync());
    }

    /// <summary>The exit code; a process still running after <paramref name="bound"/> is killed and fails the test.</summary>
    public async Task<int> WaitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"imagemeta still ran after {bound.TotalSeconds} s (killed); stderr so far: {await ErrorAsync()}");
        }

        return _process.ExitCode;
    }

    public Task<string> ErrorAsync() => _error.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Sends SIGINT, what Ctrl-C sends, with kill(1).</summary>
    public async Task InterruptAsync()
    {
        using var kill = Process.Start("kill", ["-INT", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
