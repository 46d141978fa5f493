using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// The real OpenID Connect provider the browser sign-in scenario uses (npm <c>oidc-provider</c>,
/// tools/browser-tests/oidc-provider.mjs, run by node), for a web app reached at <see cref="WebBase"/>.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "imagemeta-web";
    public const string ClientSecret = "http-test-secret";

    private readonly NodeProcess _node;

    private OidcProvider(NodeProcess node, Uri authority, Uri webBase)
    {
        _node = node;
        Authority = authority;
        WebBase = webBase;
    }

    public Uri Authority { get; }

    public Uri WebBase { get; }

    /// <summary>Why the provider cannot run here (node or the npm tools missing), or null.</summary>
    public static string? SkipReason =>
        File.Exists(Path.Combine(BrowserPipelineFixture.ToolsFolder, "node_modules", "oidc-provider", "package.json"))
            ? null
            : "tools/browser-tests/node_modules has no oidc-provider: run 'npm ci' in tools/browser-tests (scripts/test.sh does).";

    public static async Task<OidcProvider> StartAsync(Uri webBase)
    {
        var port = LoopbackPorts.Free();
        var node = await NodeProcess.StartAsync(BrowserPipelineFixture.ToolsFolder, "oidc-provider.mjs", "oidc-provider listening", new Dictionary<string, string>
        {
            ["OIDC_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["OIDC_CLIENT_ID"] = ClientId,
            ["OIDC_CLIENT_SECRET"] = ClientSecret,
            ["OIDC_WEB_BASE"] = webBase.ToString(),
        });
        return new OidcProvider(node, new Uri($"http://localhost:{port.ToString(CultureInfo.InvariantCulture)}/"), webBase);
    }

    /// <summary>The web app's <c>Auth:*</c> settings for this provider.</summary>
    public IEnumerable<KeyValuePair<string, string?>> WebSettings() =>
    [
        new("Auth:Authority", Authority.ToString().TrimEnd('/')),
        new("Auth:ClientId", ClientId),
        new("Auth:ClientSecret", ClientSecret),
        new("Auth:RequireHttpsMetadata", "false"),
    ];

    /// <summary>
    /// A web process (not started) that signs in against this provider: production settings, no Zipkin, the sidecar's
    /// environment, this provider's <c>Auth:*</c>, then <paramref name="settings"/> (as environment variables).
    /// </summary>
    public ServiceProcess WebProcess(string name, int port, IReadOnlyDictionary<string, string> sidecarEnvironment, IReadOnlyDictionary<string, string> settings)
    {
        var env = new Dictionary<string, string>(sidecarEnvironment)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Telemetry__ZipkinEndpoint"] = string.Empty,
        };
        foreach (var (key, value) in WebSettings().Concat(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))))
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
        }

        var dll = RepositoryLayout.ServiceAssembly(DaprTopology.AppIds.Web, BrowserPipelineFixture.Configuration);
        return new ServiceProcess(name, "dotnet", [dll], Path.GetDirectoryName(dll)!, port, env);
    }

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();
}
