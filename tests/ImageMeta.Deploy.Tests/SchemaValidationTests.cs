using System.Text.Json;
using ImageMeta.Testing.Dapr.Pipeline;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Every object each kustomization renders against the Kubernetes API schemas (npm <c>kubernetes-models</c>) and
/// KEDA's (npm <c>@kubernetes-models/keda</c>), through tools/k8s-schema/validate.mjs. kubectl kustomize renders a
/// replica count written as text or a probe without a port without complaint; the API server refuses the object
/// at apply time. Dapr's objects are left to <see cref="DaprRequiredFieldTests"/> and <see cref="DaprFieldNameTests"/>.
/// </summary>
public sealed class SchemaValidationTests
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static string Validator => Path.Combine(Root, "tools", "k8s-schema", "validate.mjs");

    [SkippableTheory]
    [MemberData(nameof(KustomizationFolders), MemberType = typeof(Manifests))]
    public void Every_object_each_kustomization_renders_matches_its_kubernetes_or_keda_schema(string kustomization)
    {
        var objects = Kustomize(kustomization);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");
        var yaml = Render(Path.Combine(Root, "deploy", "k8s", kustomization));

        var results = Validate(yaml);

        Assert.Equal(objects!.Count, results.Count);
        var problems = results.Where(r => r.Result is not ("valid" or "external")).Select(r => $"{r.Kind} '{r.Name}': {r.Result} {string.Join("; ", r.Errors)}").ToList();
        Assert.True(problems.Count == 0, $"{kustomization}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
        Assert.All(results.Where(r => r.Result == "external"), r => Assert.StartsWith("dapr.io/", r.ApiVersion, StringComparison.Ordinal));
        Assert.Contains(results, r => r.Kind == "Deployment" && r.Result == "valid");
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void The_scaling_objects_of_each_overlay_are_checked_against_a_schema_not_passed_over(string overlay)
    {
        var objects = Kustomize(Path.Combine("overlays", overlay));
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var results = Validate(Render(Path.Combine(Root, "deploy", "k8s", "overlays", overlay)));

        foreach (var kind in new[] { "ScaledObject", "TriggerAuthentication", "HorizontalPodAutoscaler", "PodDisruptionBudget" })
        {
            Assert.Contains(results, r => r.Kind == kind && r.Result == "valid");
        }
    }

    [SkippableFact]
    public void A_wrongly_typed_field_a_missing_required_field_and_an_unknown_kind_are_reported()
    {
        Skip.If(ExecutablesOnPath.Find("kubectl") is null && Environment.GetEnvironmentVariable("CI") != "true", "kubectl is not installed (CI installs it).");

        var results = Validate("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ingest
            spec:
              replicas: "2"
              selector:
                matchLabels:
                  app: ingest
            ---
            apiVersion: keda.sh/v1alpha1
            kind: ScaledObject
            metadata:
              name: ingest
            spec:
              triggers:
                - type: azure-queue
                  metadata:
                    queueName: image-events
            ---
            apiVersion: example.com/v1
            kind: Gadget
            metadata:
              name: g
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: images
            """);

        Assert.Equal(["invalid", "invalid", "unknown", "external"], results.Select(r => r.Result));
        Assert.Contains(results[0].Errors, e => e.Contains("/spec/replicas", StringComparison.Ordinal));
        Assert.Contains(results[0].Errors, e => e.Contains("template", StringComparison.Ordinal));
        Assert.Contains(results[1].Errors, e => e.Contains("scaleTargetRef", StringComparison.Ordinal));
    }

    /// <summary>One line of validate.mjs's output.</summary>
    public sealed record ObjectResult(string Kind, string Name, string ApiVersion, string Result, string[] Errors);

    private static string Render(string folder)
    {
        var (exitCode, output, error) = Run(ExecutablesOnPath.Find("kubectl")!, ["kustomize", folder], stdin: null);
        return exitCode == 0 ? output : throw new InvalidOperationException($"kubectl kustomize {folder} failed: {error}");
    }

    /// <summary>
    /// Runs the validator. Outside CI a machine without node or without <c>npm ci</c> in tools/k8s-schema skips;
    /// in CI (.ci/run installs both) their absence fails.
    /// </summary>
    private static List<ObjectResult> Validate(string yaml)
    {
        var node = ExecutablesOnPath.Find("node");
        var installed = Directory.Exists(Path.Combine(Root, "tools", "k8s-schema", "node_modules", "kubernetes-models"));
        if (node is null || !installed)
        {
            Skip.If(Environment.GetEnvironmentVariable("CI") != "true", "node or tools/k8s-schema's packages are missing (run npm ci there; .ci/run does).");
            throw new InvalidOperationException("CI needs node and `npm ci` in tools/k8s-schema (.ci/run does both).");
        }

        var (exitCode, output, error) = Run(node, [Validator], yaml);
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonSerializer.Deserialize<ObjectResult>(line, WebJson)!)
            .ToList();
        Assert.True(results.Count > 0, $"validate.mjs printed nothing (exit {exitCode}): {error}");
        Assert.Equal(results.All(r => r.Result is "valid" or "external") ? 0 : 1, exitCode);
        return results;
    }
}
