using System.Diagnostics;
using ImageMeta.Testing.Dapr.Pipeline;
using static ImageMeta.Deploy.Tests.Manifests;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The multi-app run files against how the Dapr CLI treats them (dapr/cli pkg/runfileconfig/run_file_config_parser.go,
/// validateRunConfig and resolveResourcesFilePath/resolveConfigFilePath; cmd/run.go startDaprdAndAppProcesses;
/// pkg/runfileconfig/run_file_config.go GetLogsDir), the same from CLI 1.15 to 1.18:
/// <list type="bullet">
/// <item><c>common.resourcesPaths</c>, <c>common.configFilePath</c> and each <c>appDirPath</c> resolve from the run file's folder;</item>
/// <item>an app's own <c>resourcesPaths</c> and <c>configFilePath</c> resolve from its <c>appDirPath</c>;</item>
/// <item>the app and its daprd run with <c>appDirPath</c> as working directory, so paths read at run time resolve from there;</item>
/// <item>each app's logs go to <c>&lt;appDirPath&gt;/.dapr/logs</c>.</item>
/// </list>
/// </summary>
public sealed class RunFileTests
{
    public static TheoryData<string> RunFiles => [.. RunFileNames()];

    [Theory]
    [MemberData(nameof(RunFiles))]
    public void The_common_paths_exist_from_the_run_files_folder_and_app_paths_from_each_app_folder(string runFile)
    {
        var template = Load(runFile)[0];
        var common = At(template, "common");
        foreach (var path in Items(common, "resourcesPaths").Select(p => p!.ToString()!).Append(Text(common, "configFilePath")!))
        {
            Assert.True(Path.Exists(Path.Combine(Root, path)), $"{runFile}: common path '{path}' does not exist from the run file's folder");
        }

        foreach (var app in Items(template, "apps"))
        {
            var appDir = Path.Combine(Root, Text(app, "appDirPath")!);
            foreach (var path in Items(app, "resourcesPaths").Select(p => p!.ToString()!).Concat(Text(app, "configFilePath") is { } c ? [c] : []))
            {
                Assert.True(Path.Exists(Path.Combine(appDir, path)), $"{runFile}: '{path}' of {Text(app, "appID")} does not exist from its appDirPath");
            }
        }
    }

    [Theory]
    [MemberData(nameof(RunFiles))]
    public void The_header_says_where_the_cli_resolves_relative_paths(string runFile)
    {
        var header = string.Join(' ', File.ReadLines(Path.Combine(Root, runFile)).TakeWhile(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()));

        Assert.Contains("resourcesPaths and configFilePath", header, StringComparison.Ordinal);
        Assert.Contains("resolve from this file's folder", header, StringComparison.Ordinal);
        Assert.Contains("app's own resourcesPaths and configFilePath resolve from its appDirPath", header, StringComparison.Ordinal);
        // The claim the headers made before: that every relative path in the file resolves from appDirPath.
        Assert.DoesNotContain("every relative path below", header, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_logs_dapr_run_writes_under_each_app_folder_are_ignored_by_git()
    {
        var git = ExecutablesOnPath.Find("git");
        Skip.If(git is null || !Path.Exists(Path.Combine(Root, ".git")), "not a git checkout");

        var logs = RunFileNames().SelectMany(r => Items(Load(r)[0], "apps").Select(a => Text(a, "appDirPath")!))
            .Select(d => Path.Combine(d, ".dapr", "logs", "app_20260101000000.log").Replace('\\', '/'))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(ImageMeta.Contracts.DaprTopology.AppIds.All.Count, logs.Count);
        foreach (var log in logs)
        {
            var exitCode = CheckIgnore(git!, log);
            Skip.If(exitCode == 128, "git cannot read this checkout");
            Assert.True(exitCode == 0, $"{log} is not ignored (git check-ignore exit {exitCode}); add .dapr/ to .gitignore");
        }
    }

    private static IEnumerable<string> RunFileNames() =>
        Directory.EnumerateFiles(Root, "dapr*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    /// <summary>git check-ignore: 0 ignored, 1 not ignored, 128 error (not a repository).</summary>
    private static int CheckIgnore(string git, string path)
    {
        using var process = Process.Start(new ProcessStartInfo(git, ["-C", Root, "check-ignore", "-q", "--no-index", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("git check-ignore did not finish within 30 s.");
        }

        return process.ExitCode;
    }
}
