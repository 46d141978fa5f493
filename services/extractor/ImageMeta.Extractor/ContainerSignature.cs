using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// Recognises file types from their first bytes. The codec decides what it can decode; this only lets
/// us say precisely why it could not: a known image format that fails to open is <c>corrupt</c>, a
/// format we do not decode or a non-image is <c>unsupported</c>, named either way.
/// </summary>
public static class ContainerSignature
{
    /// <summary>What the leading bytes say the content is.</summary>
    /// <param name="Name">Human-readable type, for messages.</param>
    /// <param name="ImageFormat">The <see cref="ImageFormats"/> value when it is a format we decode; null otherwise.</param>
    public sealed record Sniffed(string Name, string? ImageFormat);

    public static Sniffed Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return new("JPEG", ImageFormats.Jpeg);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return new("PNG", ImageFormats.Png);
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return new("GIF", ImageFormats.Gif);
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return new("WebP", ImageFormats.Webp);
        }

        if (head.StartsWith("BM"u8) && head.Length >= 14)
        {
            return new("BMP", ImageFormats.Bmp);
        }

        if (head.Length >= 6 && head[0] == 0 && head[1] == 0 && (head[2] == 1 || head[2] == 2) && head[3] == 0 && head[4] != 0)
        {
            return new("ICO", ImageFormats.Ico);
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(head[8..12]);
            return brand switch
            {
                "avif" or "avis" => new("AVIF", ImageFormats.Avif),
                "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1" => new("HEIF", ImageFormats.Heif),
                _ => new($"ISO media ('{Printable(brand)}' brand, e.g. a video)", null),
            };
        }

        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8))
        {
            // DNG is TIFF-shaped; plain TIFF is not something Skia decodes.
            return new("TIFF or DNG", ImageFormats.Dng);
        }

        if (head.StartsWith("%PDF"u8))
        {
            return new("PDF document", null);
        }

        if (head.StartsWith("PK\u0003\u0004"u8))
        {
            return new("ZIP archive", null);
        }

        if (head.StartsWith("8BPS"u8))
        {
            return new("Photoshop document", null);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
        {
            return new("JPEG 2000", null);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
        {
            return new("JPEG XL", null);
        }

        var trimmed = TrimStart(head);
        if (trimmed.StartsWith("<svg"u8) || (trimmed.StartsWith("<?xml"u8) && Contains(head, "<svg"u8)))
        {
            return new("SVG (vector graphics are not decoded)", null);
        }

        if (trimmed.StartsWith("<"u8))
        {
            return new("HTML or XML text", null);
        }

        return LooksLikeText(head) ? new("text", null) : new("unrecognised binary data", null);
    }

    /// <summary>
    /// False when a format with a mandatory end marker lacks it, which is how truncation shows without
    /// decoding. True when the format has no such marker or the marker is there.
    /// </summary>
    public static bool HasEndMarker(string format, ReadOnlySpan<byte> content)
    {
        // Writers sometimes pad after the marker; look at a short tail rather than the last bytes only.
        var tail = content[Math.Max(0, content.Length - 64)..];
        return format switch
        {
            ImageFormats.Jpeg => tail.IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0,
            ImageFormats.Png => tail.IndexOf("IEND"u8) >= 0,
            ImageFormats.Gif => tail.IndexOf((byte)0x3B) >= 0,
            _ => true,
        };
    }

    /// <summary>
    /// Whether a JPEG's frame header (read by walking marker segments up to the first scan) is progressive
    /// (SOF2, SOF6, SOF10, SOF14). False when the markers cannot be walked.
    /// </summary>
    public static bool IsProgressiveJpeg(ReadOnlySpan<byte> jpeg)
    {
        var at = 2;
        while (at + 4 <= jpeg.Length && jpeg[at] == 0xFF)
        {
            var marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE)
            {
                return true;
            }

            if (marker is 0xDA or 0xD9)
            {
                return false;
            }

            at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
        }

        return false;
    }

    private static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            head = head[3..];
        }

        var i = 0;
        while (i < head.Length && head[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return head[i..];
    }

    private static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return false;
        }

        var printable = 0;
        foreach (var b in head)
        {
            if (b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\r' or (byte)'\n' or >= 0x80)
            {
                printable++;
            }
        }

        return printable >= head.Length * 0.95;
    }

    private static string Printable(string text) => new(text.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '?').ToArray());
}
