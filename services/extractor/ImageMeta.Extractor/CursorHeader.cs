using System.Buffers.Binary;

namespace ImageMeta.Extractor;

/// <summary>
/// Windows cursors (CUR): an ICO directory with type 2 and hotspots where ICO has planes and bit depth. Skia's ICO codec
/// refuses type 2, and MetadataExtractor reads only the directory's byte-sized (so 256-capped) sizes. The largest
/// entry's size comes from its own image header (a BMP info header, whose height counts the AND mask twice, or a PNG IHDR).
/// </summary>
internal static class CursorHeader
{
    private const string Name = "CUR";

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        if (!bytes.Has(0, 6))
        {
            return bytes.Missing(Name, "directory");
        }

        var count = bytes.U16(4, little: true);
        if (!bytes.Has(6, count * 16L))
        {
            return bytes.Missing(Name, "directory");
        }

        long width = 0, height = 0, end = 0;
        var alpha = false;
        for (var i = 0; i < count; i++)
        {
            var entry = 6 + (i * 16L);
            var size = bytes.U32(entry + 8, little: true);
            var offset = bytes.U32(entry + 12, little: true);
            end = Math.Max(end, (long)offset + size);
            if (!bytes.TryGet(offset, 26, out var image))
            {
                continue;
            }

            var header = image.Span;
            long w, h;
            bool transparent;
            if (header.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']))
            {
                w = BinaryPrimitives.ReadUInt32BigEndian(header[16..]);
                h = BinaryPrimitives.ReadUInt32BigEndian(header[20..]);
                transparent = true;
            }
            else if (BinaryPrimitives.ReadUInt32LittleEndian(header) >= 40)
            {
                w = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(header[4..]));
                h = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(header[8..])) / 2;
                transparent = true; // the AND mask makes every cursor transparent somewhere
            }
            else
            {
                return FormatHeaderRead.Corrupt(Name, $"entry {i} holds neither a BMP nor a PNG image");
            }

            if (w * h > width * height)
            {
                (width, height, alpha) = (w, h, transparent);
            }
        }

        if (width == 0)
        {
            return count == 0 ? FormatHeaderRead.Corrupt(Name, "it has no images") : bytes.Missing(Name, "images");
        }

        return new FormatHeader { Width = width, Height = height, HasAlpha = alpha, DeclaredLength = end };
    }
}
