using System.Globalization;
using ImageMeta.Contracts;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The README's reprocessing example is the call an operator copies after an upgrade, so it must name the extractor
/// version the code now has: each bump of <see cref="ExtractorVersions.Current"/> fails here until the example follows.
/// </summary>
public sealed class DocumentedVersionTests
{
    [Fact]
    public void The_readme_reprocessing_example_names_the_current_extractor_version()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var current = ExtractorVersions.Current.ToString(CultureInfo.InvariantCulture);

        Assert.Contains($"\"extractorVersionBelow\":{current}", readme, StringComparison.Ordinal);
        Assert.Contains($"(ExtractorVersions.Current, {current})", readme, StringComparison.Ordinal);
    }
}
