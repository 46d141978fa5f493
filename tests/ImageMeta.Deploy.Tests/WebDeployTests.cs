using System.Globalization;
using ImageMeta.Contracts;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The web app in the manifests: public only through an Ingress of the class the guide enables, reachable only from
/// that controller's namespace, signing in with a client secret from a Kubernetes secret, and not guarded by the app
/// token (people call it, not a sidecar). The guide registers the app and names the URL.
/// </summary>
public sealed class WebDeployTests
{
    /// <summary>The AKS application routing add-on's ingress class and controller namespace.</summary>
    private const string IngressClass = "webapprouting.kubernetes.azure.com";
    private const string ControllerNamespace = "app-routing-system";

    private static string Guide => File.ReadAllText(Path.Combine(Root, "deploy", "README.md"));

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void The_web_app_is_public_only_through_an_ingress_of_the_class_the_guide_enables(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var ingress = Assert.Single(objects!.OfKind("Ingress"));
        Assert.Equal(IngressClass, Text(ingress, "spec", "ingressClassName"));
        var backends = Items(ingress, "spec", "rules").SelectMany(r => Items(r, "http", "paths")).Select(p => At(p, "backend", "service")).ToList();
        Assert.All(backends, b => Assert.Equal(DaprTopology.AppIds.Web, Text(b, "name")));
        Assert.Contains("az aks approuting enable", Guide, StringComparison.Ordinal);
        Assert.All(objects!.OfKind("Service"), s => Assert.NotEqual("LoadBalancer", Text(s, "spec", "type")));
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Only_the_ingress_controllers_namespace_reaches_web_and_only_on_its_port(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var policies = objects!.OfKind("NetworkPolicy").ToList();
        var selectingWeb = policies.Where(p => Selects(p, DaprTopology.AppIds.Web)).ToList();
        var policy = Assert.Single(selectingWeb);
        var rule = Assert.Single(Items(policy, "spec", "ingress"));
        var peer = Assert.Single(Items(rule, "from"));
        Assert.Null(At(peer, "podSelector"));
        Assert.Equal(ControllerNamespace, Text(peer, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        var port = Assert.Single(Items(rule, "ports"));
        Assert.Equal(DaprTopology.AppPorts.Web.ToString(CultureInfo.InvariantCulture), Text(port, "port"));
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Web_signs_in_with_a_secret_trusts_the_ingress_and_is_not_guarded_by_the_app_token(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var deployment = objects!.OfKind("Deployment").Single(d => Name(d) == DaprTopology.AppIds.Web);
        var annotations = At(deployment, "spec", "template", "metadata", "annotations");
        Assert.Null(Text(annotations, "dapr.io/app-token-secret"));
        Assert.NotNull(Text(annotations, "dapr.io/api-token-secret"));
        var env = Items(Items(deployment, "spec", "template", "spec", "containers").Single(), "env").ToDictionary(e => Text(e, "name")!, e => e);
        Assert.DoesNotContain("APP_API_TOKEN", env.Keys);
        foreach (var name in new[] { "Auth__Authority", "Auth__ClientId", "Auth__ClientSecret" })
        {
            Assert.Equal("imagemeta-web-oidc", Text(env[name], "valueFrom", "secretKeyRef", "name"));
        }

        Assert.Equal("true", Text(env["Web__TrustForwardedHeaders"], "value"));

        // Sign-in is on, so the scraper gets /metrics on a port of its own, the one the annotation names.
        Assert.Equal(DaprTopology.AppPorts.WebMetrics.ToString(CultureInfo.InvariantCulture), Text(env["Web__MetricsPort"], "value"));
        Assert.Equal(Text(env["Web__MetricsPort"], "value"), Text(annotations, "prometheus.io/port"));

        // The page's limit is ingest's (its default; appsettings.json repeats no default): a file the page lets through is one ingest accepts.
        Assert.Equal(ImageMeta.Ingest.IngestOptions.DefaultMaxUploadBytes.ToString(CultureInfo.InvariantCulture), Text(env["Web__MaxUploadBytes"], "value"));
    }

    [Fact]
    public void The_guide_registers_the_app_with_its_redirect_uris_and_names_the_url_to_open()
    {
        var guide = Guide;
        Assert.Contains("az ad app create", guide, StringComparison.Ordinal);
        Assert.Contains("/signin-oidc", guide, StringComparison.Ordinal);
        Assert.Contains("/signout-callback-oidc", guide, StringComparison.Ordinal);
        Assert.Contains("az ad app credential reset", guide, StringComparison.Ordinal);
        Assert.Contains("kubectl -n imagemeta create secret generic imagemeta-web-oidc", guide, StringComparison.Ordinal);
        Assert.Contains("open https://$HOST", guide, StringComparison.Ordinal);
    }

    [Fact]
    public void The_local_run_files_open_the_web_app_where_the_readme_says()
    {
        foreach (var runFile in new[] { "dapr.yaml", "dapr.azurite.yaml", "dapr.azurite-postgres.yaml" })
        {
            var web = Items(Load(runFile)[0], "apps").Single(a => Text(a, "appID") == DaprTopology.AppIds.Web);
            Assert.Equal("http://localhost:5000", Text(web, "env", "ASPNETCORE_URLS"));
        }

        Assert.Contains("open http://localhost:5000", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
    }

    private static bool Selects(Dictionary<object, object?> policy, string app)
    {
        if (Text(policy, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name") == app)
        {
            return true;
        }

        return Items(policy, "spec", "podSelector", "matchExpressions").Any(e =>
            Text(e, "key") == "app.kubernetes.io/name" && Text(e, "operator") == "In" && Items(e, "values").Any(v => v?.ToString() == app));
    }
}
