using System.Buffers.Binary;
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

        if (head.Length >= 6 && head[0] == 0 && head[1] == 0 && head[2] == 1 && head[3] == 0 && head[4] != 0)
        {
            return new("ICO", ImageFormats.Ico);
        }

        if (head.Length >= 6 && head[0] == 0 && head[1] == 0 && head[2] == 2 && head[3] == 0 && head[4] != 0)
        {
            return new("CUR (a Windows cursor)", ImageFormats.Cur);
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(head[8..12]);
            return brand switch
            {
                "avif" or "avis" => new("AVIF", ImageFormats.Avif),
                "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1" or "mif2" => new("HEIF", ImageFormats.Heif),
                "crx " => new("Canon CR3 (camera RAW)", ImageFormats.Cr3),
                "qt  " => new("QuickTime video", null),
                "M4A " or "M4B " or "F4A " => new("MPEG-4 audio", null),
                "3gp4" or "3gp5" or "3gp6" or "3g2a" or "isom" or "iso2" or "iso4" or "iso5" or "iso6" or "mp41" or "mp42" or "avc1" or "M4V " or "MSNV" or "dash"
                    => new("MPEG-4 video", null),
                _ => new($"ISO media ('{Printable(brand)}' brand, e.g. a video)", null),
            };
        }

        // QuickTime files that start with another atom than ftyp.
        if (head.Length >= 8 && (head[4..8].SequenceEqual("moov"u8) || head[4..8].SequenceEqual("mdat"u8) || head[4..8].SequenceEqual("wide"u8)
            || head[4..8].SequenceEqual("pnot"u8) || head[4..8].SequenceEqual("free"u8) || head[4..8].SequenceEqual("skip"u8)))
        {
            return new("QuickTime video", null);
        }

        if (head.StartsWith("FUJIFILMCCD-RAW"u8))
        {
            return new("Fujifilm RAF (camera RAW)", ImageFormats.Raf);
        }

        // Olympus replaces TIFF's 42 with 0x4F52 ("OR") or 0x5352 ("SR"), in either byte order (exiftool's TIFF identifiers).
        if (head.StartsWith("IIRO"u8) || head.StartsWith("IIRS"u8) || head.StartsWith("MMOR"u8) || head.StartsWith("MMSR"u8))
        {
            return new("Olympus ORF (camera RAW)", ImageFormats.Orf);
        }

        if (head.StartsWith("IIU\0"u8))
        {
            return new("Panasonic RW2 (camera RAW)", ImageFormats.Rw2);
        }

        if (head.Length >= 8 && (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8) || head.StartsWith("II+\0"u8) || head.StartsWith("MM\0+"u8)))
        {
            return TiffKind(head);
        }

        if (head.StartsWith("8BPS"u8))
        {
            return new("Photoshop document (PSD)", ImageFormats.Psd);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
        {
            return new("JPEG 2000", ImageFormats.Jpeg2000);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
        {
            return new("JPEG XL", ImageFormats.JpegXl);
        }

        if (head.Length >= 3 && head[0] == (byte)'P' && head[1] is >= (byte)'1' and <= (byte)'7' && head[2] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            return new("Netpbm", ImageFormats.Netpbm);
        }

        if (NonImage(head) is { } other)
        {
            return new(other, null);
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
    /// What kind of TIFF-shaped file this is: DNG (IFD0 has DNGVersion), a camera's RAW (Canon CR2 has "CR" at byte 8;
    /// Nikon, Sony, Pentax and Samsung by IFD0's Make), or plain TIFF. Reads IFD0's entries in the head only.
    /// </summary>
    private static Sniffed TiffKind(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 10 && head[8] == (byte)'C' && head[9] == (byte)'R')
        {
            return new("Canon CR2 (camera RAW)", ImageFormats.Cr2);
        }

        var little = head[0] == (byte)'I';
        if ((little ? head[2] : head[3]) == 43)
        {
            return new("BigTIFF", ImageFormats.Tiff);
        }

        uint U32(ReadOnlySpan<byte> bytes, long at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[(int)at..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)at..]);
        ushort U16(ReadOnlySpan<byte> bytes, long at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(int)at..]) : BinaryPrimitives.ReadUInt16BigEndian(bytes[(int)at..]);
        long ifd = U32(head, 4);
        if (ifd + 2 > head.Length)
        {
            return new("TIFF", ImageFormats.Tiff);
        }

        var count = U16(head, ifd);
        string? make = null;
        for (var i = 0; i < count && ifd + 2 + ((i + 1) * 12) <= head.Length; i++)
        {
            var entry = ifd + 2 + (i * 12);
            var tag = U16(head, entry);
            if (tag == 0xC612)
            {
                return new("DNG (camera RAW)", ImageFormats.Dng);
            }

            if (tag == 0x010F)
            {
                long length = U32(head, entry + 4);
                var at = length <= 4 ? entry + 8 : U32(head, entry + 8);
                if (length is > 0 and < 64 && at + length <= head.Length)
                {
                    make = Encoding.ASCII.GetString(head.Slice((int)at, (int)length)).TrimEnd('\0', ' ').ToUpperInvariant();
                }
            }
        }

        return make switch
        {
            not null when make.StartsWith("NIKON", StringComparison.Ordinal) => new("Nikon NEF (camera RAW)", ImageFormats.Nef),
            not null when make.StartsWith("SONY", StringComparison.Ordinal) => new("Sony ARW (camera RAW)", ImageFormats.Arw),
            not null when make.StartsWith("PENTAX", StringComparison.Ordinal) || make.StartsWith("RICOH", StringComparison.Ordinal) => new("Pentax PEF (camera RAW)", ImageFormats.Pef),
            not null when make.StartsWith("SAMSUNG", StringComparison.Ordinal) => new("Samsung SRW (camera RAW)", ImageFormats.Srw),
            _ => new("TIFF", ImageFormats.Tiff),
        };
    }

    /// <summary>Video, audio, documents, archives, fonts and programs, named by what they are.</summary>
    private static string? NonImage(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("%PDF"u8))
        {
            return "PDF document";
        }

        if (head.StartsWith("PK\u0003\u0004"u8))
        {
            return Contains(head, "word/"u8) ? "Word document (DOCX)"
                : Contains(head, "xl/"u8) ? "Excel workbook (XLSX)"
                : Contains(head, "ppt/"u8) ? "PowerPoint presentation (PPTX)"
                : Contains(head, "mimetypeapplication/vnd.oasis.opendocument"u8) ? "OpenDocument file"
                : Contains(head, "mimetypeapplication/epub+zip"u8) ? "EPUB book"
                : "ZIP archive";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            return "Microsoft Office document (OLE)";
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            return head[8..12].SequenceEqual("AVI "u8) ? "AVI video" : head[8..12].SequenceEqual("WAVE"u8) ? "WAV audio" : "RIFF file";
        }

        foreach (var (magic, name) in KnownNonImages)
        {
            if (head.StartsWith(magic))
            {
                return name;
            }
        }

        return head.Length > 262 && head[257..262].SequenceEqual("ustar"u8) ? "tar archive" : null;
    }

    private static readonly (byte[] Magic, string Name)[] KnownNonImages =
    [
        ([0x1A, 0x45, 0xDF, 0xA3], "Matroska or WebM video"),
        ("FLV"u8.ToArray(), "Flash video"),
        ([0x00, 0x00, 0x01, 0xBA], "MPEG video"),
        ([0x00, 0x00, 0x01, 0xB3], "MPEG video"),
        ("ID3"u8.ToArray(), "MP3 audio"),
        ("fLaC"u8.ToArray(), "FLAC audio"),
        ("OggS"u8.ToArray(), "Ogg media"),
        ([0x1F, 0x8B], "gzip archive"),
        ("BZh"u8.ToArray(), "bzip2 archive"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz archive"),
        ([0x28, 0xB5, 0x2F, 0xFD], "Zstandard archive"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7-Zip archive"),
        ("Rar!"u8.ToArray(), "RAR archive"),
        ([0x00, 0x01, 0x00, 0x00, 0x00], "TrueType font"),
        ("OTTO"u8.ToArray(), "OpenType font"),
        ("ttcf"u8.ToArray(), "TrueType font collection"),
        ("wOFF"u8.ToArray(), "WOFF font"),
        ("wOF2"u8.ToArray(), "WOFF2 font"),
        ([0x7F, (byte)'E', (byte)'L', (byte)'F'], "ELF executable"),
        ("SQLite format 3"u8.ToArray(), "SQLite database"),
    ];

    /// <summary>
    /// Whether content that Skia's WBMP codec accepts really is a WBMP: type 0, fixed header 0, width and height as
    /// multi-byte integers, then exactly ⌈width / 8⌉ × height bytes of rows. WBMP has no magic number, so without this
    /// any content starting <c>00 00</c> and two small bytes (a QuickTime movie, for one) passes as a tiny WBMP.
    /// </summary>
    public static bool IsWbmp(ReadOnlySpan<byte> head, long length)
    {
        if (head.Length < 4 || head[0] != 0 || head[1] != 0)
        {
            return false;
        }

        var at = 2;
        if (!MultiByte(head, ref at, out var width) || !MultiByte(head, ref at, out var height) || width == 0 || height == 0)
        {
            return false;
        }

        return length == at + ((width + 7) / 8 * height);
    }

    private static bool MultiByte(ReadOnlySpan<byte> head, ref int at, out long value)
    {
        value = 0;
        for (var i = 0; i < 4 && at < head.Length; i++)
        {
            var b = head[at++];
            value = (value << 7) | (b & 0x7Fu);
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
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
