using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// The three real services, each a separate process, each with its own sidecar double, sharing the
/// <c>images</c> and <c>thumbnails</c> folders, the workflow engine double behind ingest's sidecar, a SQLite file or a
/// PostgreSQL database, and an in-test Zipkin; with <see cref="PipelineSettings.Web"/> also the web app, whose
/// sidecar double invokes ingest and store. What <c>dapr run -f .</c> does on a laptop, minus daprd.
/// </summary>
public sealed class SidecarDoublePipeline : IAsyncDisposable
{
    private readonly PipelineSettings _settings;
    private readonly List<IAsyncDisposable> _owned = [];

    private SidecarDoublePipeline(PipelineSettings settings, string workDirectory)
    {
        _settings = settings;
        WorkDirectory = workDirectory;
        Network = new SidecarNetwork(Path.Combine(workDirectory, "images"), Path.Combine(workDirectory, "thumbnails"));
    }

    public SidecarNetwork Network { get; }

    /// <summary>Scratch folder of this pipeline: images, thumbnails, SQLite file.</summary>
    public string WorkDirectory { get; }

    public ZipkinReceiver? Zipkin { get; private set; }

    public IWorkflowEngineDouble Workflows { get; private set; } = null!;

    public SidecarDouble IngestSidecar { get; private set; } = null!;

    public SidecarDouble ExtractorSidecar { get; private set; } = null!;

    public SidecarDouble StoreSidecar { get; private set; } = null!;

    public ServiceProcess Ingest { get; private set; } = null!;

    public ServiceProcess Extractor { get; private set; } = null!;

    public ServiceProcess Store { get; private set; } = null!;

    /// <summary>The web app's sidecar double, when <see cref="PipelineSettings.Web"/> is set.</summary>
    public SidecarDouble? WebSidecar { get; private set; }

    /// <summary>The web app, when <see cref="PipelineSettings.Web"/> is set.</summary>
    public ServiceProcess? Web { get; private set; }

    /// <summary>The SQLite database file, when the store runs on SQLite.</summary>
    public string? SqlitePath { get; private set; }

    public MetadataDatabase Database => _settings.Database;

    public IEnumerable<ServiceProcess> Services => Web is null ? [Ingest, Extractor, Store] : [Ingest, Extractor, Store, Web];

    /// <summary>Recent output of all services, for assertion messages.</summary>
    public string RecentOutput => string.Join("\n", Services.Select(s => s.RecentOutput));

    public static async Task<SidecarDoublePipeline> StartAsync(PipelineSettings settings, CancellationToken cancellationToken = default)
    {
        var work = Directory.CreateTempSubdirectory("imagemeta-pipeline-").FullName;
        var pipeline = new SidecarDoublePipeline(settings, work);
        try
        {
            await pipeline.StartCoreAsync(cancellationToken);
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        if (_settings.Tracing)
        {
            Zipkin = new ZipkinReceiver();
            await Zipkin.StartAsync();
        }

        Workflows = _settings.WorkflowEngine();
        _owned.Add(Workflows);

        var ports = new Dictionary<string, int>
        {
            [DaprTopology.AppIds.Ingest] = LoopbackPorts.Free(),
            [DaprTopology.AppIds.Extractor] = LoopbackPorts.Free(),
            [DaprTopology.AppIds.Store] = LoopbackPorts.Free(),
        };
        if (_settings.Web)
        {
            ports[DaprTopology.AppIds.Web] = LoopbackPorts.Free();
        }

        StoreSidecar = await Network.StartSidecarAsync(SidecarFor(DaprTopology.AppIds.Store, ports), cancellationToken);
        ExtractorSidecar = await Network.StartSidecarAsync(SidecarFor(DaprTopology.AppIds.Extractor, ports), cancellationToken);
        IngestSidecar = await Network.StartSidecarAsync(Workflows.Attach(SidecarFor(DaprTopology.AppIds.Ingest, ports)), cancellationToken);

        Store = CreateProcess(DaprTopology.AppIds.Store, StoreSidecar, ports, StoreEnvironment());
        Extractor = CreateProcess(DaprTopology.AppIds.Extractor, ExtractorSidecar, ports, BlobEnvironment());
        Ingest = CreateProcess(DaprTopology.AppIds.Ingest, IngestSidecar, ports, BlobEnvironment());
        if (_settings.Web)
        {
            WebSidecar = await Network.StartSidecarAsync(SidecarFor(DaprTopology.AppIds.Web, ports), cancellationToken);
            Web = CreateProcess(DaprTopology.AppIds.Web, WebSidecar, ports, []);
        }

        // Start order does not matter to Dapr apps, but starting the callees first keeps the first
        // uploads from spending their retries on services that are still booting.
        await Task.WhenAll(
            Store.StartAsync(_settings.StartTimeout, cancellationToken),
            Extractor.StartAsync(_settings.StartTimeout, cancellationToken));
        await Ingest.StartAsync(_settings.StartTimeout, cancellationToken);
        try
        {
            await Workflows.WaitForWorkerAsync(_settings.StartTimeout, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"ingest's workflow worker did not open its work-item stream within {_settings.StartTimeout}.\n--- recent service output ---\n{RecentOutput}", e);
        }

        if (Web is not null)
        {
            await Web.StartAsync(_settings.StartTimeout, cancellationToken);
        }
    }

    private SidecarOptions SidecarFor(string appId, Dictionary<string, int> ports) => new()
    {
        AppId = appId,
        AppPort = ports[appId],
        AppApiToken = _settings.AppApiToken,
        DaprApiToken = _settings.DaprApiToken,
        MaxBodyBytes = _settings.SidecarMaxBodyBytes,
        ZipkinEndpoint = Zipkin?.SpansEndpoint,
    };

    private Dictionary<string, string> StoreEnvironment()
    {
        var env = new Dictionary<string, string>();
        if (_settings.Database == MetadataDatabase.Sqlite)
        {
            SqlitePath = Path.Combine(WorkDirectory, "metadata.db");
            env["Store__Provider"] = "sqlite";
            env["ConnectionStrings__Metadata"] = $"Data Source={SqlitePath}";
        }
        else
        {
            env["Store__Provider"] = "postgres";
            env["ConnectionStrings__Metadata"] = _settings.PostgresConnectionString
                ?? throw new InvalidOperationException("PostgreSQL pipeline without a connection string.");
        }

        return env;
    }

    /// <summary>The local profile's blob settings: the localstorage adapter, told where the component's rootPath is.</summary>
    private Dictionary<string, string> BlobEnvironment() => new()
    {
        ["Blobs__BindingType"] = "localstorage",
        ["Blobs__LocalRootPath"] = Network.Images.RootPath,
        // Test blobs are small: a binding answer lost on the way (see SidecarDouble.LoseNextBindingResponses)
        // costs a quarter of a minute here, not the production default's two.
        ["Blobs__CallTimeout"] = "00:00:15",
    };

    private ServiceProcess CreateProcess(string appId, SidecarDouble sidecar, Dictionary<string, int> ports, Dictionary<string, string> own)
    {
        var dll = RepositoryLayout.ServiceAssembly(appId, _settings.Configuration);
        var env = new Dictionary<string, string>(sidecar.AppEnvironment())
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports[appId].ToString(CultureInfo.InvariantCulture)}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["APP_PORT"] = ports[appId].ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = _settings.LogLevel,
            ["Logging__LogLevel__Microsoft.AspNetCore"] = _settings.LogLevel,
            ["Telemetry__ZipkinEndpoint"] = Zipkin?.SpansEndpoint ?? string.Empty,
            ["OTEL_SERVICE_NAME"] = appId,
        };
        foreach (var (key, value) in own)
        {
            env[key] = value;
        }

        if (_settings.Environment.TryGetValue(appId, out var extra))
        {
            foreach (var (key, value) in extra)
            {
                env[key] = value;
            }
        }

        var process = new ServiceProcess(appId, "dotnet", [dll], Path.GetDirectoryName(dll)!, ports[appId], env);
        _owned.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        // Apps first (they hold streams to their sidecars), then the doubles, then the files.
        foreach (var owned in _owned.OfType<ServiceProcess>())
        {
            await owned.DisposeAsync();
        }

        await Network.DisposeAsync();
        foreach (var owned in _owned.Where(o => o is not ServiceProcess))
        {
            await owned.DisposeAsync();
        }

        if (Zipkin is not null)
        {
            await Zipkin.DisposeAsync();
        }

        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; it is a temp folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
