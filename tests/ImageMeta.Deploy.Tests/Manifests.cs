using System.Diagnostics;
using ImageMeta.Testing.Dapr.Pipeline;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace ImageMeta.Deploy.Tests;

/// <summary>The repository's YAML read as plain maps and lists, and the kustomize renders of the overlays.</summary>
public static class Manifests
{
    public static string Root => RepositoryLayout.Root;

    public static IEnumerable<string> YamlFiles() =>
        new[] { "components", "deploy" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.yaml", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Root, "dapr*.yaml"))
            .Order(StringComparer.Ordinal);

    /// <summary>Every document of a YAML file or text.</summary>
    public static List<Dictionary<object, object?>> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new YamlDotNet.Core.Parser(new StringReader(yaml));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        var documents = new List<Dictionary<object, object?>>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            if (deserializer.Deserialize(parser) is Dictionary<object, object?> document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public static List<Dictionary<object, object?>> Load(string relativePath) => Documents(System.IO.File.ReadAllText(Path.Combine(Root, relativePath)));

    public static List<Dictionary<object, object?>> Folder(string relativePath) =>
        [.. Directory.EnumerateFiles(Path.Combine(Root, relativePath), "*.yaml").SelectMany(f => Documents(System.IO.File.ReadAllText(f)))];

    /// <summary>
    /// Every kustomization under deploy/k8s (the base and each overlay), as paths relative to deploy/k8s. Optional
    /// components (<c>kind: Component</c>, deploy/k8s/components) are not among them: they render only inside another
    /// kustomization (<see cref="KustomizeWithComponent"/>).
    /// </summary>
    public static IEnumerable<string> Kustomizations() =>
        Directory.EnumerateFiles(Path.Combine(Root, "deploy", "k8s"), "kustomization.yaml", SearchOption.AllDirectories)
            .Where(f => Text(Documents(System.IO.File.ReadAllText(f)).Single(), "kind") != "Component")
            .Select(f => Path.GetRelativePath(Path.Combine(Root, "deploy", "k8s"), Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>The same, as theory data.</summary>
    public static TheoryData<string> KustomizationFolders => [.. Kustomizations()];

    /// <summary>The objects <c>kubectl kustomize</c> renders for an overlay; null (test skipped) only outside CI when kubectl is missing.</summary>
    public static List<Dictionary<object, object?>>? Render(string overlay) => Kustomize(Path.Combine("overlays", overlay));

    /// <summary>
    /// What an overlay renders with an optional component added, as the deploy guide tells people to add it: a
    /// kustomization (in a scratch folder) whose resources are the overlay and whose components are the component.
    /// </summary>
    public static List<Dictionary<object, object?>>? KustomizeWithComponent(string overlay, string component)
    {
        var scratch = Directory.CreateTempSubdirectory("imagemeta-kustomize-");
        try
        {
            // kustomize refuses absolute paths to other kustomizations; relative ones may leave the folder.
            string Relative(string folder) => Path.GetRelativePath(scratch.FullName, Path.Combine(Root, "deploy", "k8s", folder)).Replace('\\', '/');
            System.IO.File.WriteAllText(Path.Combine(scratch.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - {Relative(Path.Combine("overlays", overlay))}
                components:
                  - {Relative(component)}
                """);
            return Kustomize(scratch.FullName);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The objects <c>kubectl kustomize</c> renders for a folder under deploy/k8s (or an absolute folder); null (test skipped) only outside CI when kubectl is missing.</summary>
    public static List<Dictionary<object, object?>>? Kustomize(string kustomization)
    {
        var kubectl = UsableKubectl.Value;
        if (kubectl is null)
        {
            return Environment.GetEnvironmentVariable("CI") == "true"
                ? throw new InvalidOperationException("kubectl 1.21 or later is required in CI (scripts/setup.sh installs it).")
                : null;
        }

        EnsureLocalClusterSecrets(kustomization);
        var (exitCode, output, error) = Run(kubectl, ["kustomize", Path.Combine(Root, "deploy", "k8s", kustomization)], stdin: null);
        return exitCode == 0
            ? Documents(output)
            : throw new InvalidOperationException($"kubectl kustomize {kustomization} failed: {error}");
    }

    /// <summary>
    /// kubectl on PATH when it can render our kustomizations: kustomize components need kubectl 1.21 or later, and
    /// Debian's own kubernetes-client is 1.20 (scripts/setup.sh falls back to it and names it as missing). Too old
    /// counts as missing, so the render tests skip instead of failing on a tool.
    /// </summary>
    private static readonly Lazy<string?> UsableKubectl = new(() =>
    {
        var kubectl = ExecutablesOnPath.Find("kubectl");
        if (kubectl is null)
        {
            return null;
        }

        var (exitCode, output, _) = Run(kubectl, ["version", "--client", "-o", "json"], stdin: null);
        var minor = exitCode == 0 ? System.Text.RegularExpressions.Regex.Match(output, "\"minor\":\\s*\"(\\d+)") : null;
        return minor is { Success: true } && int.Parse(minor.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 21 ? null : kubectl;
    });

    /// <summary>The folder of the local-cluster overlay's generated secrets (git-ignored).</summary>
    public static string LocalClusterSecrets => Path.Combine(Root, "deploy", "k8s", "overlays", "local-cluster", ".secrets");

    /// <summary>
    /// The local-cluster overlay's secretGenerator reads env files that only scripts/local-cluster-secrets.sh writes;
    /// kustomize fails without them. The tests run the script as a user would (it keeps files that exist).
    /// </summary>
    private static void EnsureLocalClusterSecrets(string kustomization)
    {
        // Any kustomization may include the local-cluster overlay (a scratch one adding a component does), and test
        // classes run in parallel: write the files once, under a lock, before the first render that could need them.
        _ = kustomization;
        lock (LocalClusterSecretsLock)
        {
            // The newest of the files the script writes: an older .secrets/ folder lacks it, and the script adds it.
            if (File.Exists(Path.Combine(LocalClusterSecrets, "web-keyring.env")))
            {
                return;
            }

            var (exitCode, _, error) = Run("bash", [Path.Combine(Root, "scripts", "local-cluster-secrets.sh")], stdin: null);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"scripts/local-cluster-secrets.sh failed: {error}");
            }
        }
    }

    private static readonly Lock LocalClusterSecretsLock = new();

    /// <summary>Runs a program to its end (60 s at most, unless told) with optional standard input; its exit code and both outputs.</summary>
    public static (int ExitCode, string Output, string Error) Run(
        string program, IEnumerable<string> arguments, string? stdin, int boundSeconds = 60, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(boundSeconds)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {boundSeconds} s.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    // ---- navigation ----

    public static object? At(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is Dictionary<object, object?> map && map.TryGetValue(key, out var next) ? next : null;
        }

        return node;
    }

    public static string? Text(object? node, params string[] path) => At(node, path)?.ToString();

    public static IEnumerable<object?> Items(object? node, params string[] path) => At(node, path) as List<object?> ?? [];

    public static IEnumerable<Dictionary<object, object?>> OfKind(this IEnumerable<Dictionary<object, object?>> objects, string kind) =>
        objects.Where(o => Text(o, "kind") == kind);

    public static string Name(Dictionary<object, object?> o) => Text(o, "metadata", "name") ?? string.Empty;

    /// <summary>Every map anywhere below <paramref name="node"/> (itself included).</summary>
    public static IEnumerable<Dictionary<object, object?>> Maps(object? node)
    {
        switch (node)
        {
            case Dictionary<object, object?> map:
                yield return map;
                foreach (var value in map.Values)
                {
                    foreach (var inner in Maps(value))
                    {
                        yield return inner;
                    }
                }

                break;
            case List<object?> list:
                foreach (var value in list)
                {
                    foreach (var inner in Maps(value))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }
}
