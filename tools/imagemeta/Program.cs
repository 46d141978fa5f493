using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using ImageMeta.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Interrupt.Request(cancel);
};

var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
var scan = ScanCommand.Definition();
scan.SetAction((parsed, _) => new ScanCommand(stdout, Console.Error, !Console.IsErrorRedirected, RawCommandLine.PathsOf(args))
    .RunAsync(ScanCommand.From(parsed), cancel.Token));
var root = new RootCommand("imagemeta: what the ImageMeta extractor says about local image files.") { scan };

var command = root.Parse(args);
var problems = ScanCommand.Problems(command);
if (command.Action is ParseErrorAction || (problems.Count > 0 && command.Action is not HelpAction))
{
    foreach (var problem in problems)
    {
        Console.Error.WriteLine($"imagemeta: {problem}");
    }

    Console.Error.WriteLine("Try 'imagemeta --help' or 'imagemeta scan --help'.");
    return ScanCommand.ExitUsage;
}

try
{
    // Ctrl-C is Interrupt's (exit 130 within a second in any state), not the parser's.
    return await command.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    return Interrupt.ExitCode;
}
finally
{
    // Also after Ctrl-C: the lines already scanned reach a live reader; a reader that stopped reading cannot
    // hold the exit, as Interrupt ends the process a moment later whatever this waits for.
    await stdout.FlushAsync();
}
