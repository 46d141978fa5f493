using System.Diagnostics;

namespace ImageMeta.Ingest.Tests;

/// <summary>
/// A named pipe in the images folder: reading it blocks until a writer opens it, as daprd's localstorage component does
/// (os.Open of a FIFO waits for a writer). <see cref="Release"/> opens it for writing, so the blocked read finishes.
/// </summary>
public sealed class Fifo
{
    private Fifo(string path) => Path = path;

    public string Path { get; }

    /// <summary>Creates the FIFO with coreutils' <c>mkfifo</c>.</summary>
    public static async Task<Fifo> CreateAsync(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
        return new Fifo(path);
    }

    /// <summary>Writes <paramref name="content"/> into the pipe and closes it (the open waits for the reader, on a worker thread).</summary>
    public Task Release(byte[] content) => Task.Run(() =>
    {
        using var writer = new FileStream(Path, FileMode.Open, FileAccess.Write);
        writer.Write(content);
    });
}
