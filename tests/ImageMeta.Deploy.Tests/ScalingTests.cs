using System.Globalization;
using ImageMeta.Contracts;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Scaling and disruption in every overlay: ingest on the queue's depth (KEDA azure-queue), extractor and store on CPU
/// (HPA), a disruption budget and spread constraints for every app, two replicas of ingest and extractor by default.
/// </summary>
public sealed class ScalingTests
{
    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Ingest_scales_on_the_image_events_queue_with_a_trigger_authentication_from_the_storage_secret(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        var scaled = Assert.Single(objects!.OfKind("ScaledObject"));
        Assert.Equal(DaprTopology.AppIds.Ingest, Text(scaled, "spec", "scaleTargetRef", "name"));
        var min = Number(scaled, "spec", "minReplicaCount");
        var max = Number(scaled, "spec", "maxReplicaCount");
        Assert.True(min >= 2 && max > min, $"replicas {min}..{max}");
        var trigger = Assert.Single(Items(scaled, "spec", "triggers"));
        Assert.Equal("azure-queue", Text(trigger, "type"));
        // The queue the image-events component reads.
        var queue = Items(objects!.OfKind("Component").Single(c => Name(c) == DaprTopology.Components.ImageEvents), "spec", "metadata")
            .Single(m => Text(m, "name") == "queueName");
        Assert.Equal(Text(queue, "value"), Text(trigger, "metadata", "queueName"));
        Assert.True(int.Parse(Text(trigger, "metadata", "queueLength")!, CultureInfo.InvariantCulture) > 0);

        var authentication = objects!.OfKind("TriggerAuthentication").Single(a => Name(a) == Text(trigger, "authenticationRef", "name"));
        var reference = Assert.Single(Items(authentication, "spec", "secretTargetRef"));
        Assert.Equal("connection", Text(reference, "parameter"));
        Assert.Equal("imagemeta-storage", Text(reference, "name"));
        Assert.Equal("connection-string", Text(reference, "key"));
        // KEDA's own HPA is the only one for ingest.
        Assert.DoesNotContain(objects!.OfKind("HorizontalPodAutoscaler"), h => Text(h, "spec", "scaleTargetRef", "name") == DaprTopology.AppIds.Ingest);
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Extractor_and_store_scale_on_cpu(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var id in new[] { DaprTopology.AppIds.Extractor, DaprTopology.AppIds.Store })
        {
            var hpa = objects!.OfKind("HorizontalPodAutoscaler").Single(h => Text(h, "spec", "scaleTargetRef", "name") == id);
            Assert.Equal("autoscaling/v2", Text(hpa, "apiVersion"));
            Assert.Equal("Deployment", Text(hpa, "spec", "scaleTargetRef", "kind"));
            Assert.True(Number(hpa, "spec", "maxReplicas") > Number(hpa, "spec", "minReplicas"));
            var metric = Assert.Single(Items(hpa, "spec", "metrics"));
            Assert.Equal("cpu", Text(metric, "resource", "name"));
            Assert.Equal("Utilization", Text(metric, "resource", "target", "type"));
            // Utilization is a share of the request: without a CPU request the HPA cannot compute it.
            var container = Items(objects!.OfKind("Deployment").Single(d => Name(d) == id), "spec", "template", "spec", "containers").Single();
            Assert.NotNull(Text(container, "resources", "requests", "cpu"));
        }

        Assert.Equal(2, Number(objects!.OfKind("HorizontalPodAutoscaler").Single(h => Name(h) == DaprTopology.AppIds.Extractor), "spec", "minReplicas"));
    }

    [SkippableTheory]
    [MemberData(nameof(ConsistencyTests.Overlays), MemberType = typeof(ConsistencyTests))]
    public void Every_app_has_a_disruption_budget_spread_constraints_and_ingest_and_extractor_two_replicas(string overlay)
    {
        var objects = Render(overlay);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        foreach (var id in DaprTopology.AppIds.All)
        {
            var deployment = objects!.OfKind("Deployment").Single(d => Name(d) == id);
            var labels = At(deployment, "spec", "template", "metadata", "labels") as Dictionary<object, object?>;

            var budget = objects!.OfKind("PodDisruptionBudget").Single(p => Text(p, "spec", "selector", "matchLabels", "app.kubernetes.io/name") == id);
            Assert.Equal(id, Text(labels, "app.kubernetes.io/name"));
            // maxUnavailable keeps a one-replica app drainable; minAvailable equal to the replica count would block drains.
            Assert.Equal("1", Text(budget, "spec", "maxUnavailable"));

            var constraints = Items(deployment, "spec", "template", "spec", "topologySpreadConstraints").ToList();
            Assert.Contains(constraints, c => Text(c, "topologyKey") == "kubernetes.io/hostname");
            Assert.All(constraints, c =>
            {
                Assert.Equal(id, Text(c, "labelSelector", "matchLabels", "app.kubernetes.io/name"));
                // A one-node cluster (kind) must still schedule every replica.
                Assert.Equal("ScheduleAnyway", Text(c, "whenUnsatisfiable"));
            });
        }

        Assert.Equal(2, Number(objects!.OfKind("Deployment").Single(d => Name(d) == DaprTopology.AppIds.Ingest), "spec", "replicas"));
        Assert.Equal(2, Number(objects!.OfKind("Deployment").Single(d => Name(d) == DaprTopology.AppIds.Extractor), "spec", "replicas"));
    }

    private static int Number(object? node, params string[] path) => int.Parse(Text(node, path)!, CultureInfo.InvariantCulture);
}
