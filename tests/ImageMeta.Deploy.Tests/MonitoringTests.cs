using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Metrics;
using YamlDotNet.Serialization;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Issue 18's deploy half: every app pod is scrapeable (app and sidecar), the optional monitoring component renders on
/// each overlay, the alert rules pass promtool and each fires on a synthetic series, and the rules and the dashboard
/// ask only for metrics our services export.
/// </summary>
public sealed partial class MonitoringTests
{
    private const string Component = "components/monitoring";

    /// <summary>
    /// Where each app serves <c>/metrics</c> on Kubernetes, and the container port's name: the backends on their app
    /// port; web on a port of its own, because with sign-in on its people-facing port asks the scraper to sign in.
    /// </summary>
    private static readonly Dictionary<string, (int Port, string PortName)> MetricsPorts = new()
    {
        [DaprTopology.AppIds.Ingest] = (DaprTopology.AppPorts.Ingest, "http"),
        [DaprTopology.AppIds.Extractor] = (DaprTopology.AppPorts.Extractor, "http"),
        [DaprTopology.AppIds.Store] = (DaprTopology.AppPorts.Store, "http"),
        [DaprTopology.AppIds.Web] = (DaprTopology.AppPorts.WebMetrics, "metrics"),
    };

    public static TheoryData<string> Overlays => ConsistencyTests.Overlays;

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Every_app_pod_template_has_the_scrape_annotations_for_the_app_and_its_sidecar(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var daprPods = PodTemplates(objects!).Where(t => Text(t.Template, "metadata", "annotations", "dapr.io/enabled") == "true").ToList();
        Assert.Equal(DaprTopology.AppIds.All.Order(StringComparer.Ordinal), daprPods.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var (name, template) in daprPods)
        {
            var annotations = At(template, "metadata", "annotations");
            var port = MetricsPorts[name].Port.ToString(CultureInfo.InvariantCulture);
            Assert.True(Text(annotations, "prometheus.io/scrape") == "true", $"{name}: prometheus.io/scrape is not \"true\"");
            Assert.True(Text(annotations, "prometheus.io/port") == port, $"{name}: prometheus.io/port is not the metrics port {port}");
            Assert.True(Text(annotations, "prometheus.io/path") == "/metrics", $"{name}: prometheus.io/path is not /metrics");
            Assert.True(Text(annotations, "dapr.io/enable-metrics") == "true", $"{name}: dapr.io/enable-metrics is not \"true\"");
            Assert.True(Text(annotations, "dapr.io/metrics-port") == "9090", $"{name}: dapr.io/metrics-port is not 9090");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void The_monitoring_component_renders_on_each_overlay_with_monitor_rules_dashboard_and_scrape_policy(string overlay)
    {
        var objects = KustomizeWithComponent(overlay, Component);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        // The component sets its namespace itself, so it lands beside the apps whichever kustomization includes it.
        var added = objects!.Where(o => Text(o, "kind") is "PodMonitor" or "PrometheusRule" || Name(o) is "imagemeta-dashboard" or "imagemeta-metrics-scrape").ToList();
        Assert.Equal(4, added.Count);
        Assert.All(added, o => Assert.Equal("imagemeta", Text(o, "metadata", "namespace")));

        var monitor = Assert.Single(objects!.OfKind("PodMonitor"));
        Assert.Equal("monitoring.coreos.com/v1", Text(monitor, "apiVersion"));
        Assert.Equal(DaprTopology.AppIds.All.Order(StringComparer.Ordinal),
            Items(Items(monitor, "spec", "selector", "matchExpressions").Single(), "values").Select(v => v!.ToString()!).Order(StringComparer.Ordinal));
        var endpoints = Items(monitor, "spec", "podMetricsEndpoints").Select(e => (Text(e, "port"), Text(e, "path"))).ToList();
        Assert.Equal([("http", "/metrics"), ("metrics", "/metrics"), ("dapr-metrics", "/metrics")], endpoints);
        // The http endpoint leaves web out (its http port answers 404 for /metrics), and only web has a port named metrics.
        var httpDrops = Items(Items(monitor, "spec", "podMetricsEndpoints").First(), "relabelings").Where(r => Text(r, "action") == "drop");
        Assert.Equal(DaprTopology.AppIds.Web, Text(Assert.Single(httpDrops), "regex"));
        // The port the monitor names is the app container's metrics port in every app's pod.
        foreach (var (name, template) in PodTemplates(objects!).Where(t => MetricsPorts.ContainsKey(t.Name)))
        {
            var (port, portName) = MetricsPorts[name];
            var ports = Items(template, "spec", "containers").SelectMany(c => Items(c, "ports")).ToList();
            Assert.Contains(ports, p => Text(p, "name") == portName && Text(p, "containerPort") == port.ToString(CultureInfo.InvariantCulture));
            Assert.True(portName == "metrics" || ports.All(p => Text(p, "name") != "metrics"), $"{name}: a port named metrics would be scraped twice");
        }

        var rule = Assert.Single(objects!.OfKind("PrometheusRule"));
        Assert.NotEmpty(Items(rule, "spec", "groups"));

        var dashboard = Assert.Single(objects!.OfKind("ConfigMap"), c => Text(c, "metadata", "labels", "grafana_dashboard") == "1");
        using (var json = JsonDocument.Parse(Text(dashboard, "data", "imagemeta-dashboard.json")!))
        {
            Assert.Equal("imagemeta-pipeline", json.RootElement.GetProperty("uid").GetString());
        }

        var policy = Assert.Single(objects!.OfKind("NetworkPolicy"), p => Name(p) == "imagemeta-metrics-scrape");
        var allowed = Items(Items(policy, "spec", "ingress").Single(), "ports").Select(p => Text(p, "port")!).ToHashSet();
        Assert.Equal(MetricsPorts.Values.Select(p => p.Port.ToString(CultureInfo.InvariantCulture)).Append("9090").ToHashSet(), allowed);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void The_managed_prometheus_component_adds_a_daprd_monitor_in_the_azure_group_and_lets_kube_system_scrape(string overlay)
    {
        var objects = KustomizeWithComponent(overlay, "components/monitoring-azure");
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var monitor = Assert.Single(objects!.OfKind("PodMonitor"));
        // Managed Prometheus reads only its own API group (learn.microsoft.com, "Create custom Prometheus scrape job ... using CRDs").
        Assert.Equal("azmonitoring.coreos.com/v1", Text(monitor, "apiVersion"));
        Assert.Equal("imagemeta", Text(monitor, "metadata", "namespace"));
        Assert.Equal([("dapr-metrics", "/metrics")], Items(monitor, "spec", "podMetricsEndpoints").Select(e => (Text(e, "port"), Text(e, "path"))));
        var policy = Assert.Single(objects!.OfKind("NetworkPolicy"), p => Name(p) == "imagemeta-metrics-scrape");
        Assert.Equal("kube-system", Text(Items(Items(policy, "spec", "ingress").Single(), "from").Single(), "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"));
        Assert.Empty(objects!.OfKind("PrometheusRule"));
    }

    [SkippableFact]
    public void The_alert_rules_pass_promtool_check_and_each_alert_fires_in_promtool_unit_tests()
    {
        var promtool = ExecutablesOnPath.Find("promtool");
        Skip.If(promtool is null && Environment.GetEnvironmentVariable("CI") != "true", "promtool is not installed (Debian package prometheus; .ci/run installs it).");
        Assert.True(promtool is not null, "promtool is required in CI (.ci/run installs the prometheus package).");

        var scratch = Directory.CreateTempSubdirectory("imagemeta-promtool-");
        try
        {
            File.WriteAllText(Path.Combine(scratch.FullName, "imagemeta.rules.yaml"), RuleGroupsYaml());
            var unitTests = Path.Combine(Root, "tests", "ImageMeta.Deploy.Tests", "Monitoring", "alerts.test.yaml");
            File.Copy(unitTests, Path.Combine(scratch.FullName, "alerts.test.yaml"));

            var check = Run(promtool!, ["check", "rules", "imagemeta.rules.yaml"], stdin: null, workingDirectory: scratch.FullName);
            Assert.True(check.ExitCode == 0, $"promtool check rules failed:\n{check.Output}{check.Error}");
            var test = Run(promtool!, ["test", "rules", "alerts.test.yaml"], stdin: null, workingDirectory: scratch.FullName);
            Assert.True(test.ExitCode == 0, $"promtool test rules failed:\n{test.Output}{test.Error}");

            // Every alert has a case that expects it to fire.
            var firing = Items(Documents(File.ReadAllText(unitTests)).Single(), "tests")
                .SelectMany(t => Items(t, "alert_rule_test"))
                .Where(a => Items(a, "exp_alerts").Any())
                .Select(a => Text(a, "alertname"))
                .ToHashSet();
            var alerts = AlertNames().ToList();
            Assert.True(alerts.Count >= 6, $"only {alerts.Count} alerts");
            Assert.All(alerts, a => Assert.True(firing.Contains(a), $"{a} has no promtool case in which it fires"));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_rules_and_the_dashboard_ask_only_for_metrics_our_services_export()
    {
        var rules = RuleGroupsYaml();
        var dashboard = File.ReadAllText(Path.Combine(Root, "deploy", "k8s", "components", "monitoring", "imagemeta-dashboard.json"));
        foreach (var (what, text) in new[] { ("prometheusrule.yaml", rules), ("imagemeta-dashboard.json", dashboard) })
        {
            var ours = OurMetric().Matches(text).Select(m => m.Value).Where(n => !PipelineMetricNames.Labels.Contains(n)).Distinct().ToList();
            Assert.NotEmpty(ours);
            Assert.All(ours, name => Assert.True(PipelineMetricNames.All.Contains(name), $"{what} asks for {name}, which no service exports"));
        }
    }

    [Fact]
    public void The_deploy_guide_says_how_to_enable_monitoring_and_import_the_dashboard()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "deploy", "README.md"));
        Assert.Contains("../../components/monitoring", guide, StringComparison.Ordinal);
        Assert.Contains("imagemeta-dashboard.json", guide, StringComparison.Ordinal);
        Assert.Contains("Azure Managed Grafana", guide, StringComparison.Ordinal);
        Assert.Contains("podannotationnamespaceregex", guide, StringComparison.Ordinal);
        Assert.Contains("../../components/monitoring-azure", guide, StringComparison.Ordinal);
    }

    /// <summary>The rule groups of the PrometheusRule, as the plain rules file Prometheus and promtool read.</summary>
    private static string RuleGroupsYaml()
    {
        var rule = Load("deploy/k8s/components/monitoring/prometheusrule.yaml").Single();
        return new SerializerBuilder().Build().Serialize(At(rule, "spec"));
    }

    private static IEnumerable<string> AlertNames() =>
        Items(Documents(RuleGroupsYaml()).Single(), "groups").SelectMany(g => Items(g, "rules")).Select(r => Text(r, "alert")).OfType<string>();

    private static IEnumerable<(string Name, Dictionary<object, object?> Template)> PodTemplates(IEnumerable<Dictionary<object, object?>> objects) =>
        objects.Where(o => Text(o, "kind") is "Deployment" or "StatefulSet" or "DaemonSet")
            .Select(o => (Name(o), (Dictionary<object, object?>)At(o, "spec", "template")!));

    [GeneratedRegex(@"\bimagemeta_[a-z_]+")]
    private static partial Regex OurMetric();
}
