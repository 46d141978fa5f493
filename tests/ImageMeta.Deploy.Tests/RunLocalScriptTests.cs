using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The decisions of <c>scripts/run-local.sh</c>, the README's main command, with stand-in <c>dapr</c>, <c>docker</c>,
/// <c>curl</c> (the download and the health probes) and <c>dotnet</c> on PATH: no Dapr can be downloaded or run here.
/// GitHub's real-dapr workflow runs the same script against the real CLI. Each stand-in writes what it was asked
/// into one log, in order, so the tests compare the order of the calls. The script runs from a scratch copy of the
/// repository's root files, with dapr.yaml's ports moved to free ones.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class RunLocalScriptTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("imagemeta-run-local-");

    private string Repo => Path.Combine(_scratch.FullName, "repo");

    private string Bin => Path.Combine(_scratch.FullName, "bin");

    private string Home => Path.Combine(_scratch.FullName, "home");

    private string Log => Path.Combine(_scratch.FullName, "calls.log");

    private readonly List<int> _ports = [];

    public RunLocalScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(Repo, "scripts"));
        Directory.CreateDirectory(Bin);
        Directory.CreateDirectory(Home);
        File.Copy(Path.Combine(Manifests.Root, "scripts", "run-local.sh"), Path.Combine(Repo, "scripts", "run-local.sh"));
        // Free ports instead of the fixed ones, so a service another suite runs on 5010 cannot look like a leftover run.
        var runFile = PortLine().Replace(File.ReadAllText(Path.Combine(Manifests.Root, "dapr.yaml")), m =>
        {
            var port = FreePort();
            _ports.Add(port);
            return m.Groups[1].Value + port.ToString(CultureInfo.InvariantCulture);
        });
        File.WriteAllText(Path.Combine(Repo, "dapr.yaml"), runFile);
        File.WriteAllText(Log, string.Empty);
        Write(Bin, "docker", """
            echo "docker $*" >> "$STANDIN_LOG"
            [ "${STANDIN_DOCKER:-}" = up ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
            [ "$1" = ps ] && [ -n "${STANDIN_DOCKER_CONTAINERS:-}" ] && echo dapr_placement
            exit 0
            """);
        Write(Bin, "dotnet", """echo "dotnet $*" >> "$STANDIN_LOG" """);
        // The download (an archive and its checksum file, as the CLI's releases publish them) and every health probe.
        Write(Bin, "curl", """
            out=""; url=""
            while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift 2 ;; http*) url=$1; shift ;; *) shift ;; esac; done
            case "$url" in
              *.tar.gz) cp "$STANDIN_ARCHIVE" "$out" ;;
              *.sha256) echo "$STANDIN_SHA256 *${url##*/}" | sed 's/\.sha256$//' > "$out" ;;
              # The web app answers once dapr run has started it; until then the connection is refused (curl's 7).
              */readyz) grep -q '^dapr run' "$STANDIN_LOG" || { echo "curl $url refused" >> "$STANDIN_LOG"; exit 7; } ;;
            esac
            echo "curl $url" >> "$STANDIN_LOG"
            exit 0
            """);
    }

    [Fact]
    public void Without_dapr_it_installs_the_pinned_cli_after_checking_its_checksum_then_inits_slim_and_runs_its_own_control_plane()
    {
        var archive = CliArchive();

        var (exitCode, output, error) = RunScript(new() { ["STANDIN_ARCHIVE"] = archive, ["STANDIN_SHA256"] = Sha256(archive) });

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}\n{error}");
        var calls = Calls();
        Assert.Contains("curl https://github.com/dapr/cli/releases/download/v1.18.0/dapr_linux_amd64.tar.gz", calls);
        Assert.Contains("curl https://github.com/dapr/cli/releases/download/v1.18.0/dapr_linux_amd64.tar.gz.sha256", calls);
        Assert.True(File.Exists(Path.Combine(Home, ".local", "share", "imagemeta", "dapr-cli-1.18.0", "dapr")), "the CLI is not in the user folder");
        // No Docker: the binaries only, then placement and the scheduler for this run, stopped when it ends.
        var init = calls.IndexOf("dapr init --slim --runtime-version 1.18.3");
        var placement = calls.IndexOf("placement started");
        var scheduler = calls.FindIndex(c => c.StartsWith("scheduler started --healthz-port 8081 --metrics-port 9091", StringComparison.Ordinal));
        var run = calls.IndexOf("dapr run -f .");
        Assert.True(init >= 0 && placement > init && scheduler > init && run > placement && run > scheduler, string.Join('\n', calls));
        Assert.True(calls.IndexOf("placement stopped") > run && calls.IndexOf("scheduler stopped") > run, string.Join('\n', calls));
        Assert.True(calls.IndexOf("curl http://localhost:5000/readyz") > run, "the web app's /readyz did not answer after dapr run");
        Assert.Contains("ready: open http://localhost:5000", output, StringComparison.Ordinal);
        Assert.Equal(4, calls.Count(c => c.StartsWith("dotnet build services/", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_download_whose_checksum_does_not_match_is_not_installed_and_nothing_runs()
    {
        var archive = CliArchive();

        var (exitCode, _, error) = RunScript(new() { ["STANDIN_ARCHIVE"] = archive, ["STANDIN_SHA256"] = new string('0', 64) });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("checksum mismatch for dapr_linux_amd64.tar.gz", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Home, ".local", "share", "imagemeta", "dapr-cli-1.18.0", "dapr")));
        Assert.DoesNotContain(Calls(), c => c.StartsWith("dapr ", StringComparison.Ordinal) || c.StartsWith("dotnet ", StringComparison.Ordinal));
    }

    [Fact]
    public void With_docker_it_runs_a_full_dapr_init_and_starts_no_control_plane_of_its_own()
    {
        Write(Bin, "dapr", DaprStandIn);

        var (exitCode, output, error) = RunScript(new() { ["STANDIN_DOCKER"] = "up", ["STANDIN_DOCKER_CONTAINERS"] = "1" });

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}\n{error}");
        var calls = Calls();
        Assert.Contains("dapr init --runtime-version 1.18.3", calls);
        Assert.DoesNotContain(calls, c => c.Contains("--slim", StringComparison.Ordinal) || c.StartsWith("curl https://github.com", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.StartsWith("placement", StringComparison.Ordinal) || c.StartsWith("scheduler", StringComparison.Ordinal));
        Assert.Contains("dapr run -f .", calls);
    }

    [Fact]
    public void A_cli_older_than_1_15_is_refused_because_the_run_file_needs_max_body_size()
    {
        Write(Bin, "dapr", DaprStandIn);

        var (exitCode, _, error) = RunScript(new() { ["STANDIN_DAPR_VERSION"] = "1.14.4" });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Dapr CLI 1.14.4 is older than 1.15.0", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.StartsWith("dapr init", StringComparison.Ordinal) || c.StartsWith("dapr run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_leftover_run_is_stopped_and_dapr_run_starts_only_once_its_ports_are_free()
    {
        Write(Bin, "dapr", DaprStandIn);
        using var leftover = new TcpListener(IPAddress.Loopback, _ports[1]);
        leftover.Start();

        var script = Task.Run(() => RunScript(new()));
        // The script finds the port taken, asks dapr to stop the earlier run, and waits; the earlier run then lets go.
        while (!Calls().Contains("dapr stop -f .") && !script.IsCompleted)
        {
            await Task.Delay(100);
        }

        File.AppendAllText(Log, "test: port released\n");
        leftover.Stop();
        var (exitCode, output, error) = await script;

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}\n{error}");
        var calls = Calls();
        Assert.True(calls.IndexOf("dapr run -f .") > calls.IndexOf("test: port released"), string.Join('\n', calls));
    }

    [Fact]
    public async Task Stop_returns_only_once_the_run_files_ports_are_free()
    {
        Write(Bin, "dapr", DaprStandIn);
        using var running = new TcpListener(IPAddress.Loopback, _ports[^1]);
        running.Start();

        var script = Task.Run(() => RunScript(new(), "stop"));
        while (!Calls().Contains("dapr stop -f .") && !script.IsCompleted)
        {
            await Task.Delay(100);
        }

        // A stop that did not wait would have returned right after dapr stop; this one still waits for the port.
        Assert.False(script.IsCompleted, "stop returned while a port of the run file was still taken");
        File.AppendAllText(Log, "test: port released\n");
        running.Stop();
        var (exitCode, output, error) = await script;

        Assert.True(exitCode == 0, $"exit {exitCode}: {output}\n{error}");
        Assert.Contains("stopped; ports", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.StartsWith("dapr run", StringComparison.Ordinal) || c.StartsWith("dapr init", StringComparison.Ordinal));
    }

    [Fact]
    public void The_readme_names_the_dapr_set_the_script_pins_and_the_sdk_the_packages_use()
    {
        var script = File.ReadAllText(Path.Combine(Manifests.Root, "scripts", "run-local.sh"));
        var packages = File.ReadAllText(Path.Combine(Manifests.Root, "Directory.Packages.props"));
        var readme = File.ReadAllText(Path.Combine(Manifests.Root, "README.md"));
        var cli = Regex.Match(script, "^cli_version=(.+)$", RegexOptions.Multiline).Groups[1].Value;
        var runtime = Regex.Match(script, "^runtime_version=(.+)$", RegexOptions.Multiline).Groups[1].Value;
        var minimum = Regex.Match(script, "^min_cli_version=(\\d+\\.\\d+)", RegexOptions.Multiline).Groups[1].Value;
        var sdk = Regex.Match(packages, "Include=\"Dapr.Workflow\" Version=\"([^\"]+)\"").Groups[1].Value;

        Assert.All(new[] { cli, runtime, minimum, sdk }, v => Assert.False(string.IsNullOrEmpty(v)));
        Assert.Contains($"runtime **{runtime}**, CLI **{cli}**", readme, StringComparison.Ordinal);
        Assert.Contains($"`Dapr.Client`/`Dapr.Workflow` **{sdk}**", readme, StringComparison.Ordinal);
        Assert.Contains($"The minimum CLI is {minimum}.", readme, StringComparison.Ordinal);
        Assert.Equal(sdk, Regex.Match(packages, "Include=\"Dapr.Client\" Version=\"([^\"]+)\"").Groups[1].Value);
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    /// <summary>The CLI stand-in: its version, and an init that lays out ~/.dapr/bin as the real one does.</summary>
    private const string DaprStandIn = """
        echo "dapr $*" >> "$STANDIN_LOG"
        case "$1" in
          --version) echo "CLI version: ${STANDIN_DAPR_VERSION:-1.18.0} "; echo "Runtime version: n/a" ;;
          init)
            mkdir -p "$HOME/.dapr/bin"
            printf '#!/bin/sh\nexit 0\n' > "$HOME/.dapr/bin/daprd"
            for b in placement scheduler; do
              printf '#!/bin/bash\necho "%s started $*" >> "$STANDIN_LOG"\ntrap '"'"'echo "%s stopped" >> "$STANDIN_LOG"; exit 0'"'"' TERM\nwhile :; do sleep 0.1; done\n' "$b" "$b" > "$HOME/.dapr/bin/$b"
            done
            chmod +x "$HOME/.dapr/bin/"* ;;
          # A real `dapr run` lives until it is stopped; this one lives until the script has seen the web app answer
          # (at most 60 s), so the script's readiness wait never finds it gone merely because it was quick.
          run) for _ in $(seq 600); do grep -q '^curl http://localhost:[0-9]*/readyz$' "$STANDIN_LOG" && break; sleep 0.1; done ;;
        esac
        exit 0
        """;

    private string CliArchive()
    {
        var content = Path.Combine(_scratch.FullName, "release");
        Write(content, "dapr", DaprStandIn);
        var archive = Path.Combine(_scratch.FullName, "dapr_linux_amd64.tar.gz");
        var (exitCode, _, error) = Manifests.Run("tar", ["-czf", archive, "-C", content, "dapr"], stdin: null);
        Assert.True(exitCode == 0, error);
        return archive;
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    private List<string> Calls() => [.. File.ReadAllLines(Log).Select(l => l.Trim())];

    private (int ExitCode, string Output, string Error) RunScript(Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(Repo, "scripts", "run-local.sh"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = $"{Bin}:/usr/bin:/bin";
        start.Environment["HOME"] = Home;
        start.Environment.Remove("XDG_DATA_HOME");
        start.Environment["STANDIN_LOG"] = Log;
        start.Environment["IMAGEMETA_PORT_FREE_TIMEOUT"] = "120";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run-local.sh did not finish within 120 s:\n{File.ReadAllText(Log)}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    private static void Write(string folder, string name, string body)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"((?:appPort|daprHTTPPort|daprGRPCPort): *)\d+")]
    private static partial Regex PortLine();
}
