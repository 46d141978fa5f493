using System.Diagnostics;
using System.Net;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Grpc.Net.Client;
using ImageMeta.Testing.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Bench.Pipeline;

/// <summary>What the doubles alone cost: the floor under every pipeline number.</summary>
public sealed record DoubleOverhead(double InvocationsPerSecond, double InvocationP50Ms, double BindingCreatesPerSecond, double BindingCreateP50Ms, int PayloadBytes);

/// <summary>
/// Service invocation through two doubles to a do-nothing app, and <c>images</c> creates over gRPC, with
/// the same concurrency the pipeline uses: if these rates are far above the pipeline's, the doubles
/// are not what limits it.
/// </summary>
public static class DoubleOverheadBenchmark
{
    public static async Task<DoubleOverhead> RunAsync(int calls, int concurrency, int payloadBytes)
    {
        var appPort = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, appPort));
        await using var app = builder.Build();
        app.MapPost("/noop", () => Results.Ok());
        await app.StartAsync();

        await using var network = new SidecarNetwork();
        var caller = await network.StartSidecarAsync(new SidecarOptions { AppId = "caller", AppPort = LoopbackPorts.Free() });
        await network.StartSidecarAsync(new SidecarOptions { AppId = "callee", AppPort = appPort });

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = concurrency });
        var invokeUri = new Uri($"{caller.HttpEndpoint}/v1.0/invoke/callee/method/noop");
        var (invokeRate, invokeP50) = await MeasureAsync(calls, concurrency, async () =>
        {
            using var response = await http.PostAsync(invokeUri, new StringContent("{}"));
            response.EnsureSuccessStatusCode();
        });

        using var channel = GrpcChannel.ForAddress(caller.GrpcEndpoint, new GrpcChannelOptions { MaxSendMessageSize = 64 * 1024 * 1024 });
        var client = new global::Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(channel);
        var payload = ByteString.CopyFrom(new byte[payloadBytes]);
        var n = 0;
        var (createRate, createP50) = await MeasureAsync(calls, concurrency, async () =>
        {
            var request = new InvokeBindingRequest { Name = "images", Operation = "create", Data = payload };
            request.Metadata["fileName"] = $"overhead/{Interlocked.Increment(ref n)}.bin";
            await client.InvokeBindingAsync(request);
        });

        return new DoubleOverhead(invokeRate, invokeP50, createRate, createP50, payloadBytes);
    }

    private static async Task<(double Rate, double P50Ms)> MeasureAsync(int calls, int concurrency, Func<Task> call)
    {
        for (var i = 0; i < 50; i++)
        {
            await call(); // warm-up
        }

        var durations = new double[calls];
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, calls, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            durations[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        });
        var elapsed = clock.Elapsed.TotalSeconds;
        Array.Sort(durations);
        return (calls / elapsed, durations[calls / 2]);
    }
}
