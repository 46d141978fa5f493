using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// The embedded JPEG preview a camera RAW carries, found without reading its container: every RAW format the extractor
/// names (DNG, CR2, CR3, NEF, ARW, RAF, RW2, ORF, PEF, SRW) stores its previews as plain baseline JPEG streams, so
/// the largest stream that Skia's JPEG codec opens is the camera's own rendering of the picture. A thumbnail from it
/// takes tens of milliseconds; developing the sensor data takes seconds and the memory of the full sensor. The raw
/// sensor data itself never qualifies (CR2 and DNG store it as lossless JPEG, which the codec refuses), and the
/// search is bounded: at most <see cref="MaxCandidates"/> start markers are tried, each by its header alone.
/// </summary>
public static class RawPreview
{
    /// <summary>Start-of-image markers tried at most (a RAW has a handful of previews; hostile data may have millions of markers).</summary>
    public const int MaxCandidates = 64;

    /// <summary>The largest embedded JPEG (by its pixels) in <paramref name="content"/>: its bytes to the end of the content, and its size; null when none opens.</summary>
    public static unsafe (ReadOnlyMemory<byte> Jpeg, SKSizeI Size)? Largest(ReadOnlyMemory<byte> content)
    {
        ReadOnlyMemory<byte>? best = null;
        var bestSize = SKSizeI.Empty;
        var from = 0;
        using var pin = content.Pin();
        for (var tried = 0; tried < MaxCandidates && from < content.Length; tried++)
        {
            var found = content.Span[from..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]);
            if (found < 0)
            {
                break;
            }

            var at = from + found;
            from = at + 3;
            using var data = SKData.Create((IntPtr)((byte*)pin.Pointer + at), content.Length - at);
            using var codec = SKCodec.Create(data);
            if (codec is { EncodedFormat: SKEncodedImageFormat.Jpeg } && codec.Info.Width > 0 && codec.Info.Height > 0
                && (long)codec.Info.Width * codec.Info.Height > (long)bestSize.Width * bestSize.Height)
            {
                best = content[at..];
                bestSize = codec.Info.Size;
            }
        }

        return best is { } jpeg ? (jpeg, bestSize) : null;
    }
}
