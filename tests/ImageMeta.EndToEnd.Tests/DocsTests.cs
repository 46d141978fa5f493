using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using SkiaSharp;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>
/// Docs that run: every shell block of README.md, deploy/README.md and services/*/README.md that talks to a running
/// service (curl against <c>localhost:&lt;port&gt;</c>) runs here as written, against the three services on the local
/// profile's settings and the sidecar double. The blocks are read from the Markdown at test time (no copies); the
/// only change is <c>localhost:&lt;app port&gt;</c> to the address the test started that app on.
/// The conventions a block follows (PLAN.md, "Docs"): real bash, only curl, jq and coreutils, files the harness
/// provides (<c>cat.jpg</c>, a 640×480 camera-like JPEG) in the folder it runs in. The harness runs it under
/// <c>set -euo pipefail</c>, and a curl whose answer is not 2xx fails the block unless the block says otherwise with
/// its own <c>-f</c>/<c>--fail</c> (then it decides, as in a polling loop). Blocks that need a cluster
/// (<c>kubectl</c>, <c>az</c>) run in GitHub's kind workflow instead (KindGuideTests keeps them verbatim there).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class DocsTests(DocsTests.LocalProfilePipeline pipeline) : IClassFixture<DocsTests.LocalProfilePipeline>
{
    /// <summary>The Markdown files whose blocks are run, relative to the repository root.</summary>
    public static IEnumerable<string> Documents() =>
        new[] { "README.md", Path.Combine("deploy", "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryLayout.Root, "services"), "README.md", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(RepositoryLayout.Root, f)).Order(StringComparer.Ordinal));

    /// <summary>Each runnable block as (file, its number among that file's shell blocks, its first command line).</summary>
    public static TheoryData<string, int, string> Blocks()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var document in Documents())
        {
            foreach (var (number, block) in ShellBlocks(document))
            {
                if (TalksToLocalhost(block) && !NeedsCluster(block))
                {
                    data.Add(document, number, block.Split('\n').First(l => l.Length > 0 && !l.StartsWith('#')));
                }
            }
        }

        return data;
    }

    [Fact]
    public void The_readme_has_runnable_blocks_and_each_one_names_only_ports_of_the_apps()
    {
        var blocks = Blocks().Select(row => ((string)row[0], (int)row[1])).ToList();

        Assert.Contains(blocks, b => b.Item1 == "README.md");
        foreach (var (document, number) in blocks)
        {
            var block = ShellBlocks(document).Single(b => b.Number == number).Text;
            Assert.All(LocalhostPort().Matches(block).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)),
                port => Assert.True(AppOfPort.ContainsKey(port), $"{document} block {number}: localhost:{port} is no app's port"));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Blocks))]
    public async Task The_block_runs_as_written(string document, int number, string firstLine)
    {
        Skip.If(pipeline.SkipReason is not null, pipeline.SkipReason);
        var block = ShellBlocks(document).Single(b => b.Number == number).Text;
        var script = LocalhostPort().Replace(block, m =>
        {
            var port = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return $"127.0.0.1:{pipeline.PortOf(AppOfPort[port]).ToString(CultureInfo.InvariantCulture)}";
        });
        var folder = Directory.CreateTempSubdirectory("imagemeta-docs-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(folder.FullName, "cat.jpg"), CatJpeg);
            var (exitCode, output) = await RunBashAsync(Prelude + script, folder.FullName, TimeSpan.FromMinutes(3));

            Assert.True(exitCode == 0, $"{document}, shell block {number} ({firstLine}) exited {exitCode}:\n{output}\n--- services:\n{pipeline.RecentOutput}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Strict mode, and a curl that fails on an error answer (with its body, for the message) unless the block's own
    /// curl already chose <c>-f</c>, <c>--fail</c> or <c>--fail-with-body</c> (curl refuses two of them at once).
    /// </summary>
    private const string Prelude = """
        set -euo pipefail
        curl() {
          local a
          for a in "$@"; do
            case "$a" in
              --fail|--fail-with-body) command curl --max-time 60 --show-error "$@"; return ;;
              --*) ;;
              -*f*) command curl --max-time 60 --show-error "$@"; return ;;
            esac
          done
          command curl --max-time 60 --show-error --fail-with-body "$@"
        }

        """;

    /// <summary>The app ports the docs use (README: web 5000, ingest 5010, extractor 5020, store 5030).</summary>
    private static readonly Dictionary<int, string> AppOfPort = new()
    {
        [DaprTopology.AppPorts.Web] = DaprTopology.AppIds.Web,
        [DaprTopology.AppPorts.Ingest] = DaprTopology.AppIds.Ingest,
        [DaprTopology.AppPorts.Extractor] = DaprTopology.AppIds.Extractor,
        [DaprTopology.AppPorts.Store] = DaprTopology.AppIds.Store,
    };

    /// <summary>cat.jpg: a 640×480 JPEG with a camera's EXIF block, as a photo from a phone would have.</summary>
    private static readonly byte[] CatJpeg = TestImages.Jpeg(640, 480, new SKColor(0xB0, 0x80, 0x50), (1, "Canon", "Canon EOS 5D"));

    /// <summary>The fenced bash/sh/shell blocks of a Markdown file, numbered from 1 in the order they appear.</summary>
    private static List<(int Number, string Text)> ShellBlocks(string document) =>
        [.. FencedShell().Matches(File.ReadAllText(Path.Combine(RepositoryLayout.Root, document)).ReplaceLineEndings("\n"))
            .Select((m, i) => (i + 1, m.Groups["body"].Value))];

    private static bool TalksToLocalhost(string block) => block.Contains("curl", StringComparison.Ordinal) && LocalhostPort().IsMatch(block);

    private static bool NeedsCluster(string block) => ClusterCommand().IsMatch(block);

    private static async Task<(int ExitCode, string Output)> RunBashAsync(string script, string folder, TimeSpan bound)
    {
        var start = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"did not finish within {bound.TotalSeconds} s\n{await output}{await error}");
        }

        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"^```(?:bash|sh|shell)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedShell();

    [GeneratedRegex(@"localhost:(\d+)")]
    private static partial Regex LocalhostPort();

    [GeneratedRegex(@"(^|[\s;&|(])(kubectl|az|kind|helm)\s", RegexOptions.Multiline)]
    private static partial Regex ClusterCommand();

    /// <summary>The three services with the local profile's own settings (dapr.yaml's env), on the sidecar double.</summary>
    public sealed class LocalProfilePipeline : IAsyncLifetime
    {
        private SidecarDoublePipeline? _pipeline;

        public string? SkipReason { get; private set; }

        public string RecentOutput => _pipeline?.RecentOutput ?? string.Empty;

        public int PortOf(string app) => app switch
        {
            DaprTopology.AppIds.Ingest => _pipeline!.Ingest.Port,
            DaprTopology.AppIds.Extractor => _pipeline!.Extractor.Port,
            DaprTopology.AppIds.Store => _pipeline!.Store.Port,
            _ => _pipeline!.Web?.Port ?? throw new InvalidOperationException($"a docs block calls {app}, which this harness does not start"),
        };

        public async Task InitializeAsync()
        {
            SkipReason = PipelineFixture.MissingServices();
            if (SkipReason is not null)
            {
                return;
            }

            _pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
            {
                Configuration = PipelineFixture.Configuration,
                WorkflowEngine = TestEnvironment.CreateWorkflowEngine,
                Database = MetadataDatabase.Sqlite,
                Environment = LocalProfile.AppEnvironment(),
                Tracing = false,
            });
        }

        public async Task DisposeAsync()
        {
            if (_pipeline is not null)
            {
                await _pipeline.DisposeAsync();
            }
        }
    }
}
