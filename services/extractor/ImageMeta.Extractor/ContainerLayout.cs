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

    /// <summary>Walks what the header does not hold: every GIF frame, an animated WebP's frames and a WebP's EXIF chunk.</summary>
    public static Walk WalkBeyondHeader(string? format, ContentPass pass) => format switch
    {
        ImageFormats.Gif => new Walk(GifFrames(pass), null),
        ImageFormats.Webp => WebpChunks(pass),
        ImageFormats.Png => new Walk(PngAnimationFrames(pass.Head.Span), PngExif(pass.Head)),
        _ => new Walk(null, null),
    };

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
        PngChunkBeforeImageData(head.Span, "eXIf"u8) is { } exif ? head.Slice(exif.Start, exif.Length) : null;

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
        if (!animated && (flags & 0x08) == 0)
        {
            return new Walk(null, null);
        }

        var end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        long at = 12;
        var frames = 0;
        ReadOnlyMemory<byte>? exif = null;
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
            else if (header[..4].SequenceEqual("EXIF"u8) && exif is null && size <= MaxExifBytes)
            {
                var payload = new byte[size];
                if (pass.ReadAt(at + 8, payload) == payload.Length)
                {
                    exif = payload;
                }
            }

            at += 8L + size + (size & 1);
        }

        return new Walk(animated ? Math.Max(frames, 1) : null, exif);
    }
}
