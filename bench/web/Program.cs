using ImageMeta.Bench.Web;

var options = WebBenchOptions.Parse(args);
var markdown = await WebBench.RunAsync(options, Console.Out);
Console.WriteLine(markdown);
Directory.CreateDirectory(Path.GetDirectoryName(options.Out)!);
await File.WriteAllTextAsync(options.Out, markdown);
