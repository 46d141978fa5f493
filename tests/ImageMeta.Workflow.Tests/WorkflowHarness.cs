using Dapr.Workflow;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WorkflowSamples;

namespace ImageMeta.Workflow.Tests;

/// <summary>
/// A sidecar double with the Durable Task engine double attached, a worker host built the way a Dapr user builds one
/// (<c>AddDaprWorkflow</c> in a generic host, <c>DAPR_GRPC_ENDPOINT</c> in configuration), and the SDK's
/// <see cref="DaprWorkflowClient"/> from DI. Workers can be stopped and started; the engine keeps history.
/// </summary>
public sealed class WorkflowHarness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly int _grpcPort;
    private readonly ServiceProvider _clientServices;
    private IHost? _worker;

    private WorkflowHarness(int grpcPort)
    {
        _grpcPort = grpcPort;
        Network = new SidecarNetwork();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Configuration());
        services.AddDaprWorkflow(_ => { });
        _clientServices = services.BuildServiceProvider();
        Client = _clientServices.GetRequiredService<DaprWorkflowClient>();
    }

    public WorkflowEngineDouble Engine { get; } = new();

    public SidecarNetwork Network { get; }

    public SidecarDouble Sidecar { get; private set; } = null!;

    public SampleProbe Probe { get; } = new();

    public string GrpcEndpoint => $"http://127.0.0.1:{_grpcPort}";

    /// <summary>The official client, resolved from DI as an app would.</summary>
    public DaprWorkflowClient Client { get; }

    public static async Task<WorkflowHarness> StartAsync(bool startWorker = true)
    {
        var harness = new WorkflowHarness(LoopbackPorts.Free());
        harness.Sidecar = await harness.Network.StartSidecarAsync(harness.Engine.Attach(new SidecarOptions
        {
            AppId = "ingest",
            AppPort = LoopbackPorts.Free(),
            GrpcPort = harness._grpcPort,
        }));
        if (startWorker)
        {
            await harness.StartWorkerAsync();
        }

        return harness;
    }

    public async Task StartWorkerAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(Configuration());
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Probe);
        builder.Services.AddDaprWorkflow(o =>
        {
            o.RegisterWorkflow<ChainWorkflow>();
            o.RegisterWorkflow<FanOutWorkflow>();
            o.RegisterWorkflow<RetryingWorkflow>();
            o.RegisterWorkflow<ClassifyingWorkflow>();
            o.RegisterWorkflow<TimerWorkflow>();
            o.RegisterWorkflow<ApprovalWorkflow>();
            o.RegisterWorkflow<GoWorkflow>();
            o.RegisterWorkflow<ParentWorkflow>();
            o.RegisterWorkflow<FailingParentWorkflow>();
            o.RegisterWorkflow<ThrowingWorkflow>();
            o.RegisterWorkflow<CountingWorkflow>();
            o.RegisterWorkflow<GatedWorkflow>();
            o.RegisterWorkflow<LengthWorkflow>();
            o.RegisterWorkflow<EchoWorkflow>();
            o.RegisterWorkflow<WaitingParentWorkflow>();
            o.RegisterActivity<UpperActivity>();
            o.RegisterActivity<ExclaimActivity>();
            o.RegisterActivity<GatedActivity>();
            o.RegisterActivity<LengthActivity>();
            o.RegisterActivity<EchoActivity>();
            o.RegisterActivity<FlakyActivity>();
            o.RegisterActivity<ClassifyActivity>();
        });
        var worker = builder.Build();
        await worker.StartAsync();
        _worker = worker;
        await Engine.WaitForWorkerAsync(Patience, CancellationToken.None);
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

    /// <summary>The SDK's server-side long poll, bounded so a hang fails the test instead of the run.</summary>
    public async Task<WorkflowState> CompletionOf(string instanceId, bool getInputsAndOutputs = true)
    {
        using var limit = new CancellationTokenSource(Patience);
        return await Client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs, limit.Token);
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
        await _clientServices.DisposeAsync();
        await Network.DisposeAsync();
        await Engine.DisposeAsync();
    }
}
