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

    /// <summary>Brotli data (RFC 7932), at most <paramref name="maxBytes"/> expanded.</summary>
    public static byte[]? Brotli(ReadOnlyMemory<byte> compressed, int maxBytes) =>
        ReadAll(compressed, input => new BrotliStream(input, CompressionMode.Decompress), maxBytes);

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
