using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Hosting;

namespace ImageMeta.Web.Tests.Surface;

/// <summary>
/// The web app in the test process (<see cref="ServiceHost{TProgram}"/>) on its sidecar double, which demands a Dapr
/// API token, with stand-ins for ingest and the store behind their own sidecar doubles: the whole path a page's call
/// takes (web → its sidecar → the target's sidecar → the target) with answers the test chooses.
/// </summary>
public sealed partial class WebOnStandIns : IAsyncDisposable
{
    public const string DaprApiToken = "web-sidecar-token";

    /// <summary>The state store component the web sidecar double serves (as <c>webstate</c> on Kubernetes).</summary>
    public const string StateStore = "webstate";

    private WebOnStandIns(SidecarNetwork network, SidecarDouble sidecar, StandInApp ingest, StandInApp store, ServiceHost<Program> host)
    {
        Network = network;
        Sidecar = sidecar;
        Ingest = ingest;
        Store = store;
        Host = host;
    }

    public SidecarNetwork Network { get; }

    public SidecarDouble Sidecar { get; }

    public StandInApp Ingest { get; }

    public StandInApp Store { get; }

    public ServiceHost<Program> Host { get; }

    /// <summary>Starts the doubles, the stand-ins and the web app; <paramref name="settings"/> are extra configuration keys.</summary>
    public static async Task<WebOnStandIns> StartAsync(IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var network = new SidecarNetwork();
        var ingest = await StandInApp.StartAsync();
        var store = await StandInApp.StartAsync();
        await network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Ingest, AppPort = ingest.Port });
        await network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Store, AppPort = store.Port });
        var sidecar = await network.StartSidecarAsync(new SidecarOptions
        {
            AppId = DaprTopology.AppIds.Web,
            AppPort = LoopbackPorts.Free(),
            DaprApiToken = DaprApiToken,
            Components = [(StateStore, "state.postgresql")],
        });
        var host = new ServiceHost<Program>(settings).OnSidecar(sidecar);
        return new WebOnStandIns(network, sidecar, ingest, store, host);
    }

    /// <summary>A client of the web app that keeps cookies and does not follow redirects.</summary>
    public HttpClient Client() => Host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>The antiforgery token of the upload form (the client keeps its cookie).</summary>
    public static async Task<string> UploadTokenAsync(HttpClient client)
    {
        var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        return TokenPattern().Match(page) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException("The page has no upload token.");
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Network.DisposeAsync();
        await Ingest.DisposeAsync();
        await Store.DisposeAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
