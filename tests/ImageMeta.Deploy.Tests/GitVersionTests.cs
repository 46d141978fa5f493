using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Versions come from git through MinVer (Directory.Build.props, Directory.Packages.props): every assembly is stamped
/// with the version MinVer computes for the commit it was built from, under this repository's settings (tags
/// <c>vX.Y.Z</c>, pre-release heights between tags), and clones without tags or history still build.
/// </summary>
public sealed partial class GitVersionTests
{
    private static readonly string Root = Manifests.Root;

    [SkippableFact]
    public void Built_assemblies_carry_the_version_MinVer_gives_this_commit_and_the_commit_itself()
    {
        Skip.If(!Directory.Exists(Path.Combine(Root, ".git")) && !File.Exists(Path.Combine(Root, ".git")),
            "not a git work tree (a source archive builds as 0.0.0-alpha.0 with MinVer's warning MINVER1001)");
        var stamped = typeof(GitVersionTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        var head = Output("git", ["-C", Root, "rev-parse", "HEAD"]).Trim();
        var minver = MinVer(Root);

        Assert.Equal($"{minver}+{head}", stamped);
        Assert.Matches(SemVer(), minver);
    }

    [Fact]
    public void Tags_heights_and_shallow_clones_follow_the_repository_rule()
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-minver-").FullName;
        try
        {
            var repo = Path.Combine(folder, "repo");
            Directory.CreateDirectory(repo);
            Git(repo, "init", "-q");
            Commit(repo);
            Assert.Equal("0.0.0-alpha.0", MinVer(repo));
            Commit(repo);
            Assert.Equal("0.0.0-alpha.0.1", MinVer(repo));

            Git(repo, "tag", "v1.2.3");
            Assert.Equal("1.2.3", MinVer(repo));
            Commit(repo);
            Commit(repo);
            Assert.Equal("1.2.4-alpha.0.2", MinVer(repo));

            // A tag without the v prefix is not a version tag here.
            Git(repo, "tag", "9.9.9");
            Assert.Equal("1.2.4-alpha.0.2", MinVer(repo));

            Git(repo, "tag", "v2.0.0-rc.1");
            Assert.Equal("2.0.0-rc.1", MinVer(repo));
            Commit(repo);
            Assert.Equal("2.0.0-rc.1.1", MinVer(repo));

            // CI clones may be shallow and carry no tags: the version falls back, nothing fails.
            var shallow = Path.Combine(folder, "shallow");
            Git(folder, "clone", "-q", "--depth", "1", "--no-tags", new Uri(repo).AbsoluteUri, shallow);
            Assert.Equal("0.0.0-alpha.0", MinVer(shallow));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public void PublishContainer_tags_the_image_with_the_git_version_unless_a_tag_is_given()
    {
        Skip.If(!Directory.Exists(Path.Combine(Root, ".git")) && !File.Exists(Path.Combine(Root, ".git")), "not a git work tree");
        var project = Path.Combine(Root, "services", "store", "ImageMeta.Store.Service");

        Assert.Equal([MinVer(Root)], ContainerTags(project));
        Assert.Equal(["9.8.7"], ContainerTags(project, "-p:ContainerImageTag=9.8.7"));
    }

    /// <summary>The tags PublishContainer would push, as the SDK's ComputeContainerConfig computes them (no image is built).</summary>
    private static List<string> ContainerTags(string project, params string[] properties)
    {
        var output = Output(DotnetHost, ["msbuild", project, "-t:ComputeContainerConfig", "-getItem:ContainerImageTags",
            "-p:Configuration=Release", "-nodeReuse:false", .. properties], boundSeconds: 300);
        using var answer = System.Text.Json.JsonDocument.Parse(output);
        return [.. answer.RootElement.GetProperty("Items").GetProperty("ContainerImageTags").EnumerateArray().Select(t => t.GetProperty("Identity").GetString()!)];
    }

    /// <summary>MinVer's own command-line program from the restored package, with the settings Directory.Build.props gives every project.</summary>
    private static string MinVer(string workTree)
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
        string Setting(string name) => props.Descendants(name).Single().Value;
        var version = XDocument.Load(Path.Combine(Root, "Directory.Packages.props")).Descendants("GlobalPackageReference")
            .Single(p => (string?)p.Attribute("Include") == "MinVer").Attribute("Version")!.Value;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cli = Path.Combine(packages, "minver", version, "build", "bin", "net10.0", "MinVer.dll");
        Assert.True(File.Exists(cli), $"{cli} is missing: restoring any project of this repository brings MinVer {version}");

        return Output(DotnetHost, [cli, workTree,
            "--tag-prefix", Setting("MinVerTagPrefix"),
            "--default-pre-release-identifiers", Setting("MinVerDefaultPreReleaseIdentifiers")]).Trim();
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static void Git(string workTree, params string[] arguments) => Output("git", ["-C", workTree, .. arguments]);

    /// <summary>A tool's standard output; a non-zero exit fails the test with the tool's own words.</summary>
    private static string Output(string program, string[] arguments, int boundSeconds = 60)
    {
        var (exitCode, output, error) = Manifests.Run(program, arguments, stdin: null, boundSeconds);
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)} exited {exitCode}: {error}{output}");
        return output;
    }

    private static void Commit(string repo) =>
        Git(repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "--allow-empty", "-m", "change");

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();
}
