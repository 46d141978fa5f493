using System.Text.RegularExpressions;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// deploy/README.md "Try it on kind" against .github/workflows/kind.yml: a guide nobody runs drifts, so every command
/// the guide shows must be one CI runs. What counts as a command of the guide: every line of the ```bash blocks
/// between the "## Try it on kind" heading and the next heading of level 1 or 2 (or the end of the file), with lines
/// ending in a backslash joined to the next, blank lines and lines starting with '#' left out, and runs of
/// whitespace collapsed to one space. The same is done to every step's <c>run:</c> script of kind.yml; each guide
/// command must equal one of the workflow's lines.
/// </summary>
public sealed partial class KindGuideTests
{
    private const string Heading = "## Try it on kind";

    [Fact]
    public void Every_command_the_kind_guide_shows_is_run_by_a_step_of_the_kind_workflow()
    {
        var guide = GuideCommands(File.ReadAllText(Path.Combine(Root, "deploy", "README.md")));
        var workflow = WorkflowCommands(File.ReadAllText(Path.Combine(Root, ".github", "workflows", "kind.yml")));

        Assert.True(guide.Count >= 15, $"only {guide.Count} commands found in '{Heading}'");
        foreach (var expected in new[] { "kind create cluster", "helm upgrade --install dapr", "helm upgrade --install keda", "/t:PublishContainer", "kind load docker-image", "kubectl apply -k deploy/k8s/overlays/local-cluster", "port-forward", "curl" })
        {
            Assert.Contains(guide, c => c.Contains(expected, StringComparison.Ordinal));
        }

        var missing = guide.Where(c => !workflow.Contains(c)).ToList();
        Assert.True(missing.Count == 0, $"commands of '{Heading}' that no step of kind.yml runs:{Environment.NewLine}{string.Join(Environment.NewLine, missing)}");
    }

    [Fact]
    public void The_kind_workflow_uses_kind_action_and_dumps_the_pods_logs_on_failure()
    {
        var workflow = Documents(File.ReadAllText(Path.Combine(Root, ".github", "workflows", "kind.yml"))).Single();
        var steps = Steps(workflow).ToList();

        Assert.Contains(steps, s => Text(s, "uses")?.StartsWith("helm/kind-action@", StringComparison.Ordinal) == true);
        var dump = Assert.Single(steps, s => Text(s, "if") == "failure()");
        Assert.Contains("logs", Text(dump, "run"), StringComparison.Ordinal);
        Assert.Contains("--all-containers", Text(dump, "run"), StringComparison.Ordinal);
    }

    [Fact]
    public void Commands_are_taken_only_from_bash_blocks_of_the_section_with_continuations_joined_and_comments_dropped()
    {
        var readme = """
            ## Before
            ```bash
            not-this
            ```
            ## Try it on kind
            text `not-this-either`
            ```bash
            # a comment
            first   --flag \
              --more
            second
            ```
            ```yaml
            not: this
            ```
            ### Sub-section still counts
            ```bash
            third
            ```
            ## After
            ```bash
            nor-this
            ```
            """;

        Assert.Equal(["first --flag --more", "second", "third"], GuideCommands(readme));
    }

    /// <summary>The commands of the guide section, in order.</summary>
    public static List<string> GuideCommands(string readme)
    {
        var lines = readme.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == Heading);
        Assert.True(start >= 0, $"no '{Heading}' heading");
        // The section ends at the next level-1 or level-2 heading outside a fenced block ('#' starts comments in bash).
        var end = lines.Length;
        var fenced = false;
        for (var i = start + 1; i < lines.Length; i++)
        {
            fenced ^= lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal);
            if (!fenced && HeadingPattern().IsMatch(lines[i]))
            {
                end = i;
                break;
            }
        }

        var section = lines[(start + 1)..end];

        var commands = new List<string>();
        var inBash = false;
        var block = new List<string>();
        foreach (var line in section)
        {
            var trimmed = line.Trim();
            if (!inBash && trimmed == "```bash")
            {
                inBash = true;
                block.Clear();
            }
            else if (inBash && trimmed == "```")
            {
                inBash = false;
                commands.AddRange(Commands(string.Join('\n', block)));
            }
            else if (inBash)
            {
                block.Add(line);
            }
        }

        return commands;
    }

    /// <summary>Every command line of every run script of the workflow.</summary>
    private static HashSet<string> WorkflowCommands(string yaml) =>
        [.. Steps(Documents(yaml).Single()).Select(s => Text(s, "run")).OfType<string>().SelectMany(Commands)];

    private static IEnumerable<Dictionary<object, object?>> Steps(Dictionary<object, object?> workflow) =>
        (At(workflow, "jobs") as Dictionary<object, object?> ?? []).Values.SelectMany(job => Items(job, "steps")).OfType<Dictionary<object, object?>>();

    /// <summary>A script's commands: continuations joined, blank and comment lines dropped, whitespace collapsed.</summary>
    private static IEnumerable<string> Commands(string script) =>
        ContinuationPattern().Replace(script.Replace("\r\n", "\n", StringComparison.Ordinal), " ")
            .Split('\n')
            .Select(l => WhitespacePattern().Replace(l, " ").Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'));

    [GeneratedRegex(@"^#{1,2} ")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"\\\n")]
    private static partial Regex ContinuationPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
