using System.Diagnostics;

namespace ImageMeta.Testing.Processes;

/// <summary>Ends a child process the tests started (a service, Prometheus, node) together with whatever it started.</summary>
public static class ProcessTree
{
    /// <summary>
    /// Kills the process and its descendants at once (SIGKILL: no graceful shutdown, as a crash or an OOM kill) and
    /// waits up to 10 s for it to exit. A process that never started or has already gone is left as it is.
    /// </summary>
    public static async Task KillAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
    }
}
