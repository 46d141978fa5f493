using System.Buffers;
using System.IO.Compression;

namespace ImageMeta.Extractor;

/// <summary>
/// Expands compressed metadata (a PNG's zlib text and profile chunks, a JPEG XL's Brotli boxes) up to a size cap, so a
/// small bomb costs at most the cap. Damaged or oversized data gives null: the image stands without that metadata.
/// </summary>
internal static class BoundedExpansion
{
    /// <summary>zlib data (RFC 1950), at most <paramref name="maxBytes"/> expanded.</summary>
    public static byte[]? Zlib(ReadOnlyMemory<byte> compressed, int maxBytes) =>
        ReadAll(compressed, input => new ZLibStream(input, CompressionMode.Decompress), maxBytes);

    /// <summary>
    /// Brotli data (RFC 7932), at most <paramref name="maxBytes"/> expanded: decoded straight into a pooled buffer that
    /// doubles as needed (a BrotliStream would take a 64 KB buffer and a copy for kilobytes of EXIF).
    /// </summary>
    public static byte[]? Brotli(ReadOnlyMemory<byte> compressed, int maxBytes)
    {
        using var decoder = new BrotliDecoder();
        var output = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1L, Math.Max(4096L, compressed.Length * 4L)));
        try
        {
            var source = compressed.Span;
            var written = 0;
            while (true)
            {
                var status = decoder.Decompress(source, output.AsSpan(written), out var consumed, out var produced);
                source = source[consumed..];
                written += produced;
                if (written > maxBytes)
                {
                    return null;
                }

                if (status == OperationStatus.Done)
                {
                    return output.AsSpan(0, written).ToArray();
                }

                if (status != OperationStatus.DestinationTooSmall || output.Length > maxBytes)
                {
                    return null; // damaged, cut short, or larger than the cap
                }

                var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1L, output.Length * 2L));
                output.AsSpan(0, written).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(output);
                output = grown;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private static byte[]? ReadAll(ReadOnlyMemory<byte> compressed, Func<Stream, Stream> decompressor, int maxBytes)
    {
        try
        {
            using var input = new ReadOnlyMemoryStream(compressed);
            using var expanding = decompressor(input);
            using var output = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = expanding.Read(chunk)) > 0)
            {
                output.Write(chunk, 0, read);
                if (output.Length > maxBytes)
                {
                    return null;
                }
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
