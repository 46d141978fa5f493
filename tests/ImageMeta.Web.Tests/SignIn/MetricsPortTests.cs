using System.Globalization;
using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// <c>Web:MetricsPort</c> on real sockets, as Kubernetes runs web (sign-in on, base/web.yaml): the scraper reads
/// <c>/metrics</c> on its own port without a sign-in, the people-facing port answers 404 for it instead of a sign-in
/// redirect a scraper cannot follow, and the metrics port serves nothing else. Only a real Kestrel with two listeners
/// shows which port a request came in on; the in-process test server has no local port.
/// </summary>
public sealed class MetricsPortTests : IAsyncLifetime
{
    private SidecarNetwork? _network;
    private OidcProvider? _provider;
    private ServiceProcess? _web;
    private string? _folder;
    private int _metricsPort;

    public async Task InitializeAsync()
    {
        if (OidcProvider.SkipReason is not null)
        {
            return;
        }

        _folder = Directory.CreateTempSubdirectory("imagemeta-metrics-port-").FullName;
        _network = new SidecarNetwork();
        var appPort = LoopbackPorts.Free();
        var sidecar = await _network.StartSidecarAsync(new SidecarOptions { AppId = DaprTopology.AppIds.Web, AppPort = appPort });
        _provider = await OidcProvider.StartAsync(new Uri($"http://127.0.0.1:{appPort.ToString(CultureInfo.InvariantCulture)}/"));
        _metricsPort = LoopbackPorts.Free();
        _web = _provider.WebProcess("web", appPort, sidecar.AppEnvironment(), new Dictionary<string, string>
        {
            ["Web:KeyRingFolder"] = _folder,
            ["Web:MetricsPort"] = _metricsPort.ToString(CultureInfo.InvariantCulture),
        });
        await _web.StartAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task With_sign_in_on_metrics_answer_only_on_the_metrics_port_and_that_port_serves_nothing_else()
    {
        Skip.If(OidcProvider.SkipReason is not null, OidcProvider.SkipReason);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var metricsBase = new Uri($"http://127.0.0.1:{_metricsPort.ToString(CultureInfo.InvariantCulture)}/");

        // Sign-in is really on: a page on the people-facing port sends the browser to the provider.
        using (var page = await client.GetAsync(_web!.BaseAddress))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith(_provider!.Authority.ToString().TrimEnd('/'), page.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        using (var scrape = await client.GetAsync(new Uri(metricsBase, "metrics")))
        {
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            var text = await scrape.Content.ReadAsStringAsync();
            Assert.Contains("# TYPE", text, StringComparison.Ordinal);
            // The request above was counted: these are the app's own instruments, not an empty exporter.
            Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        }

        using (var onPeoplePort = await client.GetAsync(new Uri(_web.BaseAddress, "metrics")))
        {
            Assert.Equal(HttpStatusCode.NotFound, onPeoplePort.StatusCode);
        }

        foreach (var path in new[] { string.Empty, "healthz", "api/uploads" })
        {
            using var other = await client.GetAsync(new Uri(metricsBase, path));
            Assert.True(other.StatusCode == HttpStatusCode.NotFound, $"/{path} on the metrics port answered {(int)other.StatusCode}");
        }
    }
}
