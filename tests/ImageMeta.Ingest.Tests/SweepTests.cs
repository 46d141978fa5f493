using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Ingest.Tests;

/// <summary>The cron sweep: what it starts, across replicas and restarts, and the state store it keeps its position in.</summary>
public sealed class SweepTests : IAsyncLifetime
{
    private IngestHarness H { get; set; } = null!;

    public async Task InitializeAsync() => H = await IngestHarness.StartAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();

    private async Task RestartAsync(IngestHarnessOptions options)
    {
        await H.DisposeAsync();
        H = await IngestHarness.StartAsync(options);
    }

    [Fact]
    public async Task A_sweep_starts_blobs_nobody_started_and_a_second_sweep_starts_nothing()
    {
        foreach (var name in new[] { "s1.jpg", "sub/s2.jpg", "s3.jpg" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(H.ImagesFolder, name))!);
            await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, name), Encoding.UTF8.GetBytes(name));
        }

        using var first = await H.Http.PostAsync("/sweep", null);
        using var second = await H.Http.PostAsync("/sweep", null);

        Assert.Equal(3, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("started").GetInt32());
        Assert.Equal(0, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("started").GetInt32());
        Assert.Equal(3, H.Engine.StartedInstanceIds.Count);
    }

    [Fact]
    public async Task Two_ingest_instances_sweeping_the_same_container_at_once_start_each_image_once_and_store_one_row()
    {
        H.ExtractAnswer = (StatusCodes.Status200OK, null);
        var names = Enumerable.Range(0, 12).Select(i => $"replica-{i:D2}.png").ToList();
        foreach (var name in names)
        {
            await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, name), Encoding.UTF8.GetBytes(name));
        }

        await H.Engine.WaitForWorkerAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        // A second replica: same app id, same workflow engine and state store behind it, its own process state.
        using var replicaHttp = H.StartReplica(shortStartTimeout: false);

        var sweeps = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => new[] { H.Http, replicaHttp }).Select(async http =>
        {
            using var response = await http.PostAsync("/sweep", null);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return body.ValueKind == JsonValueKind.Object ? body.GetProperty("started").GetInt32() : 0;
        }));

        Assert.Equal(names.Count, sweeps.Sum());
        Assert.Equal(names.Count, H.Engine.StartedInstanceIds.Count);
        Assert.Equal(names.Count, H.Engine.StartedInstanceIds.Distinct().Count());
        foreach (var id in H.Engine.StartedInstanceIds)
        {
            await H.Engine.WaitForTerminalAsync(id, TimeSpan.FromSeconds(30));
        }

        var rows = H.Saved.GroupBy(r => r.Id).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), rows.Select(r => r.Single().Blob.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_sweep_position_survives_an_ingest_restart()
    {
        // Pages of 2, at most 4 blobs a run: 8 blobs take two runs, and the second must continue, not start over.
        var settings = new Dictionary<string, string?> { ["Ingest:SweepPageSize"] = "2", ["Ingest:SweepMaxBlobsPerRun"] = "4" };
        await H.RestartIngestAsync(settings);
        foreach (var i in Enumerable.Range(0, 8))
        {
            await File.WriteAllBytesAsync(Path.Combine(H.ImagesFolder, $"resume-{i}.png"), [(byte)i]);
        }

        var first = await H.SweepAsync();
        await H.RestartIngestAsync(settings);
        var second = await H.SweepAsync();

        Assert.Equal((4, 4, 0), (first.GetProperty("examined").GetInt32(), first.GetProperty("started").GetInt32(), first.GetProperty("known").GetInt32()));
        Assert.Equal((4, 4, 0), (second.GetProperty("examined").GetInt32(), second.GetProperty("started").GetInt32(), second.GetProperty("known").GetInt32()));
        Assert.Equal(8, H.Engine.StartedInstanceIds.Distinct().Count());
        // Kept under the app id, so every replica of ingest reads the same position.
        Assert.Equal(["ingest||sweep-position:images"], H.Network.State.Keys(DaprTopology.Components.SweepState));
    }

    [Fact]
    public async Task The_sidecar_double_state_api_answers_as_daprd_for_missing_keys_etags_and_unknown_stores()
    {
        using var dapr = new global::Dapr.Client.DaprClientBuilder().UseGrpcEndpoint(H.IngestSidecar.GrpcEndpoint).Build();

        var (missing, noETag) = await dapr.GetStateAndETagAsync<string>(DaprTopology.Components.SweepState, "k");
        await dapr.SaveStateAsync(DaprTopology.Components.SweepState, "k", "a");
        var (value, etag) = await dapr.GetStateAndETagAsync<string>(DaprTopology.Components.SweepState, "k");
        var firstWins = await dapr.TrySaveStateAsync(DaprTopology.Components.SweepState, "k", "b", etag);
        var staleLoses = await dapr.TrySaveStateAsync(DaprTopology.Components.SweepState, "k", "c", etag);

        Assert.Null(missing);
        Assert.Equal(string.Empty, noETag);
        Assert.Equal("a", value);
        Assert.True(firstWins);
        Assert.False(staleLoses);
        Assert.Equal("b", await dapr.GetStateAsync<string>(DaprTopology.Components.SweepState, "k"));
        await Assert.ThrowsAsync<global::Dapr.DaprException>(() => dapr.GetStateAsync<string>("nosuchstore", "k"));
    }
}
