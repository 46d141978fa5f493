namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The GitHub workflows cannot run on this project's machines, so every file in .github/workflows is checked here
/// with the pinned @action-validator/cli (tools/ci-validators, installed by .ci/run), and the two this room owns are
/// held to what they must do: ci.yml runs .ci/run; real-dapr.yml sets up Dapr and runs the real-Dapr tests, the
/// README's round trip and the azurite profile.
/// </summary>
public sealed class WorkflowTests
{
    private static readonly string Root = Manifests.Root;
    private static readonly string Workflows = Path.Combine(Root, ".github", "workflows");

    [SkippableFact]
    public void Every_workflow_file_passes_action_validator()
    {
        var validator = Validator();
        var files = Directory.EnumerateFiles(Workflows).Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal)).Order().ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "ci.yml");
        Assert.Contains(files, f => Path.GetFileName(f) == "real-dapr.yml");

        Assert.All(files, file =>
        {
            var (exitCode, output, error) = Manifests.Run(validator, [file], stdin: null);
            Assert.True(exitCode == 0, $"{Path.GetRelativePath(Root, file)}: action-validator exited {exitCode}\n{output}{error}");
        });
    }

    [SkippableFact]
    public void A_broken_workflow_is_rejected_by_the_validator()
    {
        var validator = Validator();
        var folder = Directory.CreateTempSubdirectory("imagemeta-workflow-").FullName;
        try
        {
            // ci.yml with one misspelt key ("runs-on" as "run-on"): the kind of slip only a runner would otherwise find.
            var broken = Path.Combine(folder, "ci.yml");
            var text = File.ReadAllText(Path.Combine(Workflows, "ci.yml"));
            Assert.Contains("runs-on:", text, StringComparison.Ordinal);
            File.WriteAllText(broken, text.Replace("runs-on:", "run-on:", StringComparison.Ordinal));

            var (exitCode, output, error) = Manifests.Run(validator, [broken], stdin: null);

            Assert.NotEqual(0, exitCode);
            Assert.Contains("run-on", output + error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Ci_runs_the_ci_script_on_every_push_and_pull_request_on_ubuntu()
    {
        var workflow = Manifests.Load(".github/workflows/ci.yml").Single();
        var on = Assert.IsType<Dictionary<object, object?>>(workflow["on"]);
        Assert.True(on.ContainsKey("push") && on["push"] is null, "ci.yml runs on every push (no branch filter)");
        Assert.True(on.ContainsKey("pull_request"), "ci.yml runs on pull requests");

        var job = Assert.Single(Jobs(workflow));
        Assert.Equal("ubuntu-latest", Manifests.Text(job, "runs-on"));
        Assert.Contains(Steps(job), step => Manifests.Text(step, "run") == "bash .ci/run");
    }

    [Fact]
    public void Real_dapr_sets_up_dapr_and_runs_the_real_dapr_tests_the_readme_round_trip_and_the_azurite_profile()
    {
        var workflow = Manifests.Load(".github/workflows/real-dapr.yml").Single();
        var steps = Jobs(workflow).SelectMany(Steps).ToList();
        var runs = string.Join('\n', steps.Select(s => Manifests.Text(s, "run")).OfType<string>());

        // The CLI and `dapr init` come from the README's main command itself, so the job tests that set-up.
        Assert.DoesNotContain(steps, s => Manifests.Text(s, "uses")?.StartsWith("dapr/setup-dapr@", StringComparison.Ordinal) == true);
        var script = File.ReadAllText(Path.Combine(Root, "scripts", "run-local.sh"));
        Assert.Contains("\"$dapr\" init --runtime-version", script, StringComparison.Ordinal);
        Assert.True(runs.IndexOf("scripts/run-local.sh >", StringComparison.Ordinal) < runs.IndexOf("--filter RealDaprTests", StringComparison.Ordinal),
            "the script installs the CLI before the real-Dapr tests use it");
        // Each dapr run on the fixed ports starts only after the one before has let them go.
        var stop = runs.IndexOf("scripts/run-local.sh stop", StringComparison.Ordinal);
        Assert.True(stop >= 0 && stop < runs.IndexOf("--filter RealDaprTests", StringComparison.Ordinal), "real-dapr.yml stops the run-local run (waiting for its ports) before the real-Dapr tests");
        Assert.Contains(steps, s => Manifests.Text(s, "env", "IMAGEMETA_E2E_REAL_DAPR") == "1" &&
            Manifests.Text(s, "run")?.Contains("tests/ImageMeta.EndToEnd.Tests", StringComparison.Ordinal) == true &&
            Manifests.Text(s, "run")?.Contains("--filter RealDaprTests", StringComparison.Ordinal) == true);

        // The README's commands, as the README shows them.
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        foreach (var command in new[] { "scripts/run-local.sh", "dapr run -f dapr.azurite.yaml", "tools/azurite/start.sh .data/azurite", "curl -s http://localhost:5030/images/stats" })
        {
            Assert.Contains(command, readme, StringComparison.Ordinal);
        }

        Assert.Contains("scripts/run-local.sh", runs, StringComparison.Ordinal);
        Assert.Contains("http://localhost:5010/images?name=cat.png", runs, StringComparison.Ordinal);
        Assert.Contains("http://localhost:5030/images/stats", runs, StringComparison.Ordinal);
        Assert.Contains("tools/azurite/start.sh .data/azurite", runs, StringComparison.Ordinal);
        Assert.Contains("dapr run -f dapr.azurite.yaml", runs, StringComparison.Ordinal);
        Assert.Contains("az storage message put -q image-events", runs, StringComparison.Ordinal);
    }

    /// <summary>
    /// The first version of each action whose action.yml runs on Node 24 (<c>runs.using: node24</c>), read in the
    /// actions' repositories: actions/checkout v5, actions/setup-dotnet v5, actions/setup-node v5; helm/kind-action v1
    /// moved to node24 in place (v1.13.0). GitHub retires the Node 20 runtime of actions; dapr/setup-dapr is still on
    /// node20 (v2), which is why real-dapr.yml installs the CLI through scripts/run-local.sh instead.
    /// </summary>
    private static readonly Dictionary<string, Version> Node24Majors = new(StringComparer.Ordinal)
    {
        ["actions/checkout"] = new(5, 0),
        ["actions/setup-dotnet"] = new(5, 0),
        ["actions/setup-node"] = new(5, 0),
        ["helm/kind-action"] = new(1, 13),
    };

    [Fact]
    public void Every_action_is_on_a_major_that_runs_on_node_24()
    {
        var uses = Directory.EnumerateFiles(Workflows, "*.yml")
            .SelectMany(file => Jobs(Manifests.Load(Path.GetRelativePath(Root, file)).Single()).SelectMany(Steps)
                .Select(step => (File: Path.GetFileName(file), Uses: Manifests.Text(step, "uses"))))
            .Where(u => u.Uses is not null)
            .ToList();

        Assert.NotEmpty(uses);
        foreach (var (file, action) in uses)
        {
            var at = action!.IndexOf('@', StringComparison.Ordinal);
            var (name, version) = (action[..at], action[(at + 2)..]);
            Assert.True(Node24Majors.TryGetValue(name, out var first), $"{file}: {name} is not known to run on Node 24; check its action.yml and add it here");
            var pinned = Version.Parse(version.Contains('.', StringComparison.Ordinal) ? version : version + ".0");
            Assert.True(pinned >= first, $"{file}: {action} runs on Node 20; use v{first} or later");
        }
    }

    private static IEnumerable<Dictionary<object, object?>> Jobs(Dictionary<object, object?> workflow) =>
        Assert.IsType<Dictionary<object, object?>>(workflow["jobs"]).Values.OfType<Dictionary<object, object?>>();

    private static IEnumerable<Dictionary<object, object?>> Steps(Dictionary<object, object?> job) =>
        Assert.IsType<List<object>>(job["steps"]).OfType<Dictionary<object, object?>>();

    /// <summary>The pinned validator; missing, the tests skip (and fail under CI=true, where .ci/run installs it).</summary>
    private static string Validator()
    {
        var validator = Path.Combine(Root, "tools", "ci-validators", "node_modules", ".bin", "action-validator");
        if (!File.Exists(validator) && Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"{validator} is missing: .ci/run installs it (npm ci in tools/ci-validators)");
        }

        Skip.IfNot(File.Exists(validator), "action-validator is not installed: run 'npm ci' in tools/ci-validators");
        return validator;
    }
}
