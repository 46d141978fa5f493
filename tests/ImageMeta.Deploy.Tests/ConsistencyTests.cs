using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The run files, component profiles and Kubernetes manifests against the code's constants (DaprTopology) and
/// against each other: one definition of names and ports, secrets only by reference, hardened containers.
/// </summary>
public sealed partial class ConsistencyTests
{
    public static TheoryData<string> Overlays => ["local-cluster", "postgres", "sqlserver"];

    private static readonly Dictionary<string, (int App, int Http, int Grpc)> Ports = new()
    {
        [DaprTopology.AppIds.Ingest] = (DaprTopology.AppPorts.Ingest, DaprTopology.SidecarPorts.IngestHttp, DaprTopology.SidecarPorts.IngestGrpc),
        [DaprTopology.AppIds.Extractor] = (DaprTopology.AppPorts.Extractor, DaprTopology.SidecarPorts.ExtractorHttp, DaprTopology.SidecarPorts.ExtractorGrpc),
        [DaprTopology.AppIds.Store] = (DaprTopology.AppPorts.Store, DaprTopology.SidecarPorts.StoreHttp, DaprTopology.SidecarPorts.StoreGrpc),
        [DaprTopology.AppIds.Web] = (DaprTopology.AppPorts.Web, DaprTopology.SidecarPorts.WebHttp, DaprTopology.SidecarPorts.WebGrpc),
    };

    private static readonly string[] AllComponents =
        [DaprTopology.Components.Images, DaprTopology.Components.Thumbnails, DaprTopology.Components.ImageEvents, DaprTopology.Components.Sweep, DaprTopology.Components.WorkflowState, DaprTopology.Components.SweepState];

    /// <summary>
    /// The web app's state store on Kubernetes (key ring and sessions shared by its replicas), named by
    /// <c>Web__StateStore</c> in base/web.yaml; the local profiles run one web process, with sessions in memory and the key ring in a folder.
    /// </summary>
    private const string WebState = "webstate";

    /// <summary>The apps the images binding is loaded in: ingest writes and lists, the extractor reads, the store serves originals.</summary>
    private static readonly string[] ImagesReaders = [.. new[] { DaprTopology.AppIds.Ingest, DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store }.Order()];

    /// <summary>The state stores every profile and overlay has, and the one that holds actor (workflow) state.</summary>
    private static readonly string[] StateStores = [DaprTopology.Components.WorkflowState, DaprTopology.Components.SweepState];

    [Fact]
    public void Every_yaml_file_parses()
    {
        var files = YamlFiles().ToList();

        Assert.True(files.Count >= 20, $"only {files.Count} YAML files found");
        Assert.All(files, f => Assert.NotEmpty(Documents(File.ReadAllText(f))));
    }

    [Theory]
    [InlineData("dapr.yaml")]
    [InlineData("dapr.azurite.yaml")]
    [InlineData("dapr.azurite-postgres.yaml")]
    public void Run_files_name_the_app_ids_and_ports_of_the_code(string runFile)
    {
        var apps = Items(Load(runFile)[0], "apps").Cast<Dictionary<object, object?>>().ToList();

        Assert.Equal(DaprTopology.AppIds.All.Order(), apps.Select(a => Text(a, "appID")!).Order());
        foreach (var app in apps)
        {
            var id = Text(app, "appID")!;
            Assert.Equal(Ports[id].App, int.Parse(Text(app, "appPort")!, CultureInfo.InvariantCulture));
            Assert.Equal(Ports[id].Http, int.Parse(Text(app, "daprHTTPPort")!, CultureInfo.InvariantCulture));
            Assert.Equal(Ports[id].Grpc, int.Parse(Text(app, "daprGRPCPort")!, CultureInfo.InvariantCulture));
            Assert.EndsWith($":{Ports[id].App}", Text(app, "env", "ASPNETCORE_URLS"), StringComparison.Ordinal);
            Assert.True(Directory.Exists(Path.Combine(Root, Text(app, "appDirPath")!)), $"{id}: appDirPath missing");
        }
    }

    [Theory]
    [InlineData("dapr.yaml", "./components/local", null)]
    [InlineData("dapr.azurite.yaml", "./components/azurite", "./components/azurite/state-sqlite")]
    [InlineData("dapr.azurite-postgres.yaml", "./components/azurite", "./components/azurite/state-postgres")]
    public void Run_files_load_their_profile_the_shared_resiliency_and_a_body_limit_above_the_image_limit(string runFile, string profile, string? stateFolder)
    {
        var common = At(Load(runFile)[0], "common");

        string[] expected = stateFolder is null ? [profile, "./components"] : [profile, stateFolder, "./components"];
        Assert.Equal(expected, Items(common, "resourcesPaths").Select(p => p?.ToString()));
        Assert.Equal("./components/config.yaml", Text(common, "configFilePath"));
        var mebibytes = int.Parse(MebibytesPattern().Match(Text(common, "maxBodySize") ?? string.Empty).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(mebibytes * 1024L * 1024 > 256L * 1024 * 1024 * 4 / 3, $"maxBodySize {mebibytes}Mi cannot carry a base64 image at the 256 MiB limit");
    }

    [Theory]
    [InlineData("dapr.yaml", "components/local")]
    [InlineData("dapr.azurite.yaml", "components/azurite")]
    [InlineData("dapr.azurite-postgres.yaml", "components/azurite")]
    public void Each_app_reads_a_blob_binding_with_the_adapter_of_that_component_s_type(string runFile, string profile)
    {
        // The adapters differ per binding type (fileName vs blobName, list shapes); the apps default to localstorage.
        var apps = Items(Load(runFile)[0], "apps").Cast<Dictionary<object, object?>>().ToDictionary(a => Text(a, "appID")!);
        string Adapter(string app, string setting) => Text(apps[app], "env", setting) ?? "localstorage";
        var images = Type(Folder(profile), DaprTopology.Components.Images)!["bindings.".Length..];
        var thumbnails = Type(Folder(profile), DaprTopology.Components.Thumbnails)!["bindings.".Length..];

        Assert.Equal(images, Adapter(DaprTopology.AppIds.Ingest, "Blobs__BindingType"));
        Assert.Equal(images, Adapter(DaprTopology.AppIds.Extractor, "Blobs__BindingType"));
        Assert.Equal(thumbnails, Adapter(DaprTopology.AppIds.Store, "Thumbnails__BindingType"));
        Assert.Equal(images, Adapter(DaprTopology.AppIds.Store, "Images__BindingType"));
    }

    [Fact]
    public void In_the_kubernetes_base_each_app_reads_a_blob_binding_with_the_azure_blob_adapter()
    {
        var deployments = Folder("deploy/k8s/base").OfKind("Deployment").ToDictionary(Name);
        string? Env(string app, string name) => Items(deployments[app], "spec", "template", "spec", "containers")
            .SelectMany(c => Items(c, "env")).FirstOrDefault(e => Text(e, "name") == name) is { } e ? Text(e, "value") : null;

        Assert.Equal("bindings.azure.blobstorage", Type(Folder("deploy/k8s/base"), DaprTopology.Components.Thumbnails));
        Assert.Equal("azure.blobstorage", Env(DaprTopology.AppIds.Ingest, "Blobs__BindingType"));
        Assert.Equal("azure.blobstorage", Env(DaprTopology.AppIds.Extractor, "Blobs__BindingType"));
        Assert.Equal("azure.blobstorage", Env(DaprTopology.AppIds.Store, "Thumbnails__BindingType"));
        Assert.Equal("azure.blobstorage", Env(DaprTopology.AppIds.Store, "Images__BindingType"));
    }

    [Fact]
    public void The_two_azurite_run_files_differ_only_in_the_folder_of_the_state_store()
    {
        var sqlite = Load("dapr.azurite.yaml")[0];
        var postgres = Load("dapr.azurite-postgres.yaml")[0];
        foreach (var template in new[] { sqlite, postgres })
        {
            var paths = (List<object?>)((Dictionary<object, object?>)At(template, "common")!)["resourcesPaths"]!;
            paths.RemoveAll(p => p?.ToString()?.StartsWith("./components/azurite/state-", StringComparison.Ordinal) == true);
        }

        Assert.Equal(JsonSerializer.Serialize(sqlite), JsonSerializer.Serialize(postgres));
    }

    [Fact]
    public void The_local_profile_has_every_component_but_the_queue_and_the_azurite_profile_has_all()
    {
        var local = Folder("components/local").OfKind("Component").Select(Name).ToList();
        var azurite = Folder("components/azurite").OfKind("Component").Select(Name).ToList();
        foreach (var (folder, type) in new[] { ("components/azurite/state-sqlite", "state.sqlite"), ("components/azurite/state-postgres", "state.postgresql") })
        {
            var state = Folder(folder).OfKind("Component").ToList();
            Assert.Equal(StateStores.Order(), state.Select(Name).Order());
            Assert.All(state, s => Assert.Equal(type, Text(s, "spec", "type")));
            AssertOnlyTheWorkflowStoreHoldsActors(state);
        }

        azurite.AddRange(StateStores);
        Assert.Equal(AllComponents.Where(c => c != DaprTopology.Components.ImageEvents).Order(), local.Order());
        // Besides the pipeline's components, the Azurite profile has only its secret store.
        Assert.Equal(AllComponents.Append("envsecrets").Order(), azurite.Order());
        Assert.Equal("bindings.localstorage", Type(Folder("components/local"), DaprTopology.Components.Images));
        Assert.Equal("bindings.azure.blobstorage", Type(Folder("components/azurite"), DaprTopology.Components.Images));
        Assert.Equal("bindings.localstorage", Type(Folder("components/local"), DaprTopology.Components.Thumbnails));
        Assert.Equal("bindings.azure.blobstorage", Type(Folder("components/azurite"), DaprTopology.Components.Thumbnails));
        AssertOnlyTheWorkflowStoreHoldsActors(Folder("components/local").OfKind("Component").Where(c => StateStores.Contains(Name(c))).ToList());
    }

    /// <summary>Dapr allows one actor state store per app: the workflow store is it, the sweep's store is a plain one.</summary>
    private static void AssertOnlyTheWorkflowStoreHoldsActors(List<Dictionary<object, object?>> stores)
    {
        Assert.Equal("true", Metadata(stores.Single(c => Name(c) == DaprTopology.Components.WorkflowState), "actorStateStore"));
        Assert.Null(Metadata(stores.Single(c => Name(c) == DaprTopology.Components.SweepState), "actorStateStore"));
        Assert.All(stores, c => Assert.Equal([DaprTopology.AppIds.Ingest], Items(c, "scopes").Select(x => x?.ToString())));
    }

    [Fact]
    public void The_local_images_folder_is_the_one_the_apps_are_told()
    {
        var rootPath = Metadata(Folder("components/local").OfKind("Component").Single(c => Name(c) == DaprTopology.Components.Images), "rootPath");
        var apps = Items(Load("dapr.yaml")[0], "apps").Cast<Dictionary<object, object?>>().ToList();

        foreach (var id in new[] { DaprTopology.AppIds.Ingest, DaprTopology.AppIds.Extractor })
        {
            var app = apps.Single(a => Text(a, "appID") == id);
            Assert.Equal(rootPath, Text(app, "env", "Blobs__LocalRootPath"));
            Assert.Equal("localstorage", Text(app, "env", "Blobs__BindingType"));
        }
    }

    [Fact]
    public void Thumbnails_have_a_folder_or_container_of_their_own_written_by_the_extractor_and_read_by_the_store()
    {
        // A thumbnail in the images container would be swept (and, on Azure, announced by Event Grid) as a new upload.
        var local = Folder("components/local").OfKind("Component").ToList();
        Assert.Equal("../../../.data/images", Metadata(local.Single(c => Name(c) == DaprTopology.Components.Images), "rootPath"));
        Assert.Equal("../../../.data/thumbnails", Metadata(local.Single(c => Name(c) == DaprTopology.Components.Thumbnails), "rootPath"));
        var clusters = new[] { Folder("components/azurite"), Load("deploy/k8s/base/components.yaml") };
        foreach (var components in clusters.Select(c => c.OfKind("Component").ToList()))
        {
            Assert.Equal("images", Metadata(components.Single(c => Name(c) == DaprTopology.Components.Images), "containerName"));
            var thumbnails = components.Single(c => Name(c) == DaprTopology.Components.Thumbnails);
            Assert.Equal("thumbnails", Metadata(thumbnails, "containerName"));
            Assert.Equal("true", Metadata(thumbnails, "decodeBase64"));
            Assert.Equal("none", Metadata(thumbnails, "publicAccessLevel"));
        }

        foreach (var components in clusters.Prepend(local).Select(c => c.OfKind("Component").ToList()))
        {
            Assert.Equal([DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store],
                Items(components.Single(c => Name(c) == DaprTopology.Components.Thumbnails), "scopes").Select(s => s?.ToString()).Order());
            // The store reads images too (get), for GET /images/{id}/original; the web app reads no binding at all.
            Assert.Equal(ImagesReaders, Items(components.Single(c => Name(c) == DaprTopology.Components.Images), "scopes").Select(s => s?.ToString()).Order());
        }
    }

    [Fact]
    public void The_aks_guide_creates_the_thumbnails_container_and_keeps_event_grid_filtered_to_images()
    {
        // One guide: the README points to deploy/README.md instead of keeping a copy that drifts.
        Assert.Contains("The guide is `deploy/README.md`", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
        foreach (var (name, guide) in new[] { ("deploy/README.md", File.ReadAllText(Path.Combine(Root, "deploy", "README.md"))) })
        {
            Assert.Contains("-n thumbnails\n", guide.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            var filters = SubjectFilterPattern().Matches(guide).Select(m => m.Groups["container"].Value).ToList();
            Assert.True(filters is ["images"], $"{name}: Event Grid subject filters are [{string.Join(", ", filters)}], not the images container alone");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Each_overlay_renders_every_component_scoped_to_the_apps_that_use_it(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var components = objects!.OfKind("Component").ToList();
        Assert.Equal(AllComponents.Append(WebState).Order(), components.Select(Name).Order());
        AssertOnlyTheWorkflowStoreHoldsActors(components.Where(c => StateStores.Contains(Name(c))).ToList());
        Assert.Equal([DaprTopology.AppIds.Web], Items(components.Single(c => Name(c) == WebState), "scopes").Select(s => s?.ToString()));
        Assert.Equal(overlay == "sqlserver" ? "state.sqlserver" : "state.postgresql", Type(objects!, WebState));
        Assert.Equal(WebState, Text(Items(objects!.OfKind("Deployment").Single(d => Name(d) == DaprTopology.AppIds.Web), "spec", "template", "spec", "containers")
            .SelectMany(c => Items(c, "env")).Single(e => Text(e, "name") == "Web__StateStore"), "value"));
        Assert.All(StateStores, store => Assert.Equal(overlay == "sqlserver" ? "state.sqlserver" : "state.postgresql", Type(objects!, store)));
        Assert.All(components, c => Assert.All(Items(c, "scopes"), s => Assert.Contains(s?.ToString(), DaprTopology.AppIds.All)));
        Assert.Equal([DaprTopology.AppIds.Ingest], Items(components.Single(c => Name(c) == DaprTopology.Components.ImageEvents), "scopes").Select(s => s?.ToString()));
        Assert.Equal([DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store], Items(components.Single(c => Name(c) == DaprTopology.Components.Thumbnails), "scopes").Select(s => s?.ToString()).Order());
        Assert.Equal(ImagesReaders, Items(components.Single(c => Name(c) == DaprTopology.Components.Images), "scopes").Select(s => s?.ToString()).Order());
        Assert.All(components.Where(c => Name(c) != WebState), c => Assert.DoesNotContain(DaprTopology.AppIds.Web, Items(c, "scopes").Select(s => s?.ToString())));
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Each_app_is_a_deployment_and_service_whose_dapr_annotations_and_ports_match_the_code(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var id in DaprTopology.AppIds.All)
        {
            var deployment = objects!.OfKind("Deployment").Single(d => Name(d) == id);
            var annotations = At(deployment, "spec", "template", "metadata", "annotations");
            Assert.Equal("true", Text(annotations, "dapr.io/enabled"));
            Assert.Equal(id, Text(annotations, "dapr.io/app-id"));
            Assert.Equal(Ports[id].App.ToString(CultureInfo.InvariantCulture), Text(annotations, "dapr.io/app-port"));
            Assert.Equal("imagemeta", Text(annotations, "dapr.io/config"));
            Assert.NotNull(Text(annotations, "dapr.io/max-body-size"));
            Assert.NotNull(Text(annotations, "dapr.io/sidecar-memory-limit"));
            var container = (Dictionary<object, object?>)Items(deployment, "spec", "template", "spec", "containers").Single()!;
            // The app port is named http; web also has the scraper's port (MonitoringTests).
            Assert.Equal(Ports[id].App.ToString(CultureInfo.InvariantCulture), Text(Items(container, "ports").Single(p => Text(p, "name") == "http"), "containerPort"));
            var service = objects!.OfKind("Service").Single(s => Name(s) == id);
            Assert.Equal(Ports[id].App.ToString(CultureInfo.InvariantCulture), Text(Items(service, "spec", "ports").Single(), "port"));
        }

        Assert.Single(objects!.OfKind("Configuration"), c => Name(c) == "imagemeta"
            && Text(c, "spec", "tracing", "zipkin", "endpointAddress")!.StartsWith("http://zipkin.imagemeta.svc.cluster.local:9411/", StringComparison.Ordinal));
        Assert.Single(objects!.OfKind("Resiliency"));
        Assert.Equal(3, objects!.OfKind("NetworkPolicy").Count());
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Every_container_is_non_root_read_only_limited_and_probed(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var deployments = objects!.OfKind("Deployment").ToList();
        // The apps and Zipkin; the local cluster adds Azurite, and PostgreSQL as a StatefulSet.
        Assert.Equal(DaprTopology.AppIds.All.Count + (overlay == "local-cluster" ? 2 : 1), deployments.Count);
        foreach (var deployment in deployments.Concat(objects!.OfKind("StatefulSet")))
        {
            var pod = At(deployment, "spec", "template", "spec");
            Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
            foreach (var container in Items(pod, "containers"))
            {
                var what = $"{Name(deployment)}/{Text(container, "name")}";
                Assert.True(Text(container, "securityContext", "readOnlyRootFilesystem") == "true", $"{what}: root filesystem writable");
                Assert.True(Text(container, "securityContext", "allowPrivilegeEscalation") == "false", $"{what}: privilege escalation allowed");
                Assert.NotNull(Text(container, "resources", "limits", "cpu"));
                Assert.NotNull(Text(container, "resources", "limits", "memory"));
                Assert.NotNull(Text(container, "resources", "requests", "memory"));
                // HTTP probes for what speaks HTTP; the local cluster's Azurite and PostgreSQL are probed by port and pg_isready.
                Assert.True(At(container, "readinessProbe") is Dictionary<object, object?> ready && ready.Keys.Any(k => k is "httpGet" or "tcpSocket" or "exec"), $"{what}: no readiness probe");
                Assert.True(At(container, "livenessProbe") is Dictionary<object, object?> live && live.Keys.Any(k => k is "httpGet" or "tcpSocket" or "exec"), $"{what}: no liveness probe");
            }
        }

        foreach (var id in DaprTopology.AppIds.All)
        {
            var container = Items(deployments.Single(d => Name(d) == id), "spec", "template", "spec", "containers").Single();
            Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
            Assert.Contains($"imagemeta/{id}", Text(container, "image") ?? string.Empty, StringComparison.Ordinal);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Every_secret_reference_names_a_secret_and_key_the_deploy_guide_creates(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");
        // On AKS the guide creates the secrets; the local cluster generates them (secretGenerator), so the render has them.
        var guide = File.ReadAllText(Path.Combine(Root, "deploy", "README.md"));
        var created = overlay == "local-cluster"
            ? objects!.OfKind("Secret").ToDictionary(Name, s => (At(s, "data") as Dictionary<object, object?> ?? []).Keys.Select(k => k.ToString()!).ToHashSet(StringComparer.Ordinal))
            : SecretCommandPattern().Matches(guide)
                .ToDictionary(m => m.Groups["name"].Value, m => LiteralKeyPattern().Matches(m.Value).Select(k => k.Groups["key"].Value).ToHashSet(StringComparer.Ordinal));

        // secretKeyRef (containers, Dapr components) and KEDA's secretTargetRef items both name a secret and a key.
        var references = objects!.SelectMany(o => Maps(o)).Select(m => At(m, "secretKeyRef")).OfType<Dictionary<object, object?>>()
            .Concat(objects!.OfKind("TriggerAuthentication").SelectMany(a => Items(a, "spec", "secretTargetRef")).OfType<Dictionary<object, object?>>())
            .ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var name = Text(reference, "name")!;
            var key = Text(reference, "key")!;
            Assert.True(created.TryGetValue(name, out var keys), $"secret '{name}' is not created ({overlay})");
            Assert.True(keys!.Contains(key), $"secret '{name}' is created without key '{key}'");
        }

        // Dapr's token annotations name secrets too, and require the key "token".
        foreach (var annotation in new[] { "dapr.io/api-token-secret", "dapr.io/app-token-secret" })
        {
            foreach (var deployment in objects!.OfKind("Deployment").Where(d => Text(d, "spec", "template", "metadata", "annotations", annotation) is not null))
            {
                var secret = Text(deployment, "spec", "template", "metadata", "annotations", annotation)!;
                Assert.True(created.TryGetValue(secret, out var keys) && keys.Contains("token"), $"{annotation} names '{secret}', which the guide does not create with a 'token' key");
            }
        }
    }

    [Fact]
    public void No_app_configuration_sets_mtls_and_both_deploy_guides_say_where_it_is_set()
    {
        // Dapr reads mTLS only from the control plane's Configuration ("daprsystem", the default --config of
        // dapr/dapr cmd/sentry and cmd/operator), so a block in ours has no effect, and since 1.15 the CRD refuses it
        // without controlPlaneTrustDomain and sentryAddress.
        foreach (var file in YamlFiles())
        {
            Assert.All(Documents(File.ReadAllText(file)).OfKind("Configuration"), c => Assert.True(At(c, "spec", "mtls") is null, $"{file}: '{Name(c)}' sets spec.mtls"));
        }

        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var start = readme.IndexOf("## Deploy to AKS", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no 'Deploy to AKS' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        foreach (var (name, guide) in new[] { ("deploy/README.md", File.ReadAllText(Path.Combine(Root, "deploy", "README.md"))), ("README.md", readme[start..(end < 0 ? readme.Length : end)]) })
        {
            Assert.True(guide.Contains("`daprsystem` Configuration in `dapr-system`", StringComparison.Ordinal), $"{name} does not say mTLS is set in daprsystem");
            Assert.DoesNotContain("(`imagemeta`: Zipkin tracing, mTLS)", guide, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_credential_is_written_as_a_literal_in_any_yaml()
    {
        foreach (var file in YamlFiles())
        {
            foreach (var map in Documents(File.ReadAllText(file)).SelectMany(Maps))
            {
                // Component metadata items and container env vars: { name, value } pairs.
                // A SQLite connection string that is only a file path carries no credential.
                if (Text(map, "name") is { } name && map.ContainsKey("value") && CredentialName().IsMatch(name)
                    && !(name == "connectionString" && Text(map, "value") is { } path && !path.Contains('=', StringComparison.Ordinal) && path.EndsWith(".db", StringComparison.Ordinal)))
                {
                    Assert.Fail($"{Path.GetRelativePath(Root, file)}: '{name}' has a literal value; use secretKeyRef.");
                }
            }

            var text = File.ReadAllText(file);
            Assert.DoesNotMatch(LiteralSecretPattern(), text);
        }
    }

    [Fact]
    public void Container_publish_settings_match_the_kustomize_image_names()
    {
        var kustomization = Load("deploy/k8s/base/kustomization.yaml")[0];
        var images = Items(kustomization, "images").Select(i => Text(i, "name")).ToHashSet();

        foreach (var id in DaprTopology.AppIds.All)
        {
            var project = Directory.EnumerateFiles(Path.Combine(Root, "services", id), "*.Service.csproj", SearchOption.AllDirectories).Single();
            var xml = File.ReadAllText(project);
            Assert.Contains($"<ContainerRepository>imagemeta/{id}</ContainerRepository>", xml, StringComparison.Ordinal);
            Assert.Contains("<ContainerUser>app</ContainerUser>", xml, StringComparison.Ordinal);
            Assert.Contains($"<ContainerPort Include=\"{Ports[id].App}\"", xml, StringComparison.Ordinal);
            Assert.Contains($"imagemeta/{id}", images);
        }
    }

    [Fact]
    public void Resiliency_targets_only_apps_and_components_that_exist()
    {
        foreach (var resiliency in Documents(File.ReadAllText(Path.Combine(Root, "components", "resiliency.yaml"))).Concat(Load("deploy/k8s/base/resiliency.yaml")))
        {
            var apps = (At(resiliency, "spec", "targets", "apps") as Dictionary<object, object?>)!.Keys.Select(k => k.ToString());
            var components = (At(resiliency, "spec", "targets", "components") as Dictionary<object, object?>)!.Keys.Select(k => k.ToString());
            Assert.All(apps, a => Assert.Contains(a, DaprTopology.AppIds.All));
            Assert.All(components, c => Assert.Contains(c, AllComponents));
            Assert.DoesNotContain("retry", string.Join(",", (At(resiliency, "spec", "targets", "apps") as Dictionary<object, object?>)!.Values.SelectMany(v => ((Dictionary<object, object?>)v!).Keys.Select(k => k.ToString()))), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_cluster_resiliency_is_the_local_one()
    {
        // kustomize loads nothing outside its folder, so deploy/k8s/base keeps a copy; it must not drift.
        var serializer = new YamlDotNet.Serialization.SerializerBuilder().Build();
        var local = Documents(File.ReadAllText(Path.Combine(Root, "components", "resiliency.yaml"))).Single();
        var cluster = Load("deploy/k8s/base/resiliency.yaml").Single();

        Assert.Equal(serializer.Serialize(At(local, "spec")), serializer.Serialize(At(cluster, "spec")));
    }

    private static string? Type(IEnumerable<Dictionary<object, object?>> objects, string component) =>
        Text(objects.OfKind("Component").Single(c => Name(c) == component), "spec", "type");

    private static string? Metadata(Dictionary<object, object?> component, string name) =>
        Text(Items(component, "spec", "metadata").FirstOrDefault(m => Text(m, "name") == name), "value");

    [GeneratedRegex(@"--subject-begins-with /blobServices/default/containers/(?<container>[a-z0-9-]+)/")]
    private static partial Regex SubjectFilterPattern();

    [GeneratedRegex(@"^(\d+)Mi$")]
    private static partial Regex MebibytesPattern();

    [GeneratedRegex(@"kubectl -n imagemeta create secret generic (?<name>[a-z0-9-]+)(?:\\\n|[^\n])*")]
    private static partial Regex SecretCommandPattern();

    [GeneratedRegex(@"--from-literal=(?<key>[A-Za-z0-9_-]+)=")]
    private static partial Regex LiteralKeyPattern();

    [GeneratedRegex(@"(?i)(accountKey|password|secret|connectionString|token|apiKey|__Metadata)$")]
    private static partial Regex CredentialName();

    /// <summary>Key material that must never appear: storage account keys (base64, 88 chars), connection strings with passwords.</summary>
    [GeneratedRegex(@"(?i)(AccountKey=[A-Za-z0-9+/=]{20,}|[A-Za-z0-9+/]{86}==|Password=[^;$""\s{]{3,})")]
    private static partial Regex LiteralSecretPattern();
}
