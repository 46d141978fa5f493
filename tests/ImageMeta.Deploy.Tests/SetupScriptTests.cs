using System.Diagnostics;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// scripts/setup.sh, the one place that installs what the suites need: on a machine where it may not install
/// (IMAGEMETA_SETUP=0 here; no root and no sudo behave the same), it names each missing piece with the suites that
/// will skip and the command that installs it, in the report scripts/test.sh prints, and still exits 0.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SetupScriptTests : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("imagemeta-setup-");

    [Fact]
    public async Task Without_the_tools_and_without_installing_it_names_each_missing_piece_and_exits_zero()
    {
        // A PATH with only what the script itself runs: no node, npm, kubectl, prometheus, jq or image tools.
        var bin = Directory.CreateDirectory(Path.Combine(_scratch.FullName, "bin")).FullName;
        foreach (var tool in new[] { "bash", "id", "sha256sum", "cut", "cat", "sed", "head", "dirname", "readlink", "printf" })
        {
            var found = Manifests.Run("bash", ["-c", $"command -v {tool}"], stdin: null).Output.Trim();
            if (found.StartsWith('/'))
            {
                File.CreateSymbolicLink(Path.Combine(bin, tool), found);
            }
        }

        var report = Path.Combine(_scratch.FullName, "missing.tsv");
        var start = new ProcessStartInfo(Path.Combine(bin, "bash"), [Path.Combine(Manifests.Root, "scripts", "setup.sh"), "--report", report])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = bin;
        start.Environment["IMAGEMETA_SETUP"] = "0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using (var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await process.WaitForExitAsync(bound.Token);
        }

        var (stdout, stderr) = (await output, await error);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stdout}{stderr}");
        var lines = File.ReadAllLines(report).Select(l => l.Split('\t')).ToList();
        Assert.All(lines, l => Assert.Equal(3, l.Length));
        foreach (var (piece, suites) in new[]
        {
            ("prometheus", "promtool rule tests"),
            ("kubectl", "render the manifests"),
            ("nodejs", "npm tools"),
            ("jq", "README's shell blocks"),
            ("libheif-examples", "HEIF"),
            ("exiv2", "exiv2"),
        })
        {
            var line = lines.SingleOrDefault(l => l[0] == piece);
            Assert.True(line is not null, $"{piece} is not named as missing:\n{stdout}");
            Assert.Contains(suites, line![1], StringComparison.Ordinal);
            Assert.Equal($"apt-get install -y {piece}", line[2]);
        }

        // Without npm the pinned npm tools cannot be installed: each folder is named, with what would install it.
        Assert.Contains(lines, l => l[0] == "tools/ci-validators's npm packages" && l[2].StartsWith("npm ci in tools/ci-validators", StringComparison.Ordinal));
        Assert.Contains("setup: missing jq (apt-get install -y jq)", stdout, StringComparison.Ordinal);
    }

    public void Dispose() => _scratch.Delete(recursive: true);
}
