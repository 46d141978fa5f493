using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Dapr objects against the fields their CustomResourceDefinitions require. kubectl kustomize renders anything; the
/// API server rejects an object that lacks a required field, and every sidecar that names it (a Configuration in
/// dapr.io/config, a Component it loads) then fails. The facts below are the <c>required:</c> lists of each CRD's
/// openAPIV3Schema in dapr/dapr charts/dapr/crds/{components,configuration,resiliency,subscription}.yaml, read at
/// v1.15.0, v1.15.13, v1.16.0, v1.16.19, v1.17.13, v1.18.3 and master (1.19 in development); where releases differ
/// the stricter list is kept, so an object that passes is accepted by every release from 1.15 to 1.19.
/// </summary>
public sealed class DaprRequiredFieldTests
{
    /// <summary>
    /// One <c>required:</c> list: the CRD's kind and served version, the path of the object it applies to
    /// ("" is the root, "[]" each list item, "*" each value of a map), and the fields that object must have.
    /// </summary>
    public sealed record RequiredFields(string Kind, string Version, string Path, string[] Fields, string Since = "1.15");

    public static readonly RequiredFields[] Facts =
    [
        // components.yaml (Component, v1alpha1). Metadata items require only a name: value and secretKeyRef are both optional there.
        new("Component", "v1alpha1", "spec", ["metadata", "type", "version"]),
        new("Component", "v1alpha1", "spec.metadata[]", ["name"]),
        new("Component", "v1alpha1", "spec.metadata[].secretKeyRef", ["name"]),
        new("Component", "v1alpha1", "auth", ["secretStore"]),

        // configuration.yaml (Configuration, v1alpha1). spec.mtls gained controlPlaneTrustDomain and sentryAddress in 1.15
        // (1.14 required only enabled); the otel headers arrived in 1.17.
        new("Configuration", "v1alpha1", "spec.mtls", ["controlPlaneTrustDomain", "enabled", "sentryAddress"]),
        new("Configuration", "v1alpha1", "spec.mtls.tokenValidators[]", ["name"]),
        new("Configuration", "v1alpha1", "spec.tracing", ["samplingRate"]),
        new("Configuration", "v1alpha1", "spec.tracing.zipkin", ["endpointAddress"]),
        new("Configuration", "v1alpha1", "spec.tracing.otel", ["endpointAddress", "isSecure", "protocol"]),
        new("Configuration", "v1alpha1", "spec.tracing.otel.headers[]", ["name"], Since: "1.17"),
        new("Configuration", "v1alpha1", "spec.tracing.otel.headers[].secretKeyRef", ["name"], Since: "1.17"),
        new("Configuration", "v1alpha1", "spec.accessControl.policies[]", ["appId"]),
        new("Configuration", "v1alpha1", "spec.accessControl.policies[].operations[]", ["action", "name"]),
        new("Configuration", "v1alpha1", "spec.api.allowed[]", ["name", "version"]),
        new("Configuration", "v1alpha1", "spec.api.denied[]", ["name", "version"]),
        new("Configuration", "v1alpha1", "spec.httpPipeline", ["handlers"]),
        new("Configuration", "v1alpha1", "spec.httpPipeline.handlers[]", ["name", "type"]),
        new("Configuration", "v1alpha1", "spec.httpPipeline.handlers[].selector", ["fields"]),
        new("Configuration", "v1alpha1", "spec.httpPipeline.handlers[].selector.fields[]", ["field", "value"]),
        new("Configuration", "v1alpha1", "spec.appHttpPipeline", ["handlers"]),
        new("Configuration", "v1alpha1", "spec.appHttpPipeline.handlers[]", ["name", "type"]),
        new("Configuration", "v1alpha1", "spec.appHttpPipeline.handlers[].selector", ["fields"]),
        new("Configuration", "v1alpha1", "spec.appHttpPipeline.handlers[].selector.fields[]", ["field", "value"]),
        new("Configuration", "v1alpha1", "spec.features[]", ["enabled", "name"]),
        new("Configuration", "v1alpha1", "spec.metric", ["enabled"]),
        new("Configuration", "v1alpha1", "spec.metric.rules[]", ["labels", "name"]),
        new("Configuration", "v1alpha1", "spec.metric.rules[].labels[]", ["name", "regex"]),
        new("Configuration", "v1alpha1", "spec.metrics", ["enabled"]),
        new("Configuration", "v1alpha1", "spec.metrics.rules[]", ["labels", "name"]),
        new("Configuration", "v1alpha1", "spec.metrics.rules[].labels[]", ["name", "regex"]),
        new("Configuration", "v1alpha1", "spec.nameResolution", ["component", "configuration", "version"]),
        new("Configuration", "v1alpha1", "spec.secrets", ["scopes"]),
        new("Configuration", "v1alpha1", "spec.secrets.scopes[]", ["storeName"]),

        // resiliency.yaml (Resiliency, v1alpha1): policies and targets are both required; below them every field is optional.
        new("Resiliency", "v1alpha1", "spec", ["policies", "targets"]),

        // subscription.yaml (Subscription): v1alpha1 has one route, v2alpha1 (the stored version) a routes object.
        new("Subscription", "v1alpha1", "spec", ["pubsubname", "route", "topic"]),
        new("Subscription", "v1alpha1", "spec.bulkSubscribe", ["enabled"]),
        new("Subscription", "v2alpha1", "spec", ["pubsubname", "routes", "topic"]),
        new("Subscription", "v2alpha1", "spec.bulkSubscribe", ["enabled"]),
        new("Subscription", "v2alpha1", "spec.routes.rules[]", ["match", "path"]),
    ];

    /// <summary>The Dapr kinds and the versions their CRDs serve (the same in 1.15 to 1.19).</summary>
    private static readonly Dictionary<string, string[]> ServedVersions = new()
    {
        ["Component"] = ["v1alpha1"],
        ["Configuration"] = ["v1alpha1"],
        ["Resiliency"] = ["v1alpha1"],
        ["Subscription"] = ["v1alpha1", "v2alpha1"],
    };

    [Fact]
    public void Every_dapr_object_in_the_repository_yaml_has_the_fields_its_crd_requires()
    {
        var objects = YamlFiles().SelectMany(f => Documents(File.ReadAllText(f)).Select(d => (File: Path.GetRelativePath(Root, f), Object: d))).ToList();

        Assert.Contains(objects, o => Text(o.Object, "kind") == "Configuration");
        var problems = objects.SelectMany(o => Problems(o.Object).Select(p => $"{o.File}: {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [SkippableTheory]
    [MemberData(nameof(KustomizationFolders), MemberType = typeof(Manifests))]
    public void Every_dapr_object_each_kustomization_renders_has_the_fields_its_crd_requires(string kustomization)
    {
        var objects = Kustomize(kustomization);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        Assert.Contains(objects!, o => ServedVersions.ContainsKey(Text(o, "kind") ?? string.Empty));
        var problems = objects!.SelectMany(Problems).ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void An_mtls_block_without_trust_domain_and_sentry_address_is_refused()
    {
        // The block deploy/k8s/base/configuration.yaml carried until Dapr 1.15's CRD refused it.
        var configuration = Documents("""
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: imagemeta
            spec:
              tracing:
                samplingRate: "1"
              mtls:
                enabled: true
                workloadCertTTL: "24h"
                allowedClockSkew: "15m"
            """).Single();

        var problem = Assert.Single(Problems(configuration));
        Assert.Contains("spec.mtls", problem, StringComparison.Ordinal);
        Assert.Contains("controlPlaneTrustDomain, sentryAddress", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: Component\nspec:\n  type: state.sqlite\n  metadata: []", "spec lacks version")]
    [InlineData("kind: Component\nspec:\n  type: state.sqlite\n  version: v1\n  metadata:\n    - value: x", "spec.metadata[0] lacks name")]
    [InlineData("kind: Component\nspec:\n  type: a\n  version: v1\n  metadata:\n    - name: k\n      secretKeyRef:\n        key: k", "spec.metadata[0].secretKeyRef lacks name")]
    [InlineData("kind: Component\nspec:\n  type: a\n  version: v1\n  metadata: []\nauth: {}", "auth lacks secretStore")]
    [InlineData("kind: Resiliency\nspec:\n  policies: {}", "spec lacks targets")]
    [InlineData("kind: Configuration\nspec:\n  tracing:\n    zipkin: {}", "spec.tracing lacks samplingRate")]
    [InlineData("apiVersion: dapr.io/v2alpha1\nkind: Subscription\nspec:\n  pubsubname: p\n  topic: t\n  routes:\n    rules:\n      - path: /x", "spec.routes.rules[0] lacks match")]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Subscription\nspec:\n  pubsubname: p\n  topic: t", "spec lacks route")]
    [InlineData("apiVersion: dapr.io/v3\nkind: Component\nspec: {}", "not a version the Component CRD serves")]
    public void Each_kind_of_missing_field_is_reported(string yaml, string expected)
    {
        var withVersion = yaml.StartsWith("apiVersion:", StringComparison.Ordinal) ? yaml : "apiVersion: dapr.io/v1alpha1\n" + yaml;

        Assert.Contains(Problems(Documents(withVersion).Single()), p => p.Contains(expected, StringComparison.Ordinal));
    }

    /// <summary>What an object lacks against the facts above; empty for objects that are not Dapr's.</summary>
    public static IEnumerable<string> Problems(Dictionary<object, object?> o)
    {
        var kind = Text(o, "kind") ?? string.Empty;
        var apiVersion = Text(o, "apiVersion") ?? string.Empty;
        if (!ServedVersions.TryGetValue(kind, out var versions) || !apiVersion.StartsWith("dapr.io/", StringComparison.Ordinal))
        {
            yield break;
        }

        var what = $"{kind} '{Name(o)}'";
        var version = apiVersion["dapr.io/".Length..];
        if (!versions.Contains(version))
        {
            yield return $"{what}: {apiVersion} is not a version the {kind} CRD serves ({string.Join(", ", versions)})";
            yield break;
        }

        foreach (var fact in Facts.Where(f => f.Kind == kind && f.Version == version))
        {
            foreach (var (path, node) in Nodes(o, fact.Path))
            {
                var missing = fact.Fields.Where(f => !node.ContainsKey(f)).ToList();
                if (missing.Count > 0)
                {
                    yield return $"{what}: {path} lacks {string.Join(", ", missing)} (required by the {kind} CRD since Dapr {fact.Since})";
                }
            }
        }
    }

    /// <summary>The maps at a fact's path, each with its concrete path ("spec.metadata[2]"); absent parts yield nothing.</summary>
    private static IEnumerable<(string Path, Dictionary<object, object?> Node)> Nodes(Dictionary<object, object?> root, string path)
    {
        IEnumerable<(string Path, object? Node)> current = [(string.Empty, root)];
        foreach (var step in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = step.TrimEnd('[', ']');
            var each = step.EndsWith("[]", StringComparison.Ordinal);
            current = current.SelectMany(c =>
            {
                var here = c.Path.Length == 0 ? name : $"{c.Path}.{name}";
                var child = At(c.Node, name);
                return each
                    ? (child as List<object?> ?? []).Select((item, i) => ($"{here}[{i}]", item))
                    : [(here, child)];
            }).ToList();
        }

        return current.Where(c => c.Node is Dictionary<object, object?>).Select(c => (c.Path, (Dictionary<object, object?>)c.Node!));
    }
}
