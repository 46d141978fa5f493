namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>Where the repository and the built services are, found from the running test or benchmark.</summary>
public static class RepositoryLayout
{
    public const string SolutionFile = "ImageMeta.Dapr.sln";

    /// <summary>The repository root: the nearest folder above the running assembly that holds the solution.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The built entry assembly of a service (<c>services/{app}/bin/{configuration}/net10.0/{project}.dll</c>).
    /// The test and bench projects reference the service projects (without their output), so building
    /// them builds the services in the same configuration.
    /// </summary>
    public static string ServiceAssembly(string appId, string configuration)
    {
        var project = ServiceProject(appId);
        var name = Path.GetFileNameWithoutExtension(project);
        var dll = Path.Combine(Path.GetDirectoryName(project)!, "bin", configuration, "net10.0", name + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"{dll} is missing: build {project} in {configuration} first (the test project's reference does this).");
    }

    /// <summary>The web project under <c>services/{app}</c> (the service; libraries beside it are not).</summary>
    public static string ServiceProject(string appId)
    {
        var folder = Path.Combine(Root, "services", appId);
        var project = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.csproj", SearchOption.AllDirectories)
                .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .FirstOrDefault(p => File.ReadAllText(p).Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal))
            : null;
        return project ?? throw new InvalidOperationException($"No web project (Microsoft.NET.Sdk.Web) under {folder}.");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"{SolutionFile} not found above {AppContext.BaseDirectory}.");
    }
}
