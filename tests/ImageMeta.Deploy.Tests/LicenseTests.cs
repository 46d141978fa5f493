namespace ImageMeta.Deploy.Tests;

/// <summary>
/// Every dependency is under a license compatible with the repository's Apache-2.0 (dependency-licenses.json):
/// all NuGet packages, transitive included, of every project of the solution as restored, and every npm package
/// the tests install (tools/*/package-lock.json).
/// </summary>
public sealed class LicenseTests
{
    private static readonly string Root = Manifests.Root;
    private static readonly DependencyLicenses Policy = new(Path.Combine(Root, "dependency-licenses.json"));

    [Fact]
    public void Every_NuGet_and_npm_dependency_has_an_allowed_license_or_an_explained_exception()
    {
        var uses = AllUses();

        Assert.Empty(Policy.Violations(uses));
        // The list stays honest: an exception that nothing needs any more is removed, not kept "just in case".
        Assert.Empty(Policy.UnusedExceptions(uses));
    }

    [Fact]
    public void Every_project_of_the_solution_is_restored_so_none_escapes_the_check()
    {
        Assert.NotEmpty(SolutionProjects());
        Assert.All(SolutionProjects(), project => Assert.True(File.Exists(AssetsFile(project)), $"{project} is not restored"));
    }

    [Fact]
    public void An_incompatible_NuGet_license_is_detected_in_an_assets_file()
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-licenses-").FullName;
        try
        {
            var packages = Path.Combine(folder, "packages");
            WritePackage(packages, "Copyleft.Library", "1.0.0", "<license type=\"expression\">GPL-3.0-only</license>");
            WritePackage(packages, "Dual.Library", "2.0.0", "<license type=\"expression\">(GPL-2.0-only OR MIT)</license>");
            WritePackage(packages, "Unknown.Library", "3.0.0", "<license type=\"file\">LICENSE.txt</license>");
            WritePackage(packages, "Validation", "2.6.68", "<license type=\"expression\">MS-PL</license>");
            var assets = Path.Combine(folder, "project.assets.json");
            File.WriteAllText(assets, $$"""
                {
                  "version": 3,
                  "libraries": {
                    "Copyleft.Library/1.0.0": { "type": "package", "path": "copyleft.library/1.0.0" },
                    "Dual.Library/2.0.0": { "type": "package", "path": "dual.library/2.0.0" },
                    "Unknown.Library/3.0.0": { "type": "package", "path": "unknown.library/3.0.0" },
                    "Validation/2.6.68": { "type": "package", "path": "validation/2.6.68" },
                    "ImageMeta.Contracts/1.0.0": { "type": "project", "path": "../x/x.csproj" }
                  },
                  "packageFolders": { {{System.Text.Json.JsonSerializer.Serialize(packages + Path.DirectorySeparatorChar)}}: {} },
                  "project": { "restore": { "projectName": "ImageMeta.Store.Service" } }
                }
                """);

            var violations = Policy.Violations(DependencyLicenses.NuGetUses(assets));

            Assert.Equal(3, violations.Count);
            Assert.Contains(violations, v => v.StartsWith("nuget Copyleft.Library 1.0.0 (ImageMeta.Store.Service): license 'GPL-3.0-only'", StringComparison.Ordinal));
            Assert.Contains(violations, v => v.StartsWith("nuget Unknown.Library 3.0.0", StringComparison.Ordinal) && v.Contains("'file LICENSE.txt'", StringComparison.Ordinal));
            // MS-PL is excepted for test code only; a shipped service may not take it.
            Assert.Contains(violations, v => v.StartsWith("nuget Validation 2.6.68", StringComparison.Ordinal) && v.Contains("tests only", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_incompatible_npm_license_is_detected_in_a_lock_file()
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-licenses-").FullName;
        try
        {
            var lockFile = Path.Combine(folder, "package-lock.json");
            File.WriteAllText(lockFile, """
                {
                  "lockfileVersion": 3,
                  "packages": {
                    "": { "name": "tool" },
                    "node_modules/fine": { "version": "1.0.0", "license": "ISC" },
                    "node_modules/fine/node_modules/strong-copyleft": { "version": "2.0.0", "license": "AGPL-3.0-or-later" },
                    "node_modules/unlicensed": { "version": "0.1.0" }
                  }
                }
                """);

            var violations = Policy.Violations(DependencyLicenses.NpmUses(lockFile));

            Assert.Equal(2, violations.Count);
            Assert.Contains(violations, v => v.StartsWith("npm strong-copyleft 2.0.0", StringComparison.Ordinal) && v.Contains("'AGPL-3.0-or-later'", StringComparison.Ordinal));
            Assert.Contains(violations, v => v.StartsWith("npm unlicensed 0.1.0", StringComparison.Ordinal) && v.Contains("'none'", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("MIT", true)]
    [InlineData("Apache-2.0 OR GPL-2.0-only", true)]
    [InlineData("(MIT AND BSD-3-Clause)", true)]
    [InlineData("MIT AND GPL-3.0-only", false)]
    [InlineData("LGPL-2.1-only", false)]
    [InlineData("GPL-2.0-only WITH Classpath-exception-2.0", false)]
    [InlineData("SSPL-1.0", false)]
    [InlineData("MIT OR", false)]
    [InlineData("(MIT", false)]
    public void Spdx_expressions_are_judged_by_the_allow_list(string expression, bool allowed) =>
        Assert.Equal(allowed, Policy.Satisfies(expression));

    private static List<DependencyLicenses.Use> AllUses()
    {
        var locks = Directory.EnumerateDirectories(Path.Combine(Root, "tools"))
            .Select(d => Path.Combine(d, "package-lock.json"))
            .Where(File.Exists)
            .ToList();
        Assert.NotEmpty(locks);
        return [.. SolutionProjects().Select(AssetsFile).Where(File.Exists).SelectMany(DependencyLicenses.NuGetUses),
            .. locks.SelectMany(DependencyLicenses.NpmUses)];
    }

    /// <summary>The .csproj files the solution lists, relative to the repository root.</summary>
    private static List<string> SolutionProjects() =>
        [.. File.ReadLines(Path.Combine(Root, "ImageMeta.Dapr.sln"))
            .Where(line => line.StartsWith("Project(", StringComparison.Ordinal) && line.Contains(".csproj", StringComparison.Ordinal))
            .Select(line => line.Split(',')[1].Trim().Trim('"').Replace('\\', Path.DirectorySeparatorChar))];

    private static string AssetsFile(string project) => Path.Combine(Root, Path.GetDirectoryName(project)!, "obj", "project.assets.json");

    private static void WritePackage(string packages, string id, string version, string license)
    {
        var folder = Path.Combine(packages, id.ToLowerInvariant(), version);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, id.ToLowerInvariant() + ".nuspec"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                {license}
              </metadata>
            </package>
            """);
    }
}
