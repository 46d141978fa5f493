using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageMeta.Contracts;
using ImageMeta.Extractor;
using Microsoft.Win32.SafeHandles;

namespace ImageMeta.Cli;

/// <summary>
/// <c>imagemeta scan PATH... [--jsonl] [--verify | --no-hash] [--parallel N]</c>: inspects files and folders
/// and writes one result per file, in the order the files were named or found, whatever the parallelism; a
/// progress line (on a terminal) and a closing summary go to stderr.
/// </summary>
public sealed class ScanCommand(TextWriter output, TextWriter error, bool errorIsTerminal, Func<string, FilePath>? pathOf = null)
{
    /// <summary>Every file was read (rejected images included).</summary>
    public const int ExitScanned = 0;

    /// <summary>A path was missing or unreadable, a folder could not be listed, or a file could not be opened or read.</summary>
    public const int ExitUnreadable = 1;

    /// <summary>The command line was not understood.</summary>
    public const int ExitUsage = 2;

    private static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Parsed arguments.</summary>
    public sealed record Arguments(IReadOnlyList<string> Paths, bool Jsonl, bool Verify, int Parallel, ExtractionOptions Options, bool Hash = true);

    private static readonly Argument<string[]> PathsArgument = new("PATH")
    {
        Description = "Files and folders to scan; folders are walked recursively (symbolic links followed, each folder once).",
        Arity = ArgumentArity.OneOrMore,
    };

    private static readonly Option<bool> JsonlOption = new("--jsonl") { Description = "One JSON object per file (the contract's fields, or error {class, message}) instead of a table." };

    private static readonly Option<bool> VerifyOption = new("--verify") { Description = "Decode every pixel to prove the data intact (reads and holds each whole file)." };

    private static readonly Option<bool> NoHashOption = new("--no-hash")
    {
        Description = "Header facts only: read the header and EXIF (and the block headers that count GIF/WebP frames), never the whole file; no sha256, verified false.",
    };

    private static readonly Option<int> ParallelOption = WholeNumber("--parallel", "Files scanned at once (the default is the processor count).", Environment.ProcessorCount, 256);

    private static readonly Option<long> MaxBytesOption = WholeNumber("--max-bytes", "Largest file accepted, in bytes; larger ones are too-large.", new ExtractionOptions().MaxBytes, int.MaxValue - 64);

    private static readonly Option<long> MaxPixelsOption = WholeNumber("--max-pixels", "Largest frame accepted, in pixels (width × height, from the header).", new ExtractionOptions().MaxPixels, long.MaxValue);

    /// <summary>The <c>scan</c> command's grammar: its argument, typed options and their checks.</summary>
    public static Command Definition()
    {
        var command = new Command("scan", """
            Scan image files: format, size, frames, alpha, orientation, EXIF, SHA-256.
            Exit codes: 0 every file was read (rejected images included); 1 a path, folder or file could not be read
            (reported on stderr, the rest still scanned); 2 usage error; 130 interrupted (Ctrl-C).
            """)
        {
            PathsArgument, JsonlOption, VerifyOption, NoHashOption, ParallelOption, MaxBytesOption, MaxPixelsOption,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(VerifyOption) && result.GetValue(NoHashOption))
            {
                result.AddError("--verify decodes whole files and --no-hash reads only headers: choose one.");
            }
        });
        return command;
    }

    /// <summary>An option taking a whole number from 1 to <paramref name="largest"/>: anything else is a usage error, never an exception.</summary>
    private static Option<T> WholeNumber<T>(string name, string description, T fallback, T largest)
        where T : struct, System.Numerics.INumber<T> => new(name)
        {
            Description = description,
            HelpName = "N",
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (T.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > T.Zero && value <= largest)
                {
                    return value;
                }

                result.AddError($"{name} needs a whole number from 1 to {largest}, not '{text}'.");
                return fallback;
            },
        };

    /// <summary>The arguments of a parsed <c>scan</c> command line.</summary>
    public static Arguments From(ParseResult result)
    {
        var options = new ExtractionOptions { MaxBytes = result.GetValue(MaxBytesOption), MaxPixels = result.GetValue(MaxPixelsOption) };
        return new Arguments(result.GetValue(PathsArgument) ?? [], result.GetValue(JsonlOption), result.GetValue(VerifyOption),
            result.GetValue(ParallelOption), options, Hash: !result.GetValue(NoHashOption));
    }

    /// <summary>Parses the words after <c>scan</c>; null with the problem when they are not a valid command line.</summary>
    public static Arguments? Parse(IReadOnlyList<string> args, out string? problem)
    {
        var result = Definition().Parse(args);
        var problems = Problems(result);
        problem = problems.Count == 0 ? null : string.Join("; ", problems);
        return problem is null ? From(result) : null;
    }

    /// <summary>
    /// The parser's errors, and words that look like options but are none: the parser would take <c>--bogus</c>
    /// for a path, and a typo must not silently scan nothing. After <c>--</c> every word is a path.
    /// </summary>
    public static List<string> Problems(ParseResult result)
    {
        var problems = result.Errors.Select(e => e.Message).ToList();
        foreach (var token in result.Tokens)
        {
            if (token.Type == System.CommandLine.Parsing.TokenType.DoubleDash)
            {
                break;
            }

            if (token.Type == System.CommandLine.Parsing.TokenType.Argument && token.Value.Length > 1 && token.Value[0] == '-')
            {
                problems.Add($"unknown option {token.Value}");
            }
        }

        return problems;
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
        var summary = new ScanSummary();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        var progressShown = false;

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
                    results[index] = await InspectAsync(inspector, targets[index].Path, arguments, Notice, token);
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
                        var outcome = results[next];
                        if (!outcome.Skipped)
                        {
                            summary.Add(outcome.Result, outcome.Size, outcome.Read);
                            output.WriteLine(arguments.Jsonl ? JsonLine(targets[next].Display, outcome.Result, outcome.IoError) : TableLine(targets[next].Display.Text, outcome.Result, outcome.IoError));
                        }

                        results[next] = default;
                        next++;
                    }

                    if (errorIsTerminal && clock.Elapsed > ProgressAfter && clock.Elapsed - lastProgress > ProgressEvery)
                    {
                        lastProgress = clock.Elapsed;
                        progressShown = true;
                        error.Write($"\r\e[K{summary.Progress(next, targets.Count, clock.Elapsed)}");
                    }
                }
            });

        await output.FlushAsync(cancellationToken);
        await error.WriteLineAsync($"{(progressShown ? "\r\e[K" : string.Empty)}imagemeta: {summary.Closing(clock.Elapsed)}");
        return failures + summary.Unreadable == 0 ? ExitScanned : ExitUnreadable;
    }

    /// <summary>What scanning one file gave: a result, an I/O error, or nothing when it was skipped; its size and the bytes read.</summary>
    private readonly record struct Outcome(Outcome<ImageMetadata>? Result, string? IoError, bool Skipped = false, long Size = 0, long Read = 0);

    /// <summary>
    /// On Linux the file is opened by its raw name and without blocking, and scanned only if the opened
    /// descriptor is a regular file (it may have been swapped for a FIFO since it was found).
    /// </summary>
    private static async Task<Outcome> InspectAsync(ImageInspector inspector, FilePath path, Arguments arguments, Action<string> notice, CancellationToken cancellationToken)
    {
        if (!Libc.Usable)
        {
            await using var file = new ReadCountingStream(new FileStream(path.Text, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan));
            return new Outcome(await inspector.ScanAsync(file, arguments.Hash, arguments.Verify, cancellationToken), null, Size: file.Length, Read: file.BytesRead);
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

        await using var stream = new ReadCountingStream(new FileStream(handle, FileAccess.Read, bufferSize: 1));
        return new Outcome(await inspector.ScanAsync(stream, arguments.Hash, arguments.Verify, cancellationToken), null, Size: stream.Length, Read: stream.BytesRead);
    }

    /// <summary>One JSON object: file, ok, the contract's fields (camelCase) and, on failure, the error.</summary>
    /// <remarks>
    /// <c>file</c> is the name as text; when the name is not valid UTF-8 it shows each invalid byte as
    /// <c>\xHH</c> and <c>fileBytes</c> carries the exact name in base64, so a consumer can always get the
    /// bytes back: base64-decode <c>fileBytes</c> when present, else UTF-8-encode <c>file</c>.
    /// </remarks>
    public static string JsonLine(FilePath file, Outcome<ImageMetadata>? result, string? ioError)
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
            if (result?.Value is { } metadata)
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

    private static string TableLine(string file, Outcome<ImageMetadata>? result, string? ioError)
    {
        if (result?.Value is not { } m)
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
