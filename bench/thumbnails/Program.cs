using System.Globalization;
using ImageMeta.Extractor;

// Usage: ImageMeta.Bench.Thumbnails <input-folder> <output-folder> <workers>
// Renders every file of the folder (byte order of names) with the extractor's ThumbnailRenderer, as the service's
// POST /thumbnail does minus the bindings, and writes <name>.webp. Prints "ok failed" counts on stdout.
if (args.Length != 3 || !int.TryParse(args[2], CultureInfo.InvariantCulture, out var workers) || workers < 1)
{
    Console.Error.WriteLine("usage: ImageMeta.Bench.Thumbnails <input-folder> <output-folder> <workers>");
    return 2;
}

var files = Directory.GetFiles(args[0]).Order(StringComparer.Ordinal).ToArray();
var output = Directory.CreateDirectory(args[1]).FullName;
var limits = new ExtractionOptions { WhenBusy = BusyPolicy.Wait };
var renderer = new ThumbnailRenderer(limits, new ThumbnailOptions(), new InFlightBudget(limits.MaxBytesInFlight));
var ok = 0;
var failed = 0;
Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = workers }, file =>
{
    var result = renderer.Render(File.ReadAllBytes(file));
    if (result.Succeeded)
    {
        File.WriteAllBytes(Path.Combine(output, Path.GetFileName(file) + ".webp"), result.Value.Webp);
        Interlocked.Increment(ref ok);
    }
    else
    {
        Console.Error.WriteLine($"{file}: {result.Failure.Class}: {result.Failure.Message}");
        Interlocked.Increment(ref failed);
    }
});

Console.WriteLine($"{ok} {failed}");
return 0;
