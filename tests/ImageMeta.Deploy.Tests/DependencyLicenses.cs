using System.Text.Json;
using System.Xml.Linq;

namespace ImageMeta.Deploy.Tests;

/// <summary>
/// The license policy of <c>dependency-licenses.json</c> applied to NuGet packages (from restored projects'
/// <c>obj/project.assets.json</c> and each package's .nuspec) and npm packages (from a <c>package-lock.json</c>).
/// A package passes when its declared license is an SPDX expression the allow-list satisfies, or when the
/// exception list names it with exactly the license it declares (and, for a tests-only exception, it is used
/// by test projects alone).
/// </summary>
public sealed class DependencyLicenses
{
    /// <summary>One package as one project uses it, with the license it declares ("MIT", "file LICENSE.txt", "url …").</summary>
    public sealed record Use(string Ecosystem, string Package, string Version, string License, string Project, bool ProjectIsTest);

    private sealed record Exception(string Ecosystem, string Package, string License, bool TestsOnly, string Reason);

    private readonly HashSet<string> _allowed;
    private readonly List<Exception> _exceptions;

    public DependencyLicenses(string policyFile)
    {
        using var policy = JsonDocument.Parse(File.ReadAllText(policyFile));
        _allowed = policy.RootElement.GetProperty("allowed").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _exceptions = [.. policy.RootElement.GetProperty("exceptions").EnumerateArray().Select(e => new Exception(
            e.GetProperty("ecosystem").GetString()!, e.GetProperty("package").GetString()!, e.GetProperty("license").GetString()!,
            e.GetProperty("testsOnly").GetBoolean(), e.GetProperty("reason").GetString()!))];
    }

    /// <summary>Whether a project is test code, never shipped: the same rule Directory.Build.props uses.</summary>
    public static bool IsTestProject(string name) =>
        name.EndsWith(".Tests", StringComparison.Ordinal) || name.StartsWith("ImageMeta.Testing", StringComparison.Ordinal) ||
        name.StartsWith("ImageMeta.Bench", StringComparison.Ordinal);

    /// <summary>Every package (direct and transitive) a restored project uses, with the license its .nuspec declares.</summary>
    public static IEnumerable<Use> NuGetUses(string assetsFile)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(assetsFile));
        var root = assets.RootElement;
        var project = root.GetProperty("project").GetProperty("restore").GetProperty("projectName").GetString()!;
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(f => f.Name).ToList();
        foreach (var library in root.GetProperty("libraries").EnumerateObject())
        {
            if (library.Value.GetProperty("type").GetString() != "package")
            {
                continue;
            }

            var (id, version) = (library.Name.Split('/')[0], library.Name.Split('/')[1]);
            var path = library.Value.GetProperty("path").GetString()!;
            var nuspec = folders.Select(f => Path.Combine(f, path, id.ToLowerInvariant() + ".nuspec")).FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"{id} {version}: no .nuspec under {string.Join(", ", folders)} (restore first)");
            yield return new Use("nuget", id, version, NuspecLicense(nuspec), project, IsTestProject(project));
        }
    }

    /// <summary>A .nuspec's license: the SPDX expression, "file &lt;name&gt;", "url &lt;address&gt;", or "none".</summary>
    public static string NuspecLicense(string nuspec)
    {
        var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        var license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
        if (license is not null)
        {
            return (string?)license.Attribute("type") == "expression" ? license.Value.Trim() : $"file {license.Value.Trim()}";
        }

        var url = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "licenseUrl");
        return url is null ? "none" : $"url {url.Value.Trim()}";
    }

    /// <summary>Every package a package-lock.json (npm 7+) locks, dev or not, with its license field.</summary>
    public static IEnumerable<Use> NpmUses(string lockFile)
    {
        using var locked = JsonDocument.Parse(File.ReadAllText(lockFile));
        var project = Path.GetRelativePath(Manifests.Root, Path.GetDirectoryName(lockFile)!);
        foreach (var entry in locked.RootElement.GetProperty("packages").EnumerateObject())
        {
            if (entry.Name.Length == 0 || entry.Value.TryGetProperty("link", out _))
            {
                continue; // the root project itself, and workspace links
            }

            var name = entry.Name[(entry.Name.LastIndexOf("node_modules/", StringComparison.Ordinal) + "node_modules/".Length)..];
            var license = entry.Value.TryGetProperty("license", out var field) && field.ValueKind == JsonValueKind.String ? field.GetString()! : "none";
            var version = entry.Value.TryGetProperty("version", out var v) ? v.GetString() ?? "" : "";
            // npm packages here are test tools (Azurite, validators): never shipped with the services.
            yield return new Use("npm", name, version, license, project, ProjectIsTest: true);
        }
    }

    /// <summary>What is wrong with these uses, one line each; empty when all pass.</summary>
    public List<string> Violations(IEnumerable<Use> uses)
    {
        var problems = new List<string>();
        foreach (var use in uses)
        {
            if (Satisfies(use.License))
            {
                continue;
            }

            var exception = _exceptions.FirstOrDefault(e => e.Ecosystem == use.Ecosystem &&
                string.Equals(e.Package, use.Package, StringComparison.OrdinalIgnoreCase) && e.License == use.License);
            if (exception is null)
            {
                problems.Add($"{use.Ecosystem} {use.Package} {use.Version} ({use.Project}): license '{use.License}' is not on the allow-list of dependency-licenses.json and has no exception there");
            }
            else if (exception.TestsOnly && !use.ProjectIsTest)
            {
                problems.Add($"{use.Ecosystem} {use.Package} {use.Version} ({use.Project}): license '{use.License}' is excepted for tests only, but {use.Project} is shipped");
            }
        }

        return [.. problems.Distinct()];
    }

    /// <summary>Exceptions no use needs any more (a dependency was removed or changed its license).</summary>
    public List<string> UnusedExceptions(IReadOnlyCollection<Use> uses) =>
        [.. _exceptions.Where(e => !uses.Any(u => u.Ecosystem == e.Ecosystem && string.Equals(u.Package, e.Package, StringComparison.OrdinalIgnoreCase) && u.License == e.License))
            .Select(e => $"{e.Ecosystem} {e.Package} '{e.License}'")];

    /// <summary>
    /// Whether an SPDX license expression is satisfied by the allow-list: OR needs one side, AND both,
    /// parentheses group; "X WITH exception" counts as X only when written so on the allow-list.
    /// </summary>
    public bool Satisfies(string expression)
    {
        var tokens = expression.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var position = 0;
        try
        {
            var result = Or(tokens, ref position);
            return position == tokens.Length && result;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private bool Or(string[] tokens, ref int position)
    {
        var result = And(tokens, ref position);
        while (position < tokens.Length && tokens[position].Equals("OR", StringComparison.OrdinalIgnoreCase))
        {
            position++;
            result |= And(tokens, ref position);
        }

        return result;
    }

    private bool And(string[] tokens, ref int position)
    {
        var result = Term(tokens, ref position);
        while (position < tokens.Length && tokens[position].Equals("AND", StringComparison.OrdinalIgnoreCase))
        {
            position++;
            result &= Term(tokens, ref position);
        }

        return result;
    }

    private bool Term(string[] tokens, ref int position)
    {
        if (position >= tokens.Length)
        {
            throw new FormatException("expression ends early");
        }

        if (tokens[position] == "(")
        {
            position++;
            var inner = Or(tokens, ref position);
            if (position >= tokens.Length || tokens[position] != ")")
            {
                throw new FormatException("unbalanced parenthesis");
            }

            position++;
            return inner;
        }

        var license = tokens[position++];
        if (license is ")" or "AND" or "OR" or "WITH")
        {
            throw new FormatException($"unexpected {license}");
        }

        if (position < tokens.Length && tokens[position].Equals("WITH", StringComparison.OrdinalIgnoreCase))
        {
            var exception = position + 1 < tokens.Length ? tokens[position + 1] : throw new FormatException("WITH without an exception");
            position += 2;
            return _allowed.Contains($"{license} WITH {exception}");
        }

        return _allowed.Contains(license.TrimEnd('+'));
    }
}
