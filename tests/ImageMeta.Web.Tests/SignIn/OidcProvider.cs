using System.Globalization;
using ImageMeta.Testing.Dapr;

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

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();
}
