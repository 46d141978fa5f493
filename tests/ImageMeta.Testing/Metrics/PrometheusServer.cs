using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Processes;

namespace ImageMeta.Testing.Metrics;

/// <summary>One sample of a Prometheus instant query: the series' labels and its value.</summary>
public sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A real Prometheus (the Debian <c>prometheus</c> package) on loopback, scraping the targets it is given every second
/// from a generated configuration into a scratch folder, and answering instant queries over its HTTP API
/// (prometheus.io/docs "HTTP API": <c>GET /api/v1/query</c>, <c>/-/ready</c>).
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private const int KeptOutputLines = 200;

    private readonly DirectoryInfo _folder;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private readonly HttpClient _http;

    private PrometheusServer(DirectoryInfo folder, Process process, ConcurrentQueue<string> output, Uri address)
    {
        _folder = folder;
        _process = process;
        _output = output;
        Address = address;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public string RecentOutput => string.Join('\n', _output);

    /// <summary>
    /// Why no Prometheus can run here (no <c>prometheus</c> on PATH), or null. In CI (<c>CI=true</c>) its absence is a
    /// failure, not a skip: <c>.ci/run</c> installs it.
    /// </summary>
    public static string? UnavailableReason =>
        ExecutablesOnPath.Find("prometheus") is not null ? null
        : Environment.GetEnvironmentVariable("CI") == "true" ? throw new InvalidOperationException("prometheus is required in CI (.ci/run installs the Debian package).")
        : "prometheus is not installed (Debian package prometheus; .ci/run installs it).";

    /// <summary>Starts Prometheus scraping <c>/metrics</c> of each target (job name, base address) every second and waits until it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(IEnumerable<(string Job, Uri Target)> targets, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-prometheus-");
        var config = new StringBuilder("""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:

            """);
        foreach (var (job, target) in targets)
        {
            config.Append(CultureInfo.InvariantCulture, $"""
                  - job_name: {job}
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['{target.Host}:{target.Port}']

                """);
        }

        File.WriteAllText(Path.Combine(folder.FullName, "prometheus.yml"), config.ToString());
        var port = LoopbackPorts.Free();
        var start = new ProcessStartInfo(ExecutablesOnPath.Find("prometheus") ?? "prometheus")
        {
            WorkingDirectory = folder.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--config.file=" + Path.Combine(folder.FullName, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(folder.FullName, "data"),
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(output, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(folder, process, output, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"));
        try
        {
            await server.WaitUntilReadyAsync(timeout, cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>An instant query's vector result (<c>GET /api/v1/query</c>); a scalar answer comes back as one sample without labels.</summary>
    public async Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Prometheus refused '{promql}': {(int)response.StatusCode} {body}");
        }

        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            return [new PrometheusSample(new Dictionary<string, string>(), Number(result[1]))];
        }

        return [.. result.EnumerateArray().Select(series => new PrometheusSample(
            series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal),
            Number(series.GetProperty("value")[1])))];
    }

    /// <summary>
    /// Asks <paramref name="promql"/> until <paramref name="done"/> accepts the answer (scrapes come every second, so
    /// what the services counted reaches Prometheus a moment later) or <paramref name="bound"/> passes; returns the last answer.
    /// </summary>
    public async Task<IReadOnlyList<PrometheusSample>> WaitForAsync(string promql, Func<IReadOnlyList<PrometheusSample>, bool> done, TimeSpan bound, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var answer = await QueryAsync(promql, cancellationToken);
            if (done(answer) || deadline.Elapsed > bound)
            {
                return answer;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessTree.KillAsync(_process);
        _process.Dispose();
        _http.Dispose();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the exiting process; the temp folder is cleaned by the OS later.
        }
    }

    private static double Number(JsonElement value) => value.GetString() switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture),
    };

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > KeptOutputLines)
        {
            output.TryDequeue(out _);
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode} during start-up.\n{RecentOutput}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"prometheus was not ready within {timeout.TotalSeconds:F0} s.\n{RecentOutput}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }
}
