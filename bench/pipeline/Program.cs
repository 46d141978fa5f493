using System.Globalization;
using ImageMeta.Bench.Pipeline;
using ImageMeta.Testing.Dapr.Pipeline;

// bench/pipeline/run.sh runs this: first what the doubles alone cost, then the three real services
// against the doubles, once per database.
var options = BenchOptions.Parse(args);
if (options.ReconciliationSizes is { } sizes)
{
    // bench/pipeline/run.sh --reconciliation 10000,100000: the sweep's reconciliation alone, at each size, once per
    // database, written beside the pipeline's results.
    var measured = await ReconciliationBenchmark.RunAsync(options.Databases, sizes, Console.Out);
    var table = ReconciliationBenchmark.Markdown(measured);
    Console.WriteLine(table);
    if (options.OutputFile is { } reconcileFile)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(reconcileFile))!;
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "reconciliation.md"), $"Measured {DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture)} on {Environment.ProcessorCount} cores.\n\n{table}");
    }

    return;
}

var overhead = await DoubleOverheadBenchmark.RunAsync(calls: 5000, concurrency: options.Concurrency, payloadBytes: 64 * 1024);
var report = PipelineBenchmark.Markdown(overhead);
Console.WriteLine(report);

var results = new List<PipelineMeasurement>();
foreach (var database in options.DoubleOnly ? [] : options.Databases)
{
    await using var postgres = database == MetadataDatabase.Postgres ? await PostgresDatabase.CreateAsync("bench") : null;
    await using var pipeline = await SidecarDoublePipeline.StartAsync(new PipelineSettings
    {
        Configuration = "Release",
        WorkflowEngine = options.WorkflowEngine,
        Database = database,
        PostgresConnectionString = postgres?.ConnectionString,
        Environment = options.ServiceEnvironment,
    });
    using var client = new PipelineClient(pipeline.Ingest.BaseAddress, pipeline.Store.BaseAddress);
    var benchmark = new PipelineBenchmark(pipeline, client, Console.Out);
    results.Add(await benchmark.RunAsync(database.ToString().ToLowerInvariant(), options.BurstImages, options.Concurrency, options.SteadyRate, options.SteadyDuration));
}

if (results.Count > 0)
{
    var markdown = PipelineBenchmark.Markdown(results);
    Console.WriteLine(markdown);
    report += "\n" + markdown;
}

if (options.OutputFile is { } file)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
    await File.WriteAllTextAsync(file, $"Measured {DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture)} on {Environment.ProcessorCount} cores.\n\n{report}");
}
