using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Ingest;
using ImageMeta.Testing.Dapr.Pipeline;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The ingest Deployment's memory is sized from its upload settings by the documented formula
/// (<see cref="IngestMemoryBound"/>, measured by IngestMemoryTests): the app's limit, the sidecar's limit and the
/// sidecar's largest request all follow Ingest:MaxUploadBytes and Ingest:UploadMemoryBudgetBytes as deployed.
/// </summary>
public sealed class IngestMemoryLimitTests
{
    private static readonly Dictionary<object, object?> Deployment =
        Load("deploy/k8s/base/ingest.yaml").OfKind("Deployment").Single(d => Name(d) == DaprTopology.AppIds.Ingest);

    private static object? Container => Items(Deployment, "spec", "template", "spec", "containers").Single(c => Text(c, "name") == DaprTopology.AppIds.Ingest);

    private static object? Annotations => At(Deployment, "spec", "template", "metadata", "annotations");

    /// <summary>A setting from the container's environment, else the option's default.</summary>
    private static long Setting(string name, long fallback) =>
        Items(Container, "env").SingleOrDefault(e => Text(e, "name") == $"Ingest__{name}") is { } variable
            ? long.Parse(Text(variable, "value")!, CultureInfo.InvariantCulture)
            : fallback;

    private static long MaxUpload => Setting(nameof(IngestOptions.MaxUploadBytes), IngestOptions.DefaultMaxUploadBytes);

    private static long Budget => Setting(nameof(IngestOptions.UploadMemoryBudgetBytes), IngestOptions.DefaultUploadMemoryBudgetBytes);

    [Fact]
    public void The_ingest_container_s_memory_limit_holds_the_formula_for_the_deployed_upload_budget()
    {
        var limit = Quantity(Text(Container, "resources", "limits", "memory"));

        Assert.True(Budget >= MaxUpload, "The budget must take at least one maximum-size upload.");
        Assert.True(limit >= IngestMemoryBound.Ingest(Budget), $"ingest's memory limit {limit} is under {IngestMemoryBound.Ingest(Budget)} for a budget of {Budget}.");
    }

    [Fact]
    public void The_sidecar_s_memory_limit_holds_the_formula_and_its_body_limit_takes_a_maximum_upload_as_base64()
    {
        var sidecarLimit = Quantity(Text(Annotations, "dapr.io/sidecar-memory-limit"));
        var maxBody = Quantity(Text(Annotations, "dapr.io/max-body-size"));
        // base64 of the largest upload, plus the request's name and metadata.
        var create = ((MaxUpload + 2) / 3 * 4) + (64 * 1024);

        Assert.True(sidecarLimit >= IngestMemoryBound.Sidecar(Budget), $"The sidecar's memory limit {sidecarLimit} is under {IngestMemoryBound.Sidecar(Budget)} for a budget of {Budget}.");
        Assert.True(maxBody >= create, $"max-body-size {maxBody} cannot carry a {MaxUpload}-byte upload ({create} bytes as base64).");
        Assert.True(maxBody < sidecarLimit, "A request the sidecar accepts must fit in its memory.");
        Assert.Null(Text(Annotations, "dapr.io/http-max-request-size"));
    }

    [Theory]
    [InlineData("1Gi", 1L << 30)]
    [InlineData("896Mi", 896L << 20)]
    [InlineData("64Mi", 64L << 20)]
    [InlineData("800M", 800_000_000L)]
    [InlineData("512Ki", 512L << 10)]
    [InlineData("1000", 1000L)]
    public void Quantities_are_read_as_Kubernetes_writes_them(string text, long bytes) => Assert.Equal(bytes, Quantity(text));

    /// <summary>A Kubernetes memory quantity (binary Ki/Mi/Gi/Ti or decimal k/M/G/T suffix, or plain bytes) in bytes.</summary>
    private static long Quantity(string? text)
    {
        Assert.False(string.IsNullOrEmpty(text), "A memory quantity is missing.");
        (string Suffix, long Factor)[] suffixes = [("Ki", 1L << 10), ("Mi", 1L << 20), ("Gi", 1L << 30), ("Ti", 1L << 40), ("k", 1000L), ("M", 1_000_000L), ("G", 1_000_000_000L), ("T", 1_000_000_000_000L)];
        foreach (var (suffix, factor) in suffixes)
        {
            if (text!.EndsWith(suffix, StringComparison.Ordinal))
            {
                return long.Parse(text[..^suffix.Length], CultureInfo.InvariantCulture) * factor;
            }
        }

        return long.Parse(text!, CultureInfo.InvariantCulture);
    }
}
