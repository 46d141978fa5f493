using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Web.Service.KeyRing;
using ImageMeta.Web.Service.SignIn;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// Two web processes behind a round-robin proxy, their Data Protection key ring and sessions in one Dapr state store
/// (the sidecar double's state API; both processes use one double, which shares its store the way two daprd with one
/// component share a database), signing in against the real <c>oidc-provider</c>: each sign-in starts on one replica
/// (the challenge writes the correlation and nonce cookies) and finishes on the other (the callback reads them).
/// </summary>
public sealed class SharedKeyRingTests : IAsyncLifetime
{
    private const int SignIns = 20;
    private readonly List<IAsyncDisposable> _owned = [];
    private SidecarNetwork? _network;
    private SidecarDouble _sidecar = null!;
    private OidcProvider _provider = null!;
    private RoundRobinProxy _proxy = null!;
    private readonly List<ServiceProcess> _replicas = [];
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        if (OidcProvider.SkipReason is not null)
        {
            return;
        }

        _folder = Directory.CreateTempSubdirectory("imagemeta-keyring-").FullName;
        var certificate = Path.Combine(_folder, "keyring.pfx");
        const string Password = "test-only-password";
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=imagemeta-web-keyring-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllBytesAsync(certificate, made.Export(X509ContentType.Pfx, Password));
        }

        _network = new SidecarNetwork();
        _sidecar = await _network.StartSidecarAsync(new SidecarOptions
        {
            AppId = DaprTopology.AppIds.Web,
            AppPort = LoopbackPorts.Free(),
            Components = [(Surface.WebOnStandIns.StateStore, "state.postgresql")],
        });
        var ports = new[] { LoopbackPorts.Free(), LoopbackPorts.Free() };
        _proxy = await RoundRobinProxy.StartAsync([.. ports.Select(p => new Uri($"http://127.0.0.1:{p}/"))]);
        _owned.Add(_proxy);
        _provider = await OidcProvider.StartAsync(_proxy.BaseAddress);
        _owned.Add(_provider);

        foreach (var (port, index) in ports.Select((p, i) => (p, i)))
        {
            _replicas.Add(_provider.WebProcess($"web-{index}", port, _sidecar.AppEnvironment(), new Dictionary<string, string>
            {
                ["Web:StateStore"] = Surface.WebOnStandIns.StateStore,
                ["Web:KeyRingCertificate"] = certificate,
                ["Web:KeyRingCertificatePassword"] = Password,
                // Behind the proxy, as behind the ingress: redirects use the address the browser used.
                ["Web:TrustForwardedHeaders"] = "true",
            }));
        }

        await Task.WhenAll(_replicas.Select(r => r.StartAsync(TimeSpan.FromSeconds(90))));
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
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
    public async Task Sign_in_started_on_one_replica_finishes_on_the_other_every_time_and_survives_a_restart()
    {
        Skip.If(OidcProvider.SkipReason is not null, OidcProvider.SkipReason);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var signedIn = 0;
        var crossed = 0;
        var sessions = new List<string>();
        string? firstFailure = null;
        for (var i = 0; i < SignIns; i++)
        {
            var before = _proxy.Log.Count;
            using var browser = new OidcBrowser(client, _proxy.BaseAddress, _provider.Authority);
            using var page = await browser.SignInAsync("/", $"person{i}");
            var html = await page.Content.ReadAsStringAsync();
            if (page.StatusCode == HttpStatusCode.OK && html.Contains($"Test person person{i}", StringComparison.Ordinal))
            {
                signedIn++;
                sessions.Add(browser.WebCookies[SignInRegistration.SessionCookie]);
            }
            else
            {
                firstFailure ??= $"sign-in {i} ended at {page.RequestMessage?.RequestUri} with {(int)page.StatusCode}: {html[..Math.Min(html.Length, 600)]}\n{string.Join('\n', _replicas.Select(r => r.RecentOutput[^Math.Min(r.RecentOutput.Length, 1500)..]))}";
            }

            var requests = _proxy.Log.Skip(before).ToList();
            var challenge = requests.First(r => r.Method == "GET" && r.Path == "/");
            var callback = requests.First(r => r.Path == SignInRegistration.CallbackPath);
            crossed += challenge.Replica != callback.Replica ? 1 : 0;
        }

        Assert.Equal(SignIns, crossed);
        Assert.True(signedIn == SignIns, $"{signedIn} of {SignIns} signed in; {firstFailure}");

        // The ring is in the state store, encrypted with the certificate: no key's secret is stored in the clear.
        var (ring, _) = _network!.State.Get(Surface.WebOnStandIns.StateStore, DaprTopology.AppIds.Web, StateStoreXmlRepository.Key);
        var stored = Encoding.UTF8.GetString(ring!);
        Assert.Contains("EncryptedData", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("masterKey", stored, StringComparison.Ordinal);

        // Both replicas restart: the sessions signed in before are still open on either.
        foreach (var replica in _replicas)
        {
            await replica.KillAsync();
        }

        await Task.WhenAll(_replicas.Select(r => r.StartAsync(TimeSpan.FromSeconds(90))));
        foreach (var session in sessions.Take(4))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_proxy.BaseAddress, "/"));
            request.Headers.Add("Cookie", $"{SignInRegistration.SessionCookie}={session}");
            using var answer = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }
    }
}
