using System.Globalization;
using System.Net.Http.Json;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// The real store process on SQLite behind its sidecar double, written the way the workflow's
/// SaveMetadata activity writes (<c>PUT images/{id}</c> by service invocation) and read back by the
/// harness's client.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StoreThroughSidecarTests : IAsyncLifetime
{
    private readonly SidecarNetwork _network = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly string _folder = Directory.CreateTempSubdirectory("imagemeta-store-").FullName;
    private SidecarDouble _caller = null!;
    private ServiceProcess _store = null!;

    public async Task InitializeAsync()
    {
        var port = LoopbackPorts.Free();
        var sidecar = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Store, AppPort = port, AppApiToken = "store-app-token" });
        _caller = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = LoopbackPorts.Free() });
        var dll = RepositoryLayout.ServiceAssembly(DaprTopology.AppIds.Store, PipelineFixture.Configuration);
        var env = new Dictionary<string, string>(sidecar.AppEnvironment())
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["Store__Provider"] = "sqlite",
            ["ConnectionStrings__Metadata"] = $"Data Source={Path.Combine(_folder, "metadata.db")}",
            ["Telemetry__ZipkinEndpoint"] = string.Empty,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        _store = new ServiceProcess(DaprTopology.AppIds.Store, "dotnet", [dll], Path.GetDirectoryName(dll)!, port, env);
        await _store.StartAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _network.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_record_saved_through_the_sidecar_reads_back_equal_and_is_found_by_its_hash()
    {
        var image = TestImages.Mixed(1, seed: 51, prefix: "store")[0];
        var metadata = ExtractionReference.Extract(image.Content).Metadata!;
        var blob = new BlobReference("images", image.Name, BlobVersions.FromContentHash(metadata.Sha256!), null, image.Content.Length);
        var record = new ImageRecord { Id = blob.ImageId, Blob = blob, Status = ImageStatus.Succeeded, Metadata = metadata, ProcessedAt = DateTimeOffset.UtcNow };

        for (var i = 0; i < 2; i++)
        {
            // Twice: the upsert is idempotent, as a replayed SaveMetadata needs.
            using var put = await _http.PutAsJsonAsync(new Uri($"{_caller.HttpEndpoint}/v1.0/invoke/store/method/images/{record.Id}"), record, ContractJson.Options);
            Assert.True(put.IsSuccessStatusCode, $"{(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}\n{_store.RecentOutput}");
        }

        using var client = new PipelineClient(_store.BaseAddress, _store.BaseAddress, appApiToken: "store-app-token");
        var stored = await client.GetRecordAsync(record.Id);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(record with { ProcessedAt = stored!.ProcessedAt }, ContractJson.Options),
            System.Text.Json.JsonSerializer.Serialize(stored, ContractJson.Options));
        using var page = await client.QueryAsync($"sha256={metadata.Sha256}");
        Assert.Single(TestEnvironment.Items(page.RootElement), item => item.GetProperty("id").GetString() == record.Id.Value);
        Assert.Null(await client.GetRecordAsync(ImageId.For("images", "missing.png", null)));
        Assert.All(_network.Invocations.To("store"), r => Assert.InRange(r.StatusCode, 200, 299));
    }
}
