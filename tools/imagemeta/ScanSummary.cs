using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Cli;

/// <summary>
/// The running totals of a scan, for the progress line and the closing summary on stderr: files, ok, failures
/// by class (<c>unreadable</c> for files that could not be opened or read), the bytes the files hold and the
/// bytes actually read (all of them when hashing, the headers with <c>--no-hash</c>), and the rate.
/// Not thread-safe: the scan adds results under its output lock.
/// </summary>
public sealed class ScanSummary
{
    private readonly SortedDictionary<string, int> _failures = new(StringComparer.Ordinal);

    public int Files { get; private set; }

    public int Ok { get; private set; }

    /// <summary>Files that could not be opened or read.</summary>
    public int Unreadable => _failures.GetValueOrDefault(UnreadableClass);

    public long Bytes { get; private set; }

    public long BytesRead { get; private set; }

    private const string UnreadableClass = "unreadable";

    public void Add(Outcome<ImageMetadata>? result, long size, long read)
    {
        Files++;
        Bytes += size;
        BytesRead += read;
        if (result?.Succeeded == true)
        {
            Ok++;
        }
        else
        {
            var failureClass = result?.Failure?.Class ?? UnreadableClass;
            _failures[failureClass] = _failures.GetValueOrDefault(failureClass) + 1;
        }
    }

    public string Progress(int scanned, int total, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"scanned {scanned}/{total} files, {Megabytes(Bytes)} MB, {Rate(elapsed)} MB/s");

    /// <summary>"1200 files, 1190 ok, 10 failed (8 corrupt, 2 unsupported); 1450.2 MB in 1.21 s, 1198.5 MB/s; 1450.2 MB read".</summary>
    public string Closing(TimeSpan elapsed)
    {
        var failed = Files - Ok;
        var classes = failed == 0 ? string.Empty : $" ({string.Join(", ", _failures.Select(f => $"{f.Value} {f.Key}"))})";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Files} files, {Ok} ok, {failed} failed{classes}; {Megabytes(Bytes)} MB in {elapsed.TotalSeconds:0.00} s, {Rate(elapsed)} MB/s; {Megabytes(BytesRead)} MB read");
    }

    private string Rate(TimeSpan elapsed) => Megabytes(elapsed.TotalSeconds > 0 ? (long)(Bytes / elapsed.TotalSeconds) : 0);

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);
}
