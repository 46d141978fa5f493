using System.Collections.Concurrent;
using System.Diagnostics;
using ImageMeta.Testing.Processes;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// One real service as a separate OS process (<c>dotnet &lt;built dll&gt;</c>), with its environment, its
/// output kept for failure messages, and stop/start for the outage scenarios. Every wait is bounded.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 400;

    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private Process? _process;

    public ServiceProcess(string name, string command, IReadOnlyList<string> arguments, string workingDirectory, int port, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        Command = command;
        Arguments = arguments;
        WorkingDirectory = workingDirectory;
        Port = port;
        Environment = environment;
    }

    public string Name { get; }

    public string Command { get; }

    public IReadOnlyList<string> Arguments { get; }

    public string WorkingDirectory { get; }

    /// <summary>The app port (the sidecar's <c>--app-port</c>).</summary>
    public int Port { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The OS process id while running.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>The last lines the process wrote, for assertion messages.</summary>
    public string RecentOutput => string.Join('\n', _output);

    /// <summary>Starts the process and waits until its <c>/healthz</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo(Command)
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The parent's DOTNET_/ASPNETCORE_ settings (from the test host) must not leak into the services.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("DAPR_", StringComparison.Ordinal) || k == "APP_API_TOKEN").ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{Name}: could not start '{Command}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Keep($"--- {Name} started (pid {process.Id}) ---");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} during start-up.\n{RecentOutput}");
            }

            try
            {
                using var response = await _probe.GetAsync(new Uri(BaseAddress, "healthz"), deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
            {
                // The probe's own timeout; try again.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not become healthy within {timeout.TotalSeconds:F0} s.\n{RecentOutput}");
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not become healthy within {timeout.TotalSeconds:F0} s.\n{RecentOutput}");
            }
        }
    }

    /// <summary>Kills the process tree at once (SIGKILL): no graceful shutdown, as a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        try
        {
            await ProcessTree.KillAsync(process);
        }
        finally
        {
            Keep($"--- {Name} killed ---");
            process.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue($"[{Name}] {line}");
        while (_output.Count > KeptOutputLines)
        {
            _output.TryDequeue(out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _probe.Dispose();
    }
}
