using System.Reflection;
using ImageMeta.Cli;

// The version the build stamped from git (MinVer: the nearest vX.Y.Z tag, the height after it, +commit).
if (args is ["--version"])
{
    Console.Out.WriteLine(typeof(ScanCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
    return 0;
}

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Out.WriteLine(ScanCommand.Usage);
    return args.Length == 0 ? 2 : 0;
}

if (args[0] != "scan")
{
    Console.Error.WriteLine($"imagemeta: unknown command '{args[0]}'");
    Console.Error.WriteLine(ScanCommand.Usage);
    return 2;
}

var arguments = ScanCommand.Parse(args[1..], out var problem);
if (arguments is null)
{
    Console.Error.WriteLine($"imagemeta: {problem}");
    Console.Error.WriteLine(ScanCommand.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Interrupt.Request(cancel);
};

var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
try
{
    return await new ScanCommand(stdout, Console.Error, !Console.IsErrorRedirected, RawCommandLine.PathsOf(args)).RunAsync(arguments, cancel.Token);
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
