using System.Globalization;
using ImageMeta.Testing.Dapr.Pipeline;

namespace ImageMeta.Bench.Pipeline;

/// <summary>
/// Command line of the pipeline benchmark: <c>--databases sqlite,postgres --burst 1000 --concurrency 32 --rate 20 --seconds 30
/// --out file.md [--double-only]</c>; <c>--reconciliation 10000,100000</c> runs the sweep's reconciliation at those sizes instead.
/// </summary>
public sealed record BenchOptions(
    IReadOnlyList<MetadataDatabase> Databases,
    int BurstImages,
    int Concurrency,
    double SteadyRate,
    TimeSpan SteadyDuration,
    string? OutputFile,
    bool DoubleOnly,
    IReadOnlyList<int>? ReconciliationSizes = null)
{
    /// <summary>Environment for the services: logging kept quiet so the console is not what is measured.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ServiceEnvironment { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>The Durable Task engine double behind ingest's sidecar.</summary>
    public Func<IWorkflowEngineDouble> WorkflowEngine { get; } =
        () => new ImageMeta.Testing.Workflow.WorkflowEngineDouble();

    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }

        var databases = (Value("--databases") ?? "sqlite,postgres")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => Enum.Parse<MetadataDatabase>(d, ignoreCase: true))
            .ToList();
        return new BenchOptions(
            databases,
            int.Parse(Value("--burst") ?? "1000", CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency") ?? "32", CultureInfo.InvariantCulture),
            double.Parse(Value("--rate") ?? "20", CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Value("--seconds") ?? "30", CultureInfo.InvariantCulture)),
            Value("--out"),
            args.Contains("--double-only"),
            Value("--reconciliation")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => int.Parse(n.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture)).ToList());
    }
}
