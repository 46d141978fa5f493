using System.Collections.Concurrent;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WorkflowSamples;

namespace ImageMeta.Workflow.Tests;

/// <summary>
/// A sidecar double with the Durable Task engine attached, and worker hosts that connect to it the way
/// an app does (<c>DAPR_GRPC_ENDPOINT</c>). Workers can be stopped and started; the engine keeps history.
/// </summary>
public sealed class WorkflowHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly int _grpcPort;
    private IHost? _worker;

    private WorkflowHarness(int grpcPort)
    {
        _grpcPort = grpcPort;
        Network = new SidecarNetwork();
    }

    public WorkflowEngineDouble Engine { get; } = new();

    public SidecarNetwork Network { get; }

    public SidecarDouble? Sidecar { get; private set; }

    public SampleProbe Probe { get; } = new();

    public ConcurrentQueue<string> WorkerLog { get; } = new();

    public string GrpcEndpoint => $"http://127.0.0.1:{_grpcPort}";

    public DaprWorkflowClient Client { get; private set; } = null!;

    public static async Task<WorkflowHarness> StartAsync(bool startSidecar = true, bool startWorker = true)
    {
        var harness = new WorkflowHarness(LoopbackPorts.Free());
        harness.Client = new DaprWorkflowClient(
            new SidecarConnection(Options.Create(new WorkflowRuntimeOptions()), harness.Configuration()),
            Options.Create(new WorkflowRuntimeOptions()));
        if (startSidecar)
        {
            await harness.StartSidecarAsync();
        }

        if (startWorker)
        {
            await harness.StartWorkerAsync();
        }

        return harness;
    }

    public async Task StartSidecarAsync()
    {
        Sidecar = await Network.StartSidecarAsync(Engine.Attach(new SidecarOptions
        {
            AppId = "ingest",
            AppPort = LoopbackPorts.Free(),
            GrpcPort = _grpcPort,
        }));
    }

    public async Task StartWorkerAsync(bool waitForConnection = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(Configuration());
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new QueueLoggerProvider(WorkerLog));
        builder.Services.AddSingleton(Probe);
        builder.Services.AddDaprWorkflow(o =>
        {
            o.RegisterWorkflow<ChainWorkflow>();
            o.RegisterWorkflow<EchoWorkflow>();
            o.RegisterWorkflow<RetryingWorkflow>();
            o.RegisterWorkflow<RetryWindowWorkflow>();
            o.RegisterWorkflow<RejectingWorkflow>();
            o.RegisterWorkflow<TimerWorkflow>();
            o.RegisterWorkflow<ApprovalWorkflow>();
            o.RegisterWorkflow<ChangingWorkflow>();
            o.RegisterWorkflow<PausingWorkflow>();
            o.RegisterWorkflow<ThrowingWorkflow>();
            o.RegisterWorkflow<GuidWorkflow>();
            o.RegisterActivity<UpperActivity>();
            o.RegisterActivity<ExclaimActivity>();
            o.RegisterActivity<EchoActivity>();
            o.RegisterActivity<FlakyActivity>();
            o.RegisterActivity<RejectActivity>();
            o.RegisterActivity<GatedActivity>();
            o.ReconnectMinDelay = TimeSpan.FromMilliseconds(50);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(400);
        });
        _worker = builder.Build();
        await _worker.StartAsync();
        if (waitForConnection)
        {
            await Engine.WaitForWorkerAsync(Patience, CancellationToken.None);
        }
    }

    public async Task StopWorkerAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.StopAsync(TimeSpan.FromSeconds(10));
            worker.Dispose();
        }
    }

    public Task<WorkflowState> CompletionOf(string instanceId)
    {
        using var limit = new CancellationTokenSource(Patience);
        return Client.WaitForWorkflowCompletionAsync(instanceId, TimeSpan.FromMilliseconds(20), limit.Token)
            .WaitAsync(Patience);
    }

    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    private IConfiguration Configuration() => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["DAPR_GRPC_ENDPOINT"] = GrpcEndpoint })
        .Build();

    public async ValueTask DisposeAsync()
    {
        await StopWorkerAsync();
        await Network.DisposeAsync();
        await Engine.DisposeAsync();
    }

    /// <summary>Collects the worker's log lines so tests can check what it says about its connection.</summary>
    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(lines, categoryName);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(ConcurrentQueue<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category.StartsWith("ImageMeta", StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
