using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Field names in our YAML against the names Dapr actually reads. A misspelt or retired field is not an error
/// to Dapr: the CLI, daprd and the component loaders drop unknown keys silently (and a Kubernetes CRD prunes or
/// rejects them), so a typo would only show up as a setting that never took effect. The allowed sets below were
/// taken from the sources: dapr/cli pkg/standalone/run.go and pkg/runfileconfig (run template), dapr/dapr
/// pkg/injector/annotations/annotations.go (annotations), pkg/apis/resiliency and pkg/apis/configuration
/// (Resiliency, Configuration), and components-contrib metadata.yaml per component type.
/// </summary>
public sealed class DaprFieldNameTests
{
    /// <summary>Keys of the multi-app run template (Dapr CLI 1.15 and later) for <c>common</c> and each app.</summary>
    private static readonly HashSet<string> RunTemplateKeys =
    [
        "appID", "appChannelAddress", "appPort", "daprHTTPPort", "daprGRPCPort", "profilePort", "command", "metricsPort",
        "unixDomainSocket", "daprInternalGRPCPort", "configFilePath", "appProtocol", "apiListenAddresses", "enableProfiling",
        "logLevel", "appMaxConcurrency", "placementHostAddress", "resourcesPath", "resourcesPaths", "appSSL", "maxBodySize",
        "readBufferSize", "enableAppHealthCheck", "appHealthCheckPath", "appHealthProbeInterval", "appHealthProbeTimeout",
        "appHealthThreshold", "enableApiLogging", "runtimePath", "env", "daprdLogDestination", "appLogDestination",
        "schedulerHostAddress", "appDirPath", "containerImage", "containerImagePullPolicy", "createService",
    ];

    /// <summary>Pod annotations the sidecar injector reads. The retired http-max-request-size spelling is left out on purpose.</summary>
    private static readonly HashSet<string> Annotations =
    [
        "dapr.io/enabled", "dapr.io/app-port", "dapr.io/config", "dapr.io/app-protocol", "dapr.io/app-id", "dapr.io/enable-profiling",
        "dapr.io/log-level", "dapr.io/api-token-secret", "dapr.io/app-token-secret", "dapr.io/log-as-json", "dapr.io/app-max-concurrency",
        "dapr.io/enable-metrics", "dapr.io/metrics-port", "dapr.io/env", "dapr.io/env-from-secret", "dapr.io/grpc-port",
        "dapr.io/internal-grpc-port", "dapr.io/sidecar-cpu-request", "dapr.io/sidecar-cpu-limit", "dapr.io/sidecar-memory-request",
        "dapr.io/sidecar-memory-limit", "dapr.io/sidecar-listen-addresses", "dapr.io/sidecar-liveness-probe-delay-seconds",
        "dapr.io/sidecar-liveness-probe-timeout-seconds", "dapr.io/sidecar-liveness-probe-period-seconds",
        "dapr.io/sidecar-liveness-probe-threshold", "dapr.io/sidecar-readiness-probe-delay-seconds",
        "dapr.io/sidecar-readiness-probe-timeout-seconds", "dapr.io/sidecar-readiness-probe-period-seconds",
        "dapr.io/sidecar-readiness-probe-threshold", "dapr.io/sidecar-image", "dapr.io/sidecar-seccomp-profile-type",
        "dapr.io/max-body-size", "dapr.io/read-buffer-size", "dapr.io/graceful-shutdown-seconds", "dapr.io/block-shutdown-duration",
        "dapr.io/enable-api-logging", "dapr.io/unix-domain-socket-path", "dapr.io/volume-mounts", "dapr.io/volume-mounts-rw",
        "dapr.io/disable-builtin-k8s-secret-store", "dapr.io/enable-app-health-check", "dapr.io/app-health-check-path",
        "dapr.io/app-health-probe-interval", "dapr.io/app-health-probe-timeout", "dapr.io/app-health-threshold",
        "dapr.io/app-binding-options-timeout", "dapr.io/placement-host-address", "dapr.io/scheduler-host-address",
        "dapr.io/app-channel-address", "dapr.io/enable-native-sidecar",
    ];

    /// <summary>
    /// Metadata names per component type: the component's own (its metadata.yaml, authentication profiles included)
    /// plus the ones daprd itself reads: direction and route on bindings, actorStateStore and keyPrefix on state stores.
    /// Types with the built-in Azure AD profile also accept azure* names (workload identity).
    /// </summary>
    private static readonly Dictionary<string, (string[] Names, bool AzureAd)> ComponentMetadata = new()
    {
        ["bindings.localstorage"] = (["rootPath"], false),
        ["bindings.cron"] = (["schedule", "direction", "route"], false),
        ["bindings.azure.blobstorage"] = (["accountName", "accountKey", "connectionString", "containerName", "endpoint", "publicAccessLevel",
            "decodeBase64", "retryCount", "disableEntityManagement", "direction"], true),
        ["bindings.azure.storagequeues"] = (["accountName", "accountKey", "queueName", "queueEndpoint", "pollingInterval", "ttl", "decodeBase64",
            "encodeBase64", "visibilityTimeout", "initialVisibilityDelay", "direction", "route"], true),
        ["state.sqlite"] = (["connectionString", "timeout", "busyTimeout", "disableWAL", "tableName", "metadataTableName", "cleanupInterval",
            "actorStateStore", "keyPrefix"], false),
        ["state.postgresql"] = (["connectionString", "timeout", "tableName", "metadataTableName", "cleanupInterval", "maxConns",
            "connectionMaxIdleTime", "queryExecMode", "host", "hostaddr", "port", "database", "user", "password", "sslRootCert",
            "actorStateStore", "keyPrefix"], true),
        ["state.sqlserver"] = (["connectionString", "tableName", "metadataTableName", "schemaName", "keyType", "keyLength", "indexedProperties",
            "cleanupInterval", "actorStateStore", "keyPrefix"], true),
        ["secretstores.local.env"] = (["prefix"], false),
    };

    [Theory]
    [InlineData("dapr.yaml")]
    [InlineData("dapr.azurite.yaml")]
    [InlineData("dapr.azurite-postgres.yaml")]
    public void Run_templates_use_only_keys_the_dapr_cli_reads(string runFile)
    {
        var template = Load(runFile)[0];

        Assert.Equal("1", Text(template, "version"));
        AssertKeys($"{runFile} top level", template, ["version", "common", "apps", "name"]);
        AssertKeys($"{runFile} common", At(template, "common") as Dictionary<object, object?>, RunTemplateKeys);
        foreach (var app in Items(template, "apps").Cast<Dictionary<object, object?>>())
        {
            AssertKeys($"{runFile} app {Text(app, "appID")}", app, RunTemplateKeys);
        }
    }

    [Fact]
    public void Every_component_uses_a_known_type_and_only_its_metadata_names()
    {
        var components = new[] { "components/local", "components/azurite", "components/azurite/state-sqlite", "components/azurite/state-postgres", "deploy/k8s/base", "deploy/k8s/overlays/postgres", "deploy/k8s/overlays/sqlserver" }
            .SelectMany(folder => Folder(folder).OfKind("Component").Select(c => (folder, c)))
            .ToList();

        Assert.NotEmpty(components);
        foreach (var (folder, component) in components)
        {
            AssertKnownTypeAndMetadata(folder, component);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Every_rendered_component_uses_only_its_metadata_names(string overlay)
    {
        // Overlays patch metadata into the base's components (the local cluster's Azurite endpoints): the render counts.
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var component in objects!.OfKind("Component"))
        {
            AssertKnownTypeAndMetadata($"overlay {overlay}", component);
        }
    }

    private static void AssertKnownTypeAndMetadata(string where, Dictionary<object, object?> component)
    {
        var type = Text(component, "spec", "type")!;
        var what = $"{where}: component '{Name(component)}' ({type})";
        Assert.True(ComponentMetadata.TryGetValue(type, out var known), $"{what}: type not in this test's list; add its metadata names from components-contrib");
        Assert.Equal("v1", Text(component, "spec", "version"));
        foreach (var item in Items(component, "spec", "metadata"))
        {
            var name = Text(item, "name")!;
            Assert.True(known.Names.Contains(name) || (known.AzureAd && name.StartsWith("azure", StringComparison.Ordinal)), $"{what}: unknown metadata '{name}'");
        }
    }

    [Fact]
    public void Resiliency_policies_use_only_fields_of_the_resiliency_schema()
    {
        foreach (var (file, resiliency) in new[] { "components/resiliency.yaml", "deploy/k8s/base/resiliency.yaml" }.Select(f => (f, Load(f).Single())))
        {
            foreach (var retry in (At(resiliency, "spec", "policies", "retries") as Dictionary<object, object?> ?? []).Values)
            {
                // No initialInterval/multiplier here: the CRD carries only these, and the rest never reaches daprd.
                AssertKeys($"{file} retry", retry as Dictionary<object, object?>, ["policy", "duration", "maxInterval", "maxRetries", "matching"]);
            }

            foreach (var breaker in (At(resiliency, "spec", "policies", "circuitBreakers") as Dictionary<object, object?> ?? []).Values)
            {
                AssertKeys($"{file} circuit breaker", breaker as Dictionary<object, object?>, ["maxRequests", "interval", "timeout", "trip"]);
            }

            foreach (var target in (At(resiliency, "spec", "targets", "apps") as Dictionary<object, object?> ?? []).Values)
            {
                AssertKeys($"{file} app target", target as Dictionary<object, object?>, ["timeout", "retry", "circuitBreaker", "circuitBreakerCacheSize"]);
            }

            foreach (var target in (At(resiliency, "spec", "targets", "components") as Dictionary<object, object?> ?? []).Values)
            {
                AssertKeys($"{file} component target", target as Dictionary<object, object?>, ["inbound", "outbound"]);
            }
        }
    }

    [Fact]
    public void Configurations_use_only_tracing_and_mtls_fields_dapr_reads()
    {
        foreach (var (file, configuration) in new[] { "components/config.yaml", "deploy/k8s/base/configuration.yaml" }.Select(f => (f, Load(f).Single())))
        {
            AssertKeys($"{file} tracing", At(configuration, "spec", "tracing") as Dictionary<object, object?>, ["samplingRate", "stdout", "zipkin", "otel"]);
            AssertKeys($"{file} zipkin", At(configuration, "spec", "tracing", "zipkin") as Dictionary<object, object?>, ["endpointAddress"]);
            if (At(configuration, "spec", "mtls") is Dictionary<object, object?> mtls)
            {
                AssertKeys($"{file} mtls", mtls, ["enabled", "workloadCertTTL", "allowedClockSkew", "sentryAddress", "controlPlaneTrustDomain", "tokenValidators"]);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Pod_annotations_are_ones_the_sidecar_injector_reads(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var deployment in objects!.OfKind("Deployment"))
        {
            var annotations = At(deployment, "spec", "template", "metadata", "annotations") as Dictionary<object, object?> ?? [];
            foreach (var key in annotations.Keys.Select(k => k.ToString()!).Where(k => k.StartsWith("dapr.io/", StringComparison.Ordinal)))
            {
                Assert.True(Annotations.Contains(key), $"{Name(deployment)}: '{key}' is not an annotation the Dapr sidecar injector reads");
            }
        }
    }

    private static void AssertKeys(string what, Dictionary<object, object?>? map, IReadOnlyCollection<string> allowed)
    {
        Assert.True(map is not null, $"{what}: missing");
        var unknown = map!.Keys.Select(k => k.ToString()!).Where(k => !allowed.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"{what}: unknown field(s) {string.Join(", ", unknown)}");
    }
}
