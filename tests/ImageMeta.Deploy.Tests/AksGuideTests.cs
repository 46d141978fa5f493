using System.Text.RegularExpressions;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The AKS guide's commands (deploy/README.md) where a real cluster would trip on them and our machines cannot run
/// them: every app's image pinned, a Key Vault data-plane role before the certificate, the databases reachable from
/// the cluster only, the Dapr extension and the Helm charts pinned to the tested versions.
/// </summary>
public sealed partial class AksGuideTests
{
    private static string Guide => File.ReadAllText(Path.Combine(Root, "deploy", "README.md"));

    /// <summary>The Dapr runtime this project tests, pinned once in the main command (README, "Versions").</summary>
    private static string DaprVersion => RuntimeVersion().Match(File.ReadAllText(Path.Combine(Root, "scripts", "run-local.sh"))).Groups[1].Value;

    [Fact]
    public void The_guide_pins_the_image_of_every_app_the_base_names()
    {
        var apps = Items(Load(Path.Combine("deploy", "k8s", "base", "kustomization.yaml"))[0], "images")
            .Select(i => Text(i, "name")!)
            .Where(n => n.StartsWith("imagemeta/", StringComparison.Ordinal))
            .ToList();
        var edit = SetImage().Match(Guide);

        Assert.Equal(4, apps.Count);
        Assert.True(edit.Success, "the guide has no 'kustomize edit set image'");
        foreach (var app in apps)
        {
            Assert.Contains($"{app}=$ACR.azurecr.io/{app}:$VERSION", edit.Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_rbac_vault_grants_the_certificates_officer_role_before_the_certificate_is_created()
    {
        var vault = Guide.IndexOf("az keyvault create", StringComparison.Ordinal);
        var role = Guide.IndexOf("az role assignment create --role \"Key Vault Certificates Officer\"", StringComparison.Ordinal);
        var certificate = Guide.IndexOf("az keyvault certificate create", StringComparison.Ordinal);

        Assert.Contains("--enable-rbac-authorization true", Guide, StringComparison.Ordinal);
        Assert.True(vault >= 0 && role > vault && certificate > role, "the role assignment must come between the vault and the certificate");
    }

    [Fact]
    public void The_databases_admit_the_cluster_and_nothing_else()
    {
        // --public-access None without a VNet leaves the cluster no way in; 0.0.0.0 lets every Azure tenant's address in.
        Assert.DoesNotContain("--public-access None", Guide, StringComparison.Ordinal);
        Assert.DoesNotContain("--start-ip-address 0.0.0.0", Guide, StringComparison.Ordinal);
        Assert.Contains("effectiveOutboundIPs", Guide, StringComparison.Ordinal);
        Assert.Contains("--public-access $EGRESS", Guide, StringComparison.Ordinal);
        Assert.Contains("--start-ip-address $EGRESS --end-ip-address $EGRESS", Guide, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dapr_extension_is_pinned_to_the_tested_version_without_minor_auto_upgrade()
    {
        var extension = ExtensionCreate().Match(Guide);

        Assert.True(extension.Success, "the guide installs no Microsoft.Dapr extension");
        Assert.Contains("--auto-upgrade-minor-version false", extension.Value, StringComparison.Ordinal);
        Assert.Contains($"--version {DaprVersion}", extension.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_helm_chart_is_pinned_in_the_guide_and_the_kind_workflow_and_dapr_to_the_tested_version()
    {
        foreach (var (name, text) in new[] { ("deploy/README.md", Guide), ("kind.yml", File.ReadAllText(Path.Combine(Root, ".github", "workflows", "kind.yml"))) })
        {
            var installs = HelmInstall().Matches(text).Select(m => m.Value).ToList();
            Assert.NotEmpty(installs);
            Assert.All(installs, install => Assert.Matches("--version \\d+\\.\\d+\\.\\d+", install));
            Assert.Contains(installs, install => install.Contains($"dapr/dapr --version {DaprVersion}", StringComparison.Ordinal));
            _ = name;
        }
    }

    [GeneratedRegex(@"kustomize edit set image[^)]*\)", RegexOptions.Singleline)]
    private static partial Regex SetImage();

    [GeneratedRegex(@"az k8s-extension create(?:[^\n]*\\\n)*[^\n]*")]
    private static partial Regex ExtensionCreate();

    [GeneratedRegex(@"helm upgrade --install [^\n]*")]
    private static partial Regex HelmInstall();

    [GeneratedRegex("^runtime_version=(.+)$", RegexOptions.Multiline)]
    private static partial Regex RuntimeVersion();
}
