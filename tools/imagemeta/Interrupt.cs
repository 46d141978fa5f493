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

        // First the deadline, on a thread of its own (the thread pool may be busy with the very work that does
        // not stop), then the message and the cancellation, either of which could block.
        new Thread(() =>
        {
            Thread.Sleep(Grace);
            Environment.Exit(ExitCode);
        })
        { IsBackground = true, Name = "imagemeta interrupt" }.Start();
        WriteToError("imagemeta: interrupted\n");
        cancel.Cancel();
    }

    /// <summary>
    /// Straight to file descriptor 2 on Unix: .NET's console streams take one lock for stdout and stderr,
    /// which the thread blocked writing to a full stdout pipe holds, so Console.Error would wait with it.
    /// </summary>
    private static void WriteToError(string text)
    {
        if (OperatingSystem.IsWindows())
        {
            Console.Error.Write(text);
            return;
        }

        try
        {
            using var error = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            error.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // No usable stderr (closed, or not writable): the exit code still says it.
        }
    }
}
