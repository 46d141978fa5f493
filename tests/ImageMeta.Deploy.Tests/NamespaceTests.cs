using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Every namespaced object kustomize renders lands in the app namespace. An object without a namespace is not an
/// error to kustomize or kubectl: <c>kubectl apply</c> puts it in the context's namespace (usually "default"), where
/// the sidecars never see it. A base's <c>namespace:</c> does not reach resources an overlay adds, so this is
/// checked on every kustomization's render, not on the files.
/// </summary>
public sealed class NamespaceTests
{
    /// <summary>
    /// Kinds Kubernetes keeps outside namespaces (<c>kubectl api-resources --namespaced=false</c> on 1.32), limited to
    /// ones a deployment could carry. Every other kind, Dapr's included (their CRDs say <c>scope: Namespaced</c>), is
    /// namespaced: an unknown kind is held to the namespace rule rather than let through.
    /// </summary>
    public static readonly HashSet<string> ClusterScopedKinds =
    [
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
        "CSIDriver", "CSINode", "VolumeAttachment", "PriorityClass", "RuntimeClass", "IngressClass", "APIService",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
    ];

    /// <summary>The namespace the base sets, which the deploy guide creates its secrets in.</summary>
    private static string AppNamespace => Text(Load("deploy/k8s/base/kustomization.yaml")[0], "namespace")!;

    [Fact]
    public void The_app_namespace_is_the_one_the_guide_creates_secrets_in()
    {
        Assert.Equal("imagemeta", AppNamespace);
        Assert.Contains("kubectl -n imagemeta create secret", File.ReadAllText(Path.Combine(Root, "deploy", "README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_base_and_every_overlay_are_checked()
    {
        Assert.Equal(["base", "overlays/local-cluster", "overlays/postgres", "overlays/sqlserver"], Manifests.Kustomizations());
    }

    [SkippableTheory]
    [MemberData(nameof(KustomizationFolders), MemberType = typeof(Manifests))]
    public void Every_namespaced_object_is_rendered_in_the_app_namespace(string kustomization)
    {
        var objects = Kustomize(kustomization);
        Skip.If(objects is null, "kubectl is not installed (CI installs it).");

        Assert.Single(objects!.OfKind("Namespace"), n => Name(n) == AppNamespace);
        var misplaced = Misplaced(objects!, AppNamespace).ToList();
        Assert.True(misplaced.Count == 0, $"{kustomization} renders outside '{AppNamespace}': {string.Join("; ", misplaced)}");
    }

    [Fact]
    public void An_object_without_a_namespace_or_in_another_is_reported_and_cluster_scoped_kinds_are_not()
    {
        var objects = Documents("""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: imagemeta
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: reader
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: workflowstate
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: store
              namespace: default
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ingest
              namespace: imagemeta
            """);

        Assert.Equal(["Component 'workflowstate' has no namespace", "Service 'store' is in 'default'"], Misplaced(objects, "imagemeta"));
    }

    private static IEnumerable<string> Misplaced(IEnumerable<Dictionary<object, object?>> objects, string appNamespace) =>
        objects.Where(o => !ClusterScopedKinds.Contains(Text(o, "kind") ?? string.Empty))
            .Select(o => (Object: o, Namespace: Text(o, "metadata", "namespace")))
            .Where(o => o.Namespace != appNamespace)
            .Select(o => o.Namespace is null ? $"{Text(o.Object, "kind")} '{Name(o.Object)}' has no namespace" : $"{Text(o.Object, "kind")} '{Name(o.Object)}' is in '{o.Namespace}'");
}
