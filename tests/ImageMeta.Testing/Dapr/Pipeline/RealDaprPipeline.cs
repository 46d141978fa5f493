using System.Diagnostics;
using ImageMeta.Contracts;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// The same pipeline under a real Dapr: <c>dapr run -f .</c> in the repository root (the local profile),
/// then the apps on their fixed ports. Used when the <c>dapr</c> CLI is on PATH and
/// <c>IMAGEMETA_E2E_REAL_DAPR=1</c>; <c>dapr init</c> must have been run once.
/// </summary>
public sealed class RealDaprPipeline : IAsyncDisposable
{
    public const string SwitchVariable = "IMAGEMETA_E2E_REAL_DAPR";

    private readonly ServiceProcess _run;

    private RealDaprPipeline(ServiceProcess run) => _run = run;

    /// <summary>Null when the switch is on and the CLI is found; otherwise the reason the real-Dapr tests skip.</summary>
    public static string? UnavailableReason
    {
        get
        {
            if (Environment.GetEnvironmentVariable(SwitchVariable) != "1")
            {
                return $"Real-Dapr end-to-end tests run only with {SwitchVariable}=1 and the dapr CLI on PATH (after 'dapr init').";
            }

            return ExecutablesOnPath.Find("dapr") is null ? $"{SwitchVariable}=1 but no 'dapr' on PATH." : null;
        }
    }

    public Uri Ingest { get; } = new($"http://127.0.0.1:{DaprTopology.AppPorts.Ingest}/");

    public Uri Store { get; } = new($"http://127.0.0.1:{DaprTopology.AppPorts.Store}/");

    public string RecentOutput => _run.RecentOutput;

    public static async Task<RealDaprPipeline> StartAsync(TimeSpan timeout)
    {
        var dapr = ExecutablesOnPath.Find("dapr") ?? throw new InvalidOperationException("dapr CLI not found on PATH.");
        // As scripts/run-local.sh does: the SQLite workflow state and the images folder live under .data.
        Directory.CreateDirectory(Path.Combine(RepositoryLayout.Root, ".data", "images"));
        var run = new ServiceProcess("dapr-run", dapr, ["run", "-f", "."], RepositoryLayout.Root, DaprTopology.AppPorts.Ingest, new Dictionary<string, string>());
        var pipeline = new RealDaprPipeline(run);
        try
        {
            // ServiceProcess waits for ingest's /healthz; the other two are checked the same way below.
            await run.StartAsync(timeout);
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            foreach (var port in new[] { DaprTopology.AppPorts.Extractor, DaprTopology.AppPorts.Store })
            {
                var deadline = DateTime.UtcNow + timeout;
                while (true)
                {
                    try
                    {
                        using var response = await probe.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
                        if (response.IsSuccessStatusCode)
                        {
                            break;
                        }
                    }
                    catch (HttpRequestException)
                    {
                    }
                    catch (TaskCanceledException)
                    {
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"App on port {port} not healthy under dapr run.\n{run.RecentOutput}");
                    }

                    await Task.Delay(500);
                }
            }

            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // 'dapr stop -f .' ends the apps and sidecars of this run file; killing the CLI's tree is the fallback.
        if (ExecutablesOnPath.Find("dapr") is { } dapr)
        {
            using var stop = Process.Start(new ProcessStartInfo(dapr, ["stop", "-f", "."]) { WorkingDirectory = RepositoryLayout.Root, UseShellExecute = false });
            if (stop is not null)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await stop.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    stop.Kill(entireProcessTree: true);
                }
            }
        }

        await _run.DisposeAsync();
        await WaitUntilPortsAreFreeAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// The run file's fixed ports, apps and sidecars. <c>dapr stop</c> returns before every daprd has closed its
    /// listeners, so the next <c>dapr run</c> on the same ports (the next test, or another profile) waits for them.
    /// </summary>
    private static readonly int[] RunFilePorts =
    [
        DaprTopology.AppPorts.Web, DaprTopology.AppPorts.Ingest, DaprTopology.AppPorts.Extractor, DaprTopology.AppPorts.Store,
        DaprTopology.SidecarPorts.WebHttp, DaprTopology.SidecarPorts.IngestHttp, DaprTopology.SidecarPorts.ExtractorHttp, DaprTopology.SidecarPorts.StoreHttp,
        DaprTopology.SidecarPorts.WebGrpc, DaprTopology.SidecarPorts.IngestGrpc, DaprTopology.SidecarPorts.ExtractorGrpc, DaprTopology.SidecarPorts.StoreGrpc,
    ];

    private static async Task WaitUntilPortsAreFreeAsync(TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        foreach (var port in RunFilePorts)
        {
            while (await IsListeningAsync(port))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Port {port} is still taken {bound.TotalSeconds} s after dapr stop.");
                }

                await Task.Delay(250);
            }
        }
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
