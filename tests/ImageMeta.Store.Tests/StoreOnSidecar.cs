using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace ImageMeta.Store.Tests;

/// <summary>
/// The store service on SQLite in a temp folder, with its real Dapr client talking over gRPC to a sidecar double
/// whose one blob binding, <c>images</c>, is a <c>bindings.localstorage</c> folder (<see cref="Blobs"/>).
/// </summary>
public sealed class StoreOnSidecar : IAsyncDisposable
{
    private readonly string _folder;

    private StoreOnSidecar(string folder, SidecarNetwork network, SidecarDouble sidecar, WebApplicationFactory<Program> factory)
    {
        _folder = folder;
        Network = network;
        Sidecar = sidecar;
        Factory = factory;
        Client = factory.CreateClient();
    }

    public SidecarNetwork Network { get; }

    /// <summary>The store's sidecar double (fault injection: <see cref="SidecarDouble.LoseNextBindingResponses"/>).</summary>
    public SidecarDouble Sidecar { get; }

    public WebApplicationFactory<Program> Factory { get; }

    public HttpClient Client { get; }

    /// <summary>The folder behind the sidecar's <c>images</c> binding.</summary>
    public string Blobs => Network.Images.RootPath;

    /// <summary>Starts the sidecar double and the store with these settings besides the sidecar's and the data folder.</summary>
    public static async Task<StoreOnSidecar> StartAsync(string name, IReadOnlyDictionary<string, string> settings)
    {
        var folder = Directory.CreateTempSubdirectory($"imagemeta-store-{name}-").FullName;
        var network = new SidecarNetwork(Path.Combine(folder, "blobs"));
        var sidecar = await network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Store, AppPort = LoopbackPorts.Free() });
        var factory = new ServiceHost<Program>()
            .OnSidecar(sidecar)
            .With(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .With("Store:DataDirectory", Path.Combine(folder, "data"))
            .WithLogs();
        return new StoreOnSidecar(folder, network, sidecar, factory);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await Network.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
