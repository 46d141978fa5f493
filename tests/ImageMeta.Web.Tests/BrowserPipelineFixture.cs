using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Processes;
using Microsoft.Playwright;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The three services and the web app on sidecar doubles (SQLite, real files, the in-test Zipkin), and Debian's
/// Chromium driven by Playwright. Started once for the browser collection; the scenarios run one after another, so
/// the outage scenarios cannot disturb the others. Skips with the reason when Chromium or the npm tools of tools/browser-tests are not installed.
/// </summary>
public sealed class BrowserPipelineFixture : IAsyncLifetime
{
    /// <summary>The page's upload limit in these tests: small, so the oversize scenario needs no huge file.</summary>
    public const long UploadLimitBytes = 2 * 1024 * 1024;

    /// <summary>Where the system Chromium is (Debian's package); IMAGEMETA_CHROMIUM overrides.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("IMAGEMETA_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>The browser-test tools (oidc-provider, axe-core), installed by <c>npm ci</c> in .ci/run.</summary>
    public static string ToolsFolder => Path.Combine(RepositoryLayout.Root, "tools", "browser-tests");

    public static string ScreenshotFolder => Path.Combine(RepositoryLayout.Root, "tests", "ImageMeta.Web.Tests", "screenshots");

    public static string Configuration =>
        typeof(BrowserPipelineFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public string? SkipReason { get; private set; }

    public SidecarDoublePipeline Pipeline { get; private set; } = null!;

    public PipelineClient Client { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The web app as a browser reaches it (localhost: a secure context, like the README's address).</summary>
    public Uri WebAddress { get; private set; } = null!;

    /// <summary>The axe-core script injected for the accessibility check.</summary>
    public string AxeScript { get; private set; } = null!;

    /// <summary>The map tiles the web app is configured with (<c>Web:MapTiles:UrlTemplate</c>).</summary>
    public TileStandIn Tiles { get; private set; } = null!;

    private readonly List<IAsyncDisposable> _extra = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            SkipReason = $"No Chromium at {ChromiumPath}: install Debian's chromium (.ci/run does) to run the browser tests.";
            return;
        }

        var axe = Path.Combine(ToolsFolder, "node_modules", "axe-core", "axe.min.js");
        if (!File.Exists(axe))
        {
            // A missing tool skips its suite; in CI (CI=true), where scripts/setup.sh installs it, it is a failure.
            var reason = $"{axe} is missing: run 'npm ci' in tools/browser-tests (scripts/test.sh does when npm is there).";
            SkipReason = Environment.GetEnvironmentVariable("CI") == "true" ? throw new InvalidOperationException(reason) : reason;
            return;
        }

        AxeScript = await File.ReadAllTextAsync(axe);
        Directory.CreateDirectory(ScreenshotFolder);
        Directory.CreateDirectory(Path.Combine(ScreenshotFolder, "readme"));
        Tiles = TileStandIn.Start();
        _extra.Add(Tiles);

        Pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
        {
            Configuration = Configuration,
            WorkflowEngine = () => new ImageMeta.Testing.Workflow.WorkflowEngineDouble(),
            Web = true,
            Environment = new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                // Short retries: the outage scenarios must end quickly; the page polls every second.
                [DaprTopology.AppIds.Ingest] = new Dictionary<string, string>
                {
                    ["Ingest__RetryMaxAttempts"] = "3",
                    ["Ingest__RetryFirstInterval"] = "00:00:01",
                    ["Ingest__RetryMaxInterval"] = "00:00:02",
                },
                [DaprTopology.AppIds.Web] = new Dictionary<string, string>(WebEnvironment()) { ["Web__MapTiles__UrlTemplate"] = Tiles.UrlTemplate, ["Web__MapTiles__Attribution"] = "Test tiles" },
            },
        });
        Client = new PipelineClient(Pipeline.Ingest.BaseAddress, Pipeline.Store.BaseAddress);
        WebAddress = new Uri($"http://localhost:{Pipeline.Web!.Port.ToString(CultureInfo.InvariantCulture)}/");

        // Expectations wait up to 30 s (Playwright's default is 5): on a loaded 2-core machine the sign-in's code
        // exchange alone has taken longer. A bound against hangs, not a timed assertion.
        Assertions.SetDefaultExpectTimeout(30_000);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in CI: Chromium's sandbox cannot start as root.
            Args = ["--no-sandbox"],
        });
    }

    /// <summary>The web app's settings in these tests (the sign-in instance adds Auth:*).</summary>
    public static Dictionary<string, string> WebEnvironment() => new()
    {
        ["Web__MaxUploadBytes"] = UploadLimitBytes.ToString(CultureInfo.InvariantCulture),
        ["Web__ZipkinUi"] = "http://localhost:9411/zipkin/",
        ["Web__PageSize"] = "6",
        ["Web__InvocationTimeout"] = "00:00:20",
    };

    /// <summary>Starts a second web app with sign-in configured, sharing the web sidecar double; disposed with the fixture.</summary>
    public async Task<ServiceProcess> StartSignedInWebAsync(int port, Uri authority, string clientId, string clientSecret)
    {
        var web = Pipeline.Web!;
        var env = new Dictionary<string, string>(web.Environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["APP_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["Auth__Authority"] = authority.ToString().TrimEnd('/'),
            ["Auth__ClientId"] = clientId,
            ["Auth__ClientSecret"] = clientSecret,
            ["Auth__RequireHttpsMetadata"] = "false",
        };
        var process = new ServiceProcess("web-signin", web.Command, web.Arguments, web.WorkingDirectory, port, env);
        _extra.Add(process);
        await process.StartAsync(TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>Starts a second web app with settings of its own over the first one's, sharing its sidecar double; disposed with the fixture.</summary>
    public async Task<Uri> StartWebAsync(string name, IReadOnlyDictionary<string, string> settings)
    {
        var web = Pipeline.Web!;
        var port = ImageMeta.Testing.Dapr.LoopbackPorts.Free();
        var env = new Dictionary<string, string>(web.Environment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["APP_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings)
        {
            env[key] = value;
        }

        var process = new ServiceProcess(name, web.Command, web.Arguments, web.WorkingDirectory, port, env);
        _extra.Add(process);
        await process.StartAsync(TimeSpan.FromSeconds(60));
        return new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Keeps something to dispose with the fixture (the OIDC provider).</summary>
    public void Own(IAsyncDisposable owned) => _extra.Add(owned);

    public async Task DisposeAsync()
    {
        foreach (var owned in _extra)
        {
            await owned.DisposeAsync();
        }

        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        Client?.Dispose();
        if (Pipeline is not null)
        {
            await Pipeline.DisposeAsync();
        }
    }
}

/// <summary>The browser scenarios share one pipeline and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserPipelineFixture>
{
    public const string Name = "browser";
}

/// <summary>A node process (the OpenID Connect provider), stopped with the fixture; its output is kept for messages.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(Process process, string readyLine)
    {
        _process = process;
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.Add(line);
            }

            if (line.Contains(readyLine, StringComparison.Ordinal))
            {
                _ready.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Runs <c>node script</c> in <paramref name="folder"/> and waits (bounded) for a line containing <paramref name="readyLine"/>.</summary>
    public static async Task<NodeProcess> StartAsync(string folder, string script, string readyLine, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var node = new NodeProcess(process, readyLine);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(node._ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != node._ready.Task)
        {
            await node.DisposeAsync();
            throw new InvalidOperationException($"node {script} did not start:\n{node.Output}");
        }

        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessTree.KillAsync(_process);
        _process.Dispose();
    }
}
