using System.Globalization;

namespace ImageMeta.Bench.Web;

/// <summary>The benchmark's command line: how many records to seed, how many images to browse, runs per paint figure.</summary>
public sealed record WebBenchOptions(int Records, int Browse, int Runs, string Out)
{
    public static WebBenchOptions Parse(string[] args)
    {
        var options = new WebBenchOptions(100_000, 10_000, 3, Path.Combine("bench", "results", "web.md"));
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--records" => options with { Records = int.Parse(value, CultureInfo.InvariantCulture) },
                "--browse" => options with { Browse = int.Parse(value, CultureInfo.InvariantCulture) },
                "--runs" => options with { Runs = int.Parse(value, CultureInfo.InvariantCulture) },
                "--out" => options with { Out = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}: use --records, --browse, --runs, --out."),
            };
        }

        return options;
    }
}
