using System.Text.RegularExpressions;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The design and the pages the README and CONTRIBUTING send people to are in the repository: every Markdown page a
/// top-level document names (in backticks or as a link) exists, from the repository root or from the naming file's
/// folder, and nothing points outside the repository to the design.
/// </summary>
public sealed partial class DocumentLinkTests
{
    public static TheoryData<string> Pages =>
        ["README.md", "CONTRIBUTING.md", "docs/architecture.md", "deploy/README.md", "tests/ImageMeta.Testing/README.md", "tests/ImageMeta.Testing/Workflow/PROTOCOL.md"];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_markdown_page_it_names_exists_in_the_repository(string page)
    {
        var path = Path.Combine(Root, page);
        Assert.True(File.Exists(path), $"{page} does not exist");
        var text = File.ReadAllText(path);

        var named = NamedPage().Matches(text).Select(m => m.Groups["page"].Value).Where(p => !p.Contains('*', StringComparison.Ordinal)).Distinct().ToList();
        foreach (var target in named)
        {
            var found = File.Exists(Path.Combine(Root, target)) || File.Exists(Path.Combine(Path.GetDirectoryName(path)!, target));
            Assert.True(found, $"{page} names {target}, which is not in the repository");
        }

        Assert.DoesNotContain("shared/DESIGN.md", text, StringComparison.Ordinal);
        Assert.DoesNotContain("durabletask-protocol.md", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readme_and_contributing_link_the_design_and_contributing_the_protocol_facts()
    {
        Assert.Contains("`docs/architecture.md`", File.ReadAllText(Path.Combine(Root, "README.md")), StringComparison.Ordinal);
        var contributing = File.ReadAllText(Path.Combine(Root, "CONTRIBUTING.md"));
        Assert.Contains("`docs/architecture.md`", contributing, StringComparison.Ordinal);
        Assert.Contains("`tests/ImageMeta.Testing/Workflow/PROTOCOL.md`", contributing, StringComparison.Ordinal);
    }

    /// <summary>A relative .md path in backticks or in a Markdown link's target.</summary>
    [GeneratedRegex(@"(?:`|\]\()(?<page>[A-Za-z0-9_.*/-]+\.md)(?:`|\))")]
    private static partial Regex NamedPage();
}
