namespace ImageMeta.Cli;

/// <summary>
/// Ctrl-C (SIGINT): cancel, and if the scan has not wound down by itself within a moment, exit anyway.
/// Cancellation alone cannot stop a thread blocked in a system call (a write to a pipe nobody reads, a
/// read from a slow mount, a decoder inside native code), and exit code 130 must come promptly in every state.
/// </summary>
public static class Interrupt
{
    /// <summary>128 + SIGINT, what shells report for a command stopped by Ctrl-C.</summary>
    public const int ExitCode = 130;

    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);
    private static int _requests;

    public static void Request(CancellationTokenSource cancel)
    {
        if (Interlocked.Increment(ref _requests) > 1)
        {
            Environment.Exit(ExitCode);
        }

        Console.Error.WriteLine("imagemeta: interrupted");
        cancel.Cancel();
        // A thread of its own: the thread pool may be busy with the very work that does not stop.
        new Thread(() =>
        {
            Thread.Sleep(Grace);
            Environment.Exit(ExitCode);
        })
        { IsBackground = true, Name = "imagemeta interrupt" }.Start();
    }
}
