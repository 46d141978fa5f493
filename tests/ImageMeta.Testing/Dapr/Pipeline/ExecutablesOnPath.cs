namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>Finds machine tools the tests drive (the <c>dapr</c> CLI, <c>kubectl</c>) the way a shell would.</summary>
public static class ExecutablesOnPath
{
    /// <summary>The full path of <paramref name="command"/> in the first <c>PATH</c> folder that has it, or null.</summary>
    public static string? Find(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(File.Exists);
}
