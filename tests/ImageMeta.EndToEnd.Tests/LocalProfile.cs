using ImageMeta.Testing.Dapr.Pipeline;
using YamlDotNet.RepresentationModel;

namespace ImageMeta.EndToEnd.Tests;

/// <summary>The local profile as <c>dapr.yaml</c> (multi-app run template) gives it to each app.</summary>
public static class LocalProfile
{
    /// <summary>
    /// Each app's <c>env</c> from <c>dapr.yaml</c>, keyed by <c>appID</c>. Left out: what the harness must own
    /// on a shared machine (listen addresses, sidecar endpoints, the Zipkin address, database files and
    /// folders, which would otherwise land in the repository), so the test runs what users run, on
    /// private ports and scratch files.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> AppEnvironment()
    {
        var file = Path.Combine(RepositoryLayout.Root, "dapr.yaml");
        var yaml = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            yaml.Load(reader);
        }

        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (var app in ((YamlSequenceNode)root.Children[new YamlScalarNode("apps")]).Children.OfType<YamlMappingNode>())
        {
            var appId = ((YamlScalarNode)app.Children[new YamlScalarNode("appID")]).Value!;
            var env = new Dictionary<string, string>();
            if (app.Children.TryGetValue(new YamlScalarNode("env"), out var node) && node is YamlMappingNode map)
            {
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    if (!HarnessOwned(name))
                    {
                        env[name] = ((YamlScalarNode)value).Value ?? string.Empty;
                    }
                }
            }

            result[appId] = env;
        }

        return result;
    }

    private static bool HarnessOwned(string name) =>
        name.StartsWith("ASPNETCORE_URLS", StringComparison.Ordinal) ||
        name.StartsWith("DAPR_", StringComparison.Ordinal) ||
        name is "APP_PORT" or "APP_ID" or "APP_API_TOKEN" ||
        name.StartsWith("ConnectionStrings__", StringComparison.Ordinal) ||
        name.Equals("Telemetry__ZipkinEndpoint", StringComparison.Ordinal) ||
        name.EndsWith("Path", StringComparison.Ordinal) ||
        name.EndsWith("Folder", StringComparison.Ordinal);
}
