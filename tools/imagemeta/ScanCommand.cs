using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Extractor;
using Microsoft.Win32.SafeHandles;

namespace ImageMeta.Cli;

/// <summary>
/// <c>imagemeta scan PATH... [--jsonl] [--verify] [--parallel N]</c>: inspects files and folders and
/// writes one result per file, in the order the files were named or found, whatever the parallelism.
/// </summary>
public sealed class ScanCommand(TextWriter output, TextWriter error, bool errorIsTerminal, Func<string, FilePath>? pathOf = null)
{
    public const string Usage = "usage: imagemeta scan PATH... [--jsonl] [--verify] [--parallel N] [--max-bytes N] [--max-pixels N]";

    /// <summary>Parsed arguments.</summary>
    public sealed record Arguments(IReadOnlyList<string> Paths, bool Jsonl, bool Verify, int Parallel, ExtractionOptions Options);

    public static Arguments? Parse(IReadOnlyList<string> args, out string? problem)
    {
        problem = null;
        var paths = new List<string>();
        var jsonl = false;
        var verify = false;
        var parallel = Environment.ProcessorCount;
        var options = new ExtractionOptions();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--jsonl":
                    jsonl = true;
                    break;
                case "--verify":
                    verify = true;
                    break;
                case "--parallel" or "--max-bytes" or "--max-pixels" when i + 1 < args.Count && long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    if (args[i] == "--parallel")
                    {
                        parallel = (int)Math.Min(n, 256);
                    }
                    else if (args[i] == "--max-bytes")
                    {
                        options.MaxBytes = Math.Min(n, int.MaxValue - 64);
                    }
                    else
                    {
                        options.MaxPixels = n;
                    }

                    i++;
                    break;
                case "--parallel" or "--max-bytes" or "--max-pixels":
                    problem = $"{args[i]} needs a positive whole number";
                    return null;
                case "--":
                    paths.AddRange(args.Skip(i + 1));
                    i = args.Count;
                    break;
                case var flag when flag.StartsWith("--", StringComparison.Ordinal):
                    problem = $"unknown option {flag}";
                    return null;
                default:
                    paths.Add(args[i]);
                    break;
            }
        }

        if (paths.Count == 0)
        {
            problem = "name at least one file or folder";
            return null;
        }

        return new Arguments(paths, jsonl, verify, parallel, options);
    }

    public async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var gate = new object();
        var failures = 0;
        void Notice(string text)
        {
            lock (gate)
            {
                error.WriteLine($"imagemeta: {text}");
            }
        }

        var finder = new FileFinder(Notice, text =>
        {
            Interlocked.Increment(ref failures);
            Notice(text);
        });
        var targets = finder.Find(arguments.Paths.Select(pathOf ?? FilePath.FromText), cancellationToken);
        var inspector = new ImageInspector(arguments.Options);
        var results = new Outcome[targets.Count];
        var done = new bool[targets.Count];
        var next = 0;
        var unreadable = 0;
        var started = DateTime.UtcNow;
        var lastProgress = DateTime.MinValue;

        if (!arguments.Jsonl)
        {
            await output.WriteLineAsync(TableRow("FILE", "RESULT", "FORMAT", "SIZE", "FRAMES", "BYTES", "TAKEN", "CAMERA"));
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(0, targets.Count),
            new ParallelOptions { MaxDegreeOfParallelism = arguments.Parallel, CancellationToken = cancellationToken },
            async (index, token) =>
            {
                try
                {
                    results[index] = await InspectAsync(inspector, targets[index].Path, arguments.Verify, Notice, token);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    results[index] = new Outcome(null, e.Message);
                }

                lock (gate)
                {
                    done[index] = true;
                    // Emit in order: everything finished up to the first gap.
                    while (next < targets.Count && done[next])
                    {
                        var (result, ioError, skipped) = results[next];
                        if (!skipped)
                        {
                            unreadable += ioError is null ? 0 : 1;
                            output.WriteLine(arguments.Jsonl ? JsonLine(targets[next].Display, result, ioError) : TableLine(targets[next].Display.Text, result, ioError));
                        }

                        results[next] = default;
                        next++;
                    }

                    if (errorIsTerminal && DateTime.UtcNow - started > TimeSpan.FromSeconds(2) && DateTime.UtcNow - lastProgress > TimeSpan.FromMilliseconds(500))
                    {
                        lastProgress = DateTime.UtcNow;
                        error.Write($"\rscanned {next}/{targets.Count} files");
                    }
                }
            });

        if (errorIsTerminal && DateTime.UtcNow - started > TimeSpan.FromSeconds(2))
        {
            await error.WriteLineAsync($"\rscanned {targets.Count}/{targets.Count} files");
        }

        await output.FlushAsync(cancellationToken);
        return failures + unreadable == 0 ? 0 : 1;
    }

    /// <summary>What scanning one file gave: a result, an I/O error, or nothing when it was skipped.</summary>
    private readonly record struct Outcome(ExtractionResult? Result, string? IoError, bool Skipped = false);

    /// <summary>
    /// On Linux the file is opened by its raw name and without blocking, and scanned only if the opened
    /// descriptor is a regular file (it may have been swapped for a FIFO since it was found).
    /// </summary>
    private static async Task<Outcome> InspectAsync(ImageInspector inspector, FilePath path, bool verify, Action<string> notice, CancellationToken cancellationToken)
    {
        if (!Libc.Usable)
        {
            return new Outcome(await inspector.InspectFileAsync(path.Text, verify, cancellationToken), null);
        }

        var descriptor = Libc.OpenForReading(path.Bytes, out var openError);
        if (descriptor < 0)
        {
            return new Outcome(null, Libc.Message(openError));
        }

        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        var statError = Libc.Stat(handle, out var status);
        if (statError != 0)
        {
            return new Outcome(null, Libc.Message(statError));
        }

        if (status.Type != Libc.TypeRegular)
        {
            notice($"skipped {path}: no longer a regular file");
            return new Outcome(null, null, Skipped: true);
        }

        await using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
        return new Outcome(await inspector.InspectAsync(stream, verify, cancellationToken: cancellationToken), null);
    }

    /// <summary>One JSON object: file, ok, the contract's fields (camelCase) and, on failure, the error.</summary>
    /// <remarks>
    /// <c>file</c> is the name as text; when the name is not valid UTF-8 it shows each invalid byte as
    /// <c>\xHH</c> and <c>fileBytes</c> carries the exact name in base64, so a consumer can always get the
    /// bytes back: base64-decode <c>fileBytes</c> when present, else UTF-8-encode <c>file</c>.
    /// </remarks>
    public static string JsonLine(FilePath file, ExtractionResult? result, string? ioError)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("file", file.Text);
            if (!file.IsUtf8)
            {
                writer.WriteBase64String("fileBytes", file.Bytes);
            }

            writer.WriteBoolean("ok", result?.Succeeded == true);
            if (result?.Metadata is { } metadata)
            {
                foreach (var property in JsonSerializer.SerializeToElement(metadata, ContractJsonContext.Default.ImageMetadata).EnumerateObject())
                {
                    property.WriteTo(writer);
                }
            }
            else
            {
                writer.WriteStartObject("error");
                writer.WriteString("class", result?.Failure?.Class ?? "unreadable");
                writer.WriteString("message", result?.Failure?.Message ?? ioError);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string TableLine(string file, ExtractionResult? result, string? ioError)
    {
        if (result?.Metadata is not { } m)
        {
            return TableRow(file, result?.Failure?.Class ?? "unreadable", "-", "-", "-", "-", "-", result?.Failure?.Message ?? ioError ?? string.Empty);
        }

        var camera = string.Join(' ', new[] { m.Exif?.CameraMake, m.Exif?.CameraModel }.Where(s => !string.IsNullOrEmpty(s)));
        return TableRow(file, "ok", m.Format, $"{m.Width}x{m.Height}", m.FrameCount.ToString(CultureInfo.InvariantCulture),
            m.ByteSize.ToString(CultureInfo.InvariantCulture), m.Exif?.TakenAt ?? "-", camera.Length == 0 ? "-" : camera);
    }

    private static string TableRow(string file, string result, string format, string size, string frames, string bytes, string taken, string camera) =>
        string.Create(CultureInfo.InvariantCulture, $"{Fit(file, 40),-40} {result,-11} {format,-5} {size,-11} {frames,6} {bytes,10} {taken,-25} {camera}");

    private static string Fit(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];
}
