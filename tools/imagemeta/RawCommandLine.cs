using System.Text;

namespace ImageMeta.Cli;

/// <summary>
/// The command-line arguments as the bytes the program was started with. .NET decodes arguments as UTF-8
/// with replacement on Linux, so <c>imagemeta scan $'\xff.jpg'</c> would ask for a file named U+FFFD.jpg;
/// the kernel keeps the exact bytes in /proc/self/cmdline, where the program's own arguments are the last ones.
/// </summary>
public static class RawCommandLine
{
    /// <summary>Maps each argument's text (as <paramref name="args"/> has it) back to its bytes, in order.</summary>
    public static Func<string, FilePath> PathsOf(string[] args)
    {
        var byText = new Dictionary<string, Queue<byte[]>>(StringComparer.Ordinal);
        var raw = Read(args);
        for (var i = 0; raw is not null && i < args.Length; i++)
        {
            if (!byText.TryGetValue(args[i], out var queue))
            {
                byText[args[i]] = queue = new Queue<byte[]>();
            }

            queue.Enqueue(raw[i]);
        }

        // Paths come out of the parser in the order they were given, so equal texts take their bytes in order.
        return text => byText.TryGetValue(text, out var queue) && queue.TryDequeue(out var bytes) ? FilePath.FromBytes(bytes) : FilePath.FromText(text);
    }

    private static List<byte[]>? Read(string[] args)
    {
        if (!OperatingSystem.IsLinux() || args.Length == 0)
        {
            return null;
        }

        byte[] all;
        try
        {
            all = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var entries = new List<byte[]>();
        var rest = all.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            end = end < 0 ? rest.Length : end;
            entries.Add(rest[..end].ToArray());
            rest = rest[Math.Min(end + 1, rest.Length)..];
        }

        if (entries.Count < args.Length)
        {
            return null;
        }

        var tail = entries[^args.Length..];
        // Only trusted when every entry decodes to the argument .NET gave us (a host may rewrite arguments).
        for (var i = 0; i < args.Length; i++)
        {
            if (Encoding.UTF8.GetString(tail[i]) != args[i])
            {
                return null;
            }
        }

        return tail;
    }
}
