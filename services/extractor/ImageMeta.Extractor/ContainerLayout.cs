using System.Buffers.Binary;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// Where the facts sit inside each container, so a scan reads only those bytes: how far from the start the
/// codec's header reaches (a JPEG's segments up to its first scan, a PNG's chunks up to IDAT, a GIF's blocks
/// up to its first image, a WebP's chunks up to its first frame), a GIF's or animated WebP's frames counted by
/// walking block and chunk headers without decoding pixels, and the EXIF a WebP keeps after its image data.
/// </summary>
internal static class ContainerLayout
{
    /// <summary>
    /// What a walk beyond the header found: the frame count (null: the codec's count will do), the EXIF block (TIFF bytes),
    /// the XMP packet and the ICC profile.
    /// </summary>
    public sealed record Walk(int? Frames, ReadOnlyMemory<byte>? Exif, ReadOnlyMemory<byte>? Xmp = null, ReadOnlyMemory<byte>? Icc = null);

    /// <summary>Largest EXIF block read from a WebP's EXIF chunk; a larger one is skipped.</summary>
    private const int MaxExifBytes = 1024 * 1024;

    /// <summary>
    /// Bytes from the start that the codec needs to read the header of <paramref name="format"/>. A value
    /// beyond <paramref name="head"/>'s length means: read that far, then ask again.
    /// </summary>
    public static long HeaderExtent(string? format, ReadOnlySpan<byte> head) => format switch
    {
        ImageFormats.Jpeg => JpegHeader(head),
        ImageFormats.Png => PngHeader(head),
        ImageFormats.Gif => GifHeader(head),
        ImageFormats.Webp => WebpHeader(head),
        ImageFormats.Bmp => head.Length < 14 ? 14 : BinaryPrimitives.ReadUInt32LittleEndian(head[10..]),
        // Skia's ICO codec reads the whole file (the icons are complete images inside it); ICO files are small.
        ImageFormats.Ico => long.MaxValue,
        _ => 0,
    };

    /// <summary>
    /// The least length the header says the content has, where the format declares it (null elsewhere): a BMP's
    /// uncompressed rows (row size × height after the pixel-data offset) or its compressed size. Shorter content is
    /// truncated, which shows without decoding, as a missing end marker does for JPEG, PNG and GIF.
    /// </summary>
    public static long? DeclaredLength(string format, ReadOnlySpan<byte> head)
    {
        if (format != ImageFormats.Bmp || head.Length < 26)
        {
            return null;
        }

        var offset = BinaryPrimitives.ReadUInt32LittleEndian(head[10..]);
        var infoSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
        long width, height, bitsPerPixel;
        uint compression = 0, dataSize = 0;
        if (infoSize == 12)
        {
            // OS/2 1.x BITMAPCOREHEADER: 16-bit sizes, never compressed.
            width = BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(head[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(head[24..]);
        }
        else if (infoSize >= 40 && head.Length >= 38)
        {
            width = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[18..]));
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[22..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(head[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(head[30..]);
            dataSize = BinaryPrimitives.ReadUInt32LittleEndian(head[34..]);
        }
        else
        {
            return null;
        }

        // BI_RGB, BI_BITFIELDS and BI_ALPHABITFIELDS store whole rows padded to 4 bytes; RLE, JPEG and PNG payloads
        // declare their size (0 means "not stated", so nothing can be said).
        var rows = compression is 0 or 3 or 6
            ? ((width * bitsPerPixel + 31) / 32 * 4) * height
            : dataSize;
        return rows == 0 ? null : offset + rows;
    }

    /// <summary>
    /// Walks what the header does not hold: every GIF frame, an animated WebP's frames and a WebP's EXIF chunk, an animated
    /// JPEG XL's frame headers (null frames for a still one, or one whose frames cannot be counted).
    /// </summary>
    public static Walk WalkBeyondHeader(string? format, ContentPass pass) => format switch
    {
        ImageFormats.Gif => new Walk(GifFrames(pass), null),
        ImageFormats.Webp => WebpChunks(pass),
        ImageFormats.Png => PngChunks(pass.Head),
        ImageFormats.Jpeg => JpegSegments(pass.Head),
        ImageFormats.JpegXl => JpegXlFrames.Walk(pass),
        _ => new Walk(null, null),
    };

    private const int MaxProfileBytes = 4 * 1024 * 1024;

    /// <summary>
    /// A PNG's frames (acTL), EXIF (the eXIf chunk, else ImageMagick's <c>Raw profile type exif</c> text chunk, which is
    /// where ImageMagick and older writers keep it), XMP (the <c>XML:com.adobe.xmp</c> iTXt chunk) and ICC profile (iCCP),
    /// from the chunks before the image data.
    /// </summary>
    private static Walk PngChunks(ReadOnlyMemory<byte> head)
    {
        ReadOnlyMemory<byte>? exif = PngExif(head), xmp = null, icc = null;
        var span = head.Span;
        long at = 8;
        while (at + 8 <= span.Length)
        {
            var i = (int)at;
            var length = BinaryPrimitives.ReadUInt32BigEndian(span[i..]);
            var type = span.Slice(i + 4, 4);
            if (type.SequenceEqual("IDAT"u8) || type.SequenceEqual("IEND"u8) || at + 8 + length > span.Length)
            {
                break;
            }

            var data = head.Slice(i + 8, (int)length);
            var keywordEnd = data.Span.IndexOf((byte)0);
            if (keywordEnd > 0)
            {
                var keyword = data.Span[..keywordEnd];
                if (type.SequenceEqual("iCCP"u8) && icc is null && data.Length > keywordEnd + 2)
                {
                    icc = Inflate(data[(keywordEnd + 2)..]);
                }
                else if (type.SequenceEqual("iTXt"u8) && keyword.SequenceEqual("XML:com.adobe.xmp"u8) && xmp is null)
                {
                    xmp = InternationalText(data, keywordEnd);
                }
                else if (keyword.StartsWith("Raw profile type "u8) && (type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8)))
                {
                    var text = type.SequenceEqual("tEXt"u8) ? data[(keywordEnd + 1)..]
                        : type.SequenceEqual("zTXt"u8) ? (data.Length > keywordEnd + 2 ? Inflate(data[(keywordEnd + 2)..]) : null)
                        : InternationalText(data, keywordEnd);
                    var kind = keyword["Raw profile type "u8.Length..];
                    if (text is { } t && RawProfile(t.Span) is { } profile)
                    {
                        if ((kind.SequenceEqual("exif"u8) || kind.SequenceEqual("APP1"u8)) && exif is null)
                        {
                            exif = profile;
                        }
                        else if (kind.SequenceEqual("xmp"u8) && xmp is null)
                        {
                            xmp = profile;
                        }
                        else if ((kind.SequenceEqual("icc"u8) || kind.SequenceEqual("icm"u8)) && icc is null)
                        {
                            icc = profile;
                        }
                    }
                }
            }

            at += 12L + length;
        }

        return new Walk(PngAnimationFrames(span), exif, xmp, icc);
    }

    /// <summary>An iTXt chunk's text: keyword, compression flag and method, language and translated keyword, then the text.</summary>
    private static ReadOnlyMemory<byte>? InternationalText(ReadOnlyMemory<byte> data, int keywordEnd)
    {
        var span = data.Span;
        if (span.Length < keywordEnd + 3)
        {
            return null;
        }

        var compressed = span[keywordEnd + 1] == 1;
        var at = keywordEnd + 3;
        for (var skip = 0; skip < 2; skip++)
        {
            var end = span[at..].IndexOf((byte)0);
            if (end < 0)
            {
                return null;
            }

            at += end + 1;
        }

        return compressed ? Inflate(data[at..]) : data[at..];
    }

    /// <summary>
    /// ImageMagick's raw profile text: a newline, the profile's name, its length in decimal, then the bytes in hexadecimal
    /// over many lines.
    /// </summary>
    private static byte[]? RawProfile(ReadOnlySpan<byte> text)
    {
        var at = 0;
        while (at < text.Length && text[at] is (byte)'\n' or (byte)'\r')
        {
            at++;
        }

        var nameEnd = text[at..].IndexOf((byte)'\n');
        if (nameEnd < 0)
        {
            return null;
        }

        at += nameEnd + 1;
        var lengthEnd = text[at..].IndexOf((byte)'\n');
        if (lengthEnd < 0 || !int.TryParse(System.Text.Encoding.ASCII.GetString(text.Slice(at, lengthEnd)).Trim(), out var length) || length is <= 0 or > MaxProfileBytes)
        {
            return null;
        }

        at += lengthEnd + 1;
        var bytes = new byte[length];
        var filled = 0;
        var high = -1;
        for (; at < text.Length && filled < length; at++)
        {
            var c = text[at];
            var digit = c is >= (byte)'0' and <= (byte)'9' ? c - '0' : c is >= (byte)'a' and <= (byte)'f' ? c - 'a' + 10 : c is >= (byte)'A' and <= (byte)'F' ? c - 'A' + 10 : -1;
            if (digit < 0)
            {
                continue;
            }

            if (high < 0)
            {
                high = digit;
            }
            else
            {
                bytes[filled++] = (byte)((high << 4) | digit);
                high = -1;
            }
        }

        return filled == length ? bytes : null;
    }

    /// <summary>zlib data inflated up to <see cref="MaxProfileBytes"/>; null when damaged or larger.</summary>
    private static byte[]? Inflate(ReadOnlyMemory<byte> compressed) => BoundedExpansion.Zlib(compressed, MaxProfileBytes);

    /// <summary>A JPEG's XMP (APP1 <c>http://ns.adobe.com/xap/1.0/</c>) and ICC profile (APP2 <c>ICC_PROFILE</c>, in order of its chunks).</summary>
    private static Walk JpegSegments(ReadOnlyMemory<byte> head)
    {
        var span = head.Span;
        ReadOnlyMemory<byte>? xmp = null;
        var icc = new SortedDictionary<int, ReadOnlyMemory<byte>>();
        var at = 2;
        while (at + 4 <= span.Length && span[at] == 0xFF)
        {
            var marker = span[at + 1];
            if (marker == 0xFF || marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                at += marker == 0xFF ? 1 : 2;
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(span[(at + 2)..]);
            if (length < 2 || at + 2 + length > span.Length)
            {
                break;
            }

            var data = head.Slice(at + 4, length - 2);
            if (marker == 0xE1 && xmp is null && data.Span.StartsWith("http://ns.adobe.com/xap/1.0/\0"u8))
            {
                xmp = data["http://ns.adobe.com/xap/1.0/\0"u8.Length..];
            }
            else if (marker == 0xE2 && data.Length > 14 && data.Span.StartsWith("ICC_PROFILE\0"u8))
            {
                icc.TryAdd(data.Span[12], data[14..]);
            }

            at += 2 + length;
        }

        ReadOnlyMemory<byte>? profile = null;
        if (icc.Count > 0)
        {
            var whole = new byte[icc.Values.Sum(c => c.Length)];
            var filled = 0;
            foreach (var chunk in icc.Values)
            {
                chunk.CopyTo(whole.AsMemory(filled));
                filled += chunk.Length;
            }

            profile = whole;
        }

        return new Walk(null, null, xmp, profile);
    }

    private static long JpegHeader(ReadOnlySpan<byte> head)
    {
        long at = 2;
        while (true)
        {
            if (at + 4 > head.Length)
            {
                return at + 4;
            }

            var i = (int)at;
            if (head[i] != 0xFF)
            {
                return at; // not a marker: the codec says what is wrong
            }

            var marker = head[i + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                at += 2; // markers without a length
                continue;
            }

            if (marker == 0xD9)
            {
                return at + 2;
            }

            var end = at + 2 + BinaryPrimitives.ReadUInt16BigEndian(head[(i + 2)..]);
            if (marker == 0xDA)
            {
                return end; // the scan header: libjpeg's header read ends here
            }

            at = end;
        }
    }

    private static long PngHeader(ReadOnlySpan<byte> head)
    {
        long at = 8;
        while (true)
        {
            if (at + 8 > head.Length)
            {
                return at + 8;
            }

            var i = (int)at;
            var length = BinaryPrimitives.ReadUInt32BigEndian(head[i..]);
            var type = head.Slice(i + 4, 4);
            if (type.SequenceEqual("IDAT"u8))
            {
                return at + 8 + Math.Min(length, 64u); // libpng reports the header when it meets the first IDAT
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return at + 12;
            }

            at += 12L + length;
        }
    }

    /// <summary>
    /// An animated PNG's frame count: its acTL chunk (APNG), which must come before the first IDAT; null for a still PNG.
    /// Skia's PNG codec ignores APNG chunks and reports one frame.
    /// </summary>
    private static int? PngAnimationFrames(ReadOnlySpan<byte> head) =>
        PngChunkBeforeImageData(head, "acTL"u8) is { Length: >= 8 } actl && BinaryPrimitives.ReadUInt32BigEndian(head[actl.Start..]) is > 0 and <= int.MaxValue and var frames
            ? (int)frames
            : null;

    /// <summary>The payload of a PNG's eXIf chunk before its image data, without the chunk framing.</summary>
    private static ReadOnlyMemory<byte>? PngExif(ReadOnlyMemory<byte> head) =>
        PngChunkBeforeImageData(head.Span, "eXIf"u8) is { } exif ? head.Slice(exif.Start, exif.Length) : (ReadOnlyMemory<byte>?)null; // a bare null would become an empty memory through byte[]

    /// <summary>Where the payload of the first chunk of <paramref name="type"/> before IDAT lies in the head (all of it there); null when there is none.</summary>
    private static (int Start, int Length)? PngChunkBeforeImageData(ReadOnlySpan<byte> head, ReadOnlySpan<byte> type)
    {
        long at = 8;
        while (at + 8 <= head.Length)
        {
            var i = (int)at;
            var length = BinaryPrimitives.ReadUInt32BigEndian(head[i..]);
            var found = head.Slice(i + 4, 4);
            if (found.SequenceEqual("IDAT"u8) || found.SequenceEqual("IEND"u8))
            {
                break;
            }

            if (found.SequenceEqual(type) && at + 8 + length <= head.Length)
            {
                return (i + 8, (int)length);
            }

            at += 12L + length;
        }

        return null;
    }

    private static long GifHeader(ReadOnlySpan<byte> head)
    {
        if (head.Length < 13)
        {
            return 13;
        }

        long at = 13 + ColorTableLength(head[10]);
        while (true)
        {
            if (at >= head.Length)
            {
                return at + 1;
            }

            switch (head[(int)at])
            {
                case 0x21:
                    at += 2;
                    while (true)
                    {
                        if (at >= head.Length)
                        {
                            return at + 1;
                        }

                        var n = head[(int)at];
                        at += 1 + n;
                        if (n == 0)
                        {
                            break;
                        }
                    }

                    break;
                case 0x2C:
                    if (at + 10 > head.Length)
                    {
                        return at + 10;
                    }

                    // The image descriptor, its local color table and the LZW code size: the first frame's header.
                    return at + 10 + ColorTableLength(head[(int)at + 9]) + 1;
                default:
                    return at + 1;
            }
        }
    }

    private static int ColorTableLength(byte flags) => (flags & 0x80) != 0 ? 3 << ((flags & 7) + 1) : 0;

    /// <summary>Image descriptors in the whole GIF: every block header is walked, no pixel is decoded.</summary>
    private static int? GifFrames(ContentPass pass)
    {
        Span<byte> screen = stackalloc byte[13];
        if (pass.ReadAt(0, screen) < 13)
        {
            return null;
        }

        long at = 13 + ColorTableLength(screen[10]);
        var frames = 0;
        Span<byte> descriptor = stackalloc byte[10];
        while (true)
        {
            var block = pass.ByteAt(at);
            if (block == 0x2C)
            {
                if (pass.ReadAt(at, descriptor) < 10)
                {
                    break;
                }

                if (++frames % 1024 == 0)
                {
                    pass.Clock.Check();
                }

                at += 10 + ColorTableLength(descriptor[9]) + 1; // descriptor, local color table, LZW code size
            }
            else if (block == 0x21)
            {
                at += 2;
            }
            else
            {
                break; // the trailer, the end, or damage: the frames so far are the count
            }

            // Data sub-blocks, each led by its length, up to the empty one.
            var steps = 0;
            while (true)
            {
                if (++steps % 4096 == 0)
                {
                    pass.Clock.Check();
                }

                var n = pass.ByteAt(at);
                if (n < 0)
                {
                    return Math.Max(frames, 1);
                }

                at += 1 + n;
                if (n == 0)
                {
                    break;
                }
            }
        }

        return Math.Max(frames, 1);
    }

    private static long WebpHeader(ReadOnlySpan<byte> head)
    {
        long at = 12;
        while (true)
        {
            if (at + 8 > head.Length)
            {
                return at + 8;
            }

            var i = (int)at;
            var type = head.Slice(i, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(head[(i + 4)..]);
            if (type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8) || type.SequenceEqual("ANMF"u8) || type.SequenceEqual("ALPH"u8))
            {
                // The first frame's own header (an ANMF's frame header and its first sub-chunk's bitstream header).
                return at + 8 + Math.Min(size, 64u);
            }

            at += 8L + size + (size & 1);
        }
    }

    /// <summary>An extended WebP's frames (when animated) and its EXIF chunk, found by walking chunk headers.</summary>
    private static Walk WebpChunks(ContentPass pass)
    {
        var head = pass.Head.Span;
        if (head.Length < 30 || !head[12..16].SequenceEqual("VP8X"u8))
        {
            return new Walk(null, null); // a simple WebP: one frame, no EXIF
        }

        var flags = head[20];
        var animated = (flags & 0x02) != 0;
        if (!animated && (flags & 0x2C) == 0)
        {
            return new Walk(null, null); // no animation, EXIF (0x08), XMP (0x04) or ICC profile (0x20)
        }

        var end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        long at = 12;
        var frames = 0;
        ReadOnlyMemory<byte>? exif = null, xmp = null, icc = null;
        Span<byte> header = stackalloc byte[8];
        var chunks = 0;
        while (at + 8 <= end && pass.ReadAt(at, header) == 8)
        {
            if (++chunks % 4096 == 0)
            {
                pass.Clock.Check();
            }

            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (header[..4].SequenceEqual("ANMF"u8))
            {
                frames++;
            }
            else if (size <= MaxExifBytes && ((header[..4].SequenceEqual("EXIF"u8) && exif is null)
                || (header[..4].SequenceEqual("XMP "u8) && xmp is null) || (header[..4].SequenceEqual("ICCP"u8) && icc is null)))
            {
                var payload = new byte[size];
                if (pass.ReadAt(at + 8, payload) == payload.Length)
                {
                    _ = header[0] == (byte)'E' ? exif = payload : header[0] == (byte)'X' ? xmp = payload : icc = payload;
                }
            }

            at += 8L + size + (size & 1);
        }

        return new Walk(animated ? Math.Max(frames, 1) : null, exif, xmp, icc);
    }
}
