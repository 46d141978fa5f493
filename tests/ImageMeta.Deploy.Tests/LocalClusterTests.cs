using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// deploy/k8s/overlays/local-cluster: the pipeline on kind/k3d/minikube with nothing from Azure. Its blobs and queue
/// are the in-cluster Azurite, its databases the in-cluster PostgreSQL, its images the locally built ones, and its
/// secrets are generated from git-ignored files with random values.
/// </summary>
public sealed class LocalClusterTests
{
    private const string Overlay = "local-cluster";

    [SkippableFact]
    public void Blobs_and_the_queue_are_the_in_cluster_azurite_and_every_state_store_the_in_cluster_postgres()
    {
        var objects = Render(Overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var azurite = objects!.OfKind("Service").Single(s => Name(s) == "azurite");
        var ports = Items(azurite, "spec", "ports").Select(p => Text(p, "port")).ToList();
        Assert.Equal(["10000", "10001"], ports);
        Assert.Equal("http://azurite.imagemeta.svc.cluster.local:10000", Metadata(objects!, DaprTopology.Components.Images, "endpoint"));
        Assert.Equal("http://azurite.imagemeta.svc.cluster.local:10001", Metadata(objects!, DaprTopology.Components.ImageEvents, "queueEndpoint"));

        var postgres = objects!.OfKind("StatefulSet").Single(s => Name(s) == "postgres");
        Assert.Equal("data", Text(Items(postgres, "spec", "volumeClaimTemplates").Single(), "metadata", "name"));
        Assert.Single(objects!.OfKind("Service"), s => Name(s) == "postgres");
        var secrets = Secrets();
        Assert.Contains("Host=postgres.imagemeta.svc.cluster.local;", secrets["postgres.env"]["metadata-connection-string"], StringComparison.Ordinal);
        Assert.Contains("host=postgres.imagemeta.svc.cluster.local ", secrets["postgres.env"]["state-connection-string"], StringComparison.Ordinal);
        Assert.Contains($"QueueEndpoint=http://azurite.imagemeta.svc.cluster.local:10001/{secrets["storage.env"]["account-name"]}", secrets["storage.env"]["connection-string"], StringComparison.Ordinal);
        Assert.Single(objects!.OfKind("Deployment"), d => Name(d) == "zipkin");
    }

    [SkippableFact]
    public void The_apps_run_the_locally_built_images_which_the_kubelet_never_pulls()
    {
        var objects = Render(Overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var id in DaprTopology.AppIds.All)
        {
            var container = Items(objects!.OfKind("Deployment").Single(d => Name(d) == id), "spec", "template", "spec", "containers").Single();
            // `dotnet publish /t:PublishContainer -p ContainerImageTag=local` names it so; a tag other than "latest"
            // means imagePullPolicy IfNotPresent, so the image `kind load docker-image` put on the node is used.
            Assert.Equal($"imagemeta/{id}:local", Text(container, "image"));
            Assert.NotEqual("Always", Text(container, "imagePullPolicy"));
        }
    }

    [SkippableFact]
    public void Secrets_are_generated_unhashed_from_git_ignored_files_that_the_script_fills_with_random_values()
    {
        var objects = Render(Overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        // Dapr's annotations and the components name the secrets literally: a hash suffix would break them.
        Assert.Equal(["imagemeta-app-api-token", "imagemeta-dapr-api-token", "imagemeta-postgres", "imagemeta-storage", "imagemeta-web-keyring", "imagemeta-web-oidc"], objects!.OfKind("Secret").Select(Name).Order(StringComparer.Ordinal));

        var other = Directory.CreateTempSubdirectory("imagemeta-secrets-");
        try
        {
            var (exitCode, _, error) = Run("bash", [Path.Combine(Root, "scripts", "local-cluster-secrets.sh"), other.FullName], stdin: null);
            Assert.True(exitCode == 0, error);
            var first = Secrets();
            var second = Secrets(other.FullName);
            Assert.Equal(first.Keys.Order(), second.Keys.Order());
            // The web app's sign-in settings are empty by design: on a laptop cluster it runs open and says so.
            Assert.All(first["web-oidc.env"].Values, value => Assert.Equal(string.Empty, value));
            foreach (var (file, values) in first.Where(f => f.Key != "web-oidc.env"))
            {
                foreach (var (key, value) in values)
                {
                    Assert.NotEqual(value, second[file][key]);
                    Assert.False(string.IsNullOrWhiteSpace(value), $"{file}: {key} is empty");
                }
            }

            Assert.True(first["app-api-token.env"]["token"].Length >= 64);
            // The key-ring certificate is made per folder, and its password opens it.
            var pfx = Path.Combine(LocalClusterSecrets, "web-keyring.pfx");
            Assert.NotEqual(File.ReadAllBytes(pfx), File.ReadAllBytes(Path.Combine(other.FullName, "web-keyring.pfx")));
            var (opened, _, openError) = Run("openssl", ["pkcs12", "-in", pfx, "-passin", "pass:" + first["web-keyring.env"]["password"], "-nokeys", "-noout"], stdin: null);
            Assert.True(opened == 0, $"web-keyring.pfx does not open with its password: {openError}");
            Assert.NotEqual("devstoreaccount1", first["storage.env"]["account-name"]);
        }
        finally
        {
            other.Delete(recursive: true);
        }

        var git = ExecutablesOnPath.Find("git");
        Skip.If(git is null || !Path.Exists(Path.Combine(Root, ".git")), "not a git checkout");
        var (ignored, _, _) = Run(git!, ["-C", Root, "check-ignore", "-q", "--no-index", "deploy/k8s/overlays/local-cluster/.secrets/storage.env"], stdin: null);
        Assert.True(ignored == 0, "deploy/k8s/overlays/local-cluster/.secrets/ is not git-ignored");
    }

    [SkippableFact]
    public void The_in_cluster_azurite_runs_loose_without_telemetry_and_has_a_writable_tmp()
    {
        var objects = Render(Overlay);
        Skip.If(objects is null, "kubectl is not installed (scripts/setup.sh installs it).");

        var pod = At(objects!.OfKind("Deployment").Single(d => Name(d) == "azurite"), "spec", "template", "spec");
        var container = Items(pod, "containers").Single();
        var args = Items(container, "args").Select(a => a?.ToString()).ToList();
        Assert.Contains("--loose", args);
        Assert.Contains("--disableTelemetry", args);
        // The root filesystem stays read-only; /tmp is an emptyDir of its own.
        Assert.Equal("true", Text(container, "securityContext", "readOnlyRootFilesystem"));
        var tmp = Items(container, "volumeMounts").SingleOrDefault(m => Text(m, "mountPath") == "/tmp");
        Assert.NotNull(tmp);
        Assert.NotNull(At(Items(pod, "volumes").Single(v => Text(v, "name") == Text(tmp, "name")), "emptyDir"));
    }

    /// <summary>
    /// What the pods of the local-cluster overlay may request on GitHub's 2-vCPU runner: the kind node's 2000m less
    /// kube-system (~950m of requests: apiserver 250m, controller-manager 200m, scheduler 100m, etcd 100m, CoreDNS
    /// 2 × 100m, kindnet 100m) and KEDA's chart (~300m); Dapr's chart requests nothing by default.
    /// </summary>
    private const double CiBudgetMillicores = 700;

    [SkippableFact]
    public void The_ci_patch_fits_the_overlay_and_its_sidecars_on_a_two_vcpu_runner_and_kind_yml_applies_it()
    {
        var plain = Render(Overlay);
        Skip.If(plain is null, "kubectl is not installed (scripts/setup.sh installs it).");
        var small = KustomizeWithComponent(Overlay, Path.Combine("components", "ci-small"))!;

        Assert.True(CpuRequests(plain!) > 2 * CiBudgetMillicores, "the overlay as it is should not need the patch");
        Assert.True(CpuRequests(small) <= CiBudgetMillicores, $"the CI patch leaves {CpuRequests(small)}m of CPU requests, over {CiBudgetMillicores}m");
        var workflow = File.ReadAllText(Path.Combine(Root, ".github", "workflows", "kind.yml"));
        var patch = workflow.IndexOf("../../components/ci-small", StringComparison.Ordinal);
        Assert.True(patch >= 0 && patch < workflow.IndexOf("kubectl apply -k deploy/k8s/overlays/local-cluster", StringComparison.Ordinal), "kind.yml adds the ci-small component before it applies the overlay");
    }

    /// <summary>CPU requests of every pod the objects start, replicas counted, daprd sidecars (annotations) included.</summary>
    private static double CpuRequests(List<Dictionary<object, object?>> objects) =>
        objects.Where(o => Text(o, "kind") is "Deployment" or "StatefulSet").Sum(workload =>
        {
            var template = At(workload, "spec", "template");
            var containers = Items(template, "spec", "containers").Sum(c => Millicores(Text(c, "resources", "requests", "cpu")));
            var sidecar = Text(template, "metadata", "annotations", "dapr.io/enabled") == "true"
                ? Millicores(Text(template, "metadata", "annotations", "dapr.io/sidecar-cpu-request"))
                : 0;
            return double.Parse(Text(workload, "spec", "replicas") ?? "1", System.Globalization.CultureInfo.InvariantCulture) * (containers + sidecar);
        });

    private static double Millicores(string? quantity) => quantity switch
    {
        null => 0,
        _ when quantity.EndsWith('m') => double.Parse(quantity[..^1], System.Globalization.CultureInfo.InvariantCulture),
        _ => double.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture) * 1000,
    };

    /// <summary>The env files the script wrote: file name to key/value pairs (split at the first '=', as kustomize does).</summary>
    private static Dictionary<string, Dictionary<string, string>> Secrets(string? folder = null) =>
        Directory.EnumerateFiles(folder ?? LocalClusterSecrets, "*.env").ToDictionary(
            f => Path.GetFileName(f),
            f => File.ReadAllLines(f).Where(l => l.Contains('=', StringComparison.Ordinal)).ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]));

    private static string? Metadata(IEnumerable<Dictionary<object, object?>> objects, string component, string name) =>
        Text(Items(objects.OfKind("Component").Single(c => Name(c) == component), "spec", "metadata").SingleOrDefault(m => Text(m, "name") == name), "value");
}
