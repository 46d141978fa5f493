using System.Buffers.Binary;

namespace ImageMeta.Extractor;

/// <summary>
/// JPEG XL: the codestream's SizeHeader and the start of its ImageMetadata (orientation, animation, bit depth, the first
/// extra channel's type for alpha), read bit by bit as ISO/IEC 18181-1 lays them out; in the container, the codestream
/// from <c>jxlc</c> or the first <c>jxlp</c>, the EXIF from <c>Exif</c> and the XMP from <c>xml </c>. MetadataExtractor
/// has no JPEG XL reader. The codestream's orientation is the one a decoder applies (the EXIF tag is informative only).
/// Brotli-compressed metadata boxes (<c>brob</c>) are not expanded.
/// </summary>
internal static class JpegXlHeader
{
    private const string Name = "JPEG XL";

    public static FormatHeaderRead Read(HeaderBytes bytes) =>
        bytes.Span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) ? Codestream(bytes, 0) : Container(bytes);

    private static FormatHeaderRead Container(HeaderBytes bytes)
    {
        long at = 0, codestream = -1;
        var boxes = new List<(long TypeAt, ReadOnlyMemory<byte> Content)>();
        // Boxes after the codestream's first box are read here only when the head holds them already: the head is not
        // grown over the codestream (megabytes of frames) to reach them. The walk beyond the head (JpegXlFrames) reads
        // the metadata boxes that lie further on.
        bool Reach(long offset, long length) => codestream < 0 ? bytes.Has(offset, length) : bytes.Holds(offset, length);
        while (Reach(at, 8))
        {
            long size = bytes.U32(at, false);
            var type = bytes.Span.Slice((int)at + 4, 4);
            var body = at + 8;
            if (size == 1 && Reach(at + 8, 8))
            {
                var large = bytes.U64(at + 8, false);
                size = large > long.MaxValue / 2 ? -1 : (long)large;
                body += 8;
            }

            var toEnd = size == 0;
            if (!toEnd && size < body - at)
            {
                return FormatHeaderRead.Corrupt(Name, $"the box at {at} has an impossible length");
            }

            if (type.SequenceEqual("jxlc"u8) && codestream < 0)
            {
                codestream = body;
            }
            else if (type.SequenceEqual("jxlp"u8) && codestream < 0)
            {
                codestream = body + 4; // a partial codestream box starts with its index
            }
            else if (!toEnd && IsMetadata(type) && size - (body - at) <= MaxBoxBytes && Reach(body, size - (body - at))
                && bytes.TryGet(body, size - (body - at), out var content))
            {
                boxes.Add((at + 4, content));
            }

            if (toEnd)
            {
                break;
            }

            at += size;
        }

        if (codestream < 0)
        {
            return bytes.Missing(Name, "codestream box");
        }

        // The metadata boxes are expanded only once the codestream's header is there (not while the head is still
        // being sized for it).
        var read = Codestream(bytes, codestream);
        if (read.Header is not { } header || bytes.WantsMore)
        {
            return read;
        }

        ReadOnlyMemory<byte>? exif = null, xmp = null;
        foreach (var (typeAt, content) in boxes)
        {
            Metadata(bytes.Span.Slice((int)typeAt, 4), content, ref exif, ref xmp);
        }

        return header with { Exif = exif, Xmp = xmp };
    }

    /// <summary>
    /// An <c>Exif</c> or <c>xml </c> box, or a Brotli-compressed one (<c>brob</c>, as cjxl writes them), taken where
    /// <paramref name="exif"/> or <paramref name="xmp"/> is still unset.
    /// </summary>
    internal static void Metadata(ReadOnlySpan<byte> type, ReadOnlyMemory<byte> body, ref ReadOnlyMemory<byte>? exif, ref ReadOnlyMemory<byte>? xmp)
    {
        if (type.SequenceEqual("Exif"u8) && exif is null && body.Length > 4)
        {
            // A 4-byte offset to the TIFF header, then the TIFF bytes.
            var offset = BinaryPrimitives.ReadUInt32BigEndian(body.Span);
            exif = offset < body.Length - 4 ? body[(4 + (int)offset)..] : (ReadOnlyMemory<byte>?)null;
        }
        else if (type.SequenceEqual("xml "u8) && xmp is null)
        {
            xmp = body;
        }
        else if (type.SequenceEqual("brob"u8) && body.Length > 4)
        {
            // A Brotli-compressed box: its real type, then the compressed body.
            var inner = body.Span[..4];
            if ((inner.SequenceEqual("Exif"u8) && exif is null) || (inner.SequenceEqual("xml "u8) && xmp is null))
            {
                var expanded = Expand(body[4..]);
                if (inner.SequenceEqual("xml "u8))
                {
                    xmp = expanded;
                }
                else if (expanded is { Length: > 4 } expandedExif
                    && BinaryPrimitives.ReadUInt32BigEndian(expandedExif.Span) is var tiffAt && tiffAt < expandedExif.Length - 4)
                {
                    exif = expandedExif[(4 + (int)tiffAt)..];
                }
            }
        }
    }

    /// <summary>Whether a box is one <see cref="Metadata"/> takes: <c>Exif</c>, <c>xml </c> or <c>brob</c>.</summary>
    internal static bool IsMetadata(ReadOnlySpan<byte> type) => type.SequenceEqual("Exif"u8) || type.SequenceEqual("xml "u8) || type.SequenceEqual("brob"u8);

    /// <summary>Largest metadata box read (compressed or not): EXIF and XMP are kilobytes.</summary>
    internal const int MaxBoxBytes = 4 * 1024 * 1024;

    /// <summary>Largest expanded metadata box: EXIF and XMP are kilobytes; a box that expands past this is skipped.</summary>
    private const int MaxExpandedBytes = 4 * 1024 * 1024;

    // Damaged or oversized metadata: the image stands without it. Null stays null here: a null byte[] would
    // otherwise convert to an empty ReadOnlyMemory.
    private static ReadOnlyMemory<byte>? Expand(ReadOnlyMemory<byte> compressed) =>
        BoundedExpansion.Brotli(compressed, MaxExpandedBytes) is { } expanded ? new ReadOnlyMemory<byte>(expanded) : null;

    private static FormatHeaderRead Codestream(HeaderBytes bytes, long at)
    {
        // The SizeHeader and ImageMetadata up to the first extra channel fit in well under 64 bytes.
        if (!bytes.TryGet(at, 64, out var head) && !(bytes.Whole && bytes.TryGet(at, bytes.Length - at, out head)))
        {
            return bytes.Missing(Name, "codestream header");
        }

        if (head.Length < 3 || head.Span[0] != 0xFF || head.Span[1] != 0x0A)
        {
            return FormatHeaderRead.Corrupt(Name, "the codestream does not start with FF 0A");
        }

        var bits = new BitReader(head.Span[2..]);
        var (width, height) = Size(ref bits);
        var orientation = 1;
        var bitDepth = 8;
        var alpha = false;
        var colorChannels = 3;
        var animated = false;
        if (!bits.Bool())
        {
            // Not all_default: extra_fields, then the fields in order.
            if (bits.Bool())
            {
                orientation = (int)bits.Bits(3) + 1;
                if (bits.Bool())
                {
                    Size(ref bits); // intrinsic size
                }

                if (bits.Bool())
                {
                    Preview(ref bits);
                }

                animated = bits.Bool();
                if (animated)
                {
                    bits.U32(100, 0, 1000, 0, 1, 10, 1, 30); // ticks per second, numerator
                    bits.U32(1, 0, 1001, 0, 1, 8, 1, 10); // denominator
                    bits.U32(0, 0, 0, 3, 0, 16, 0, 32); // loops
                    bits.Bool(); // timecodes
                }
            }

            bitDepth = BitDepth(ref bits);
            bits.Bool(); // 16-bit buffers suffice
            var extraChannels = bits.U32(0, 0, 1, 0, 2, 4, 1, 12);
            var defaultChannel = true;
            if (extraChannels > 0)
            {
                // The first extra channel: all default means alpha; otherwise its type, 0 being alpha. A channel that
                // is not all default has more fields before the colour encoding, which is then not read.
                defaultChannel = bits.Bool();
                alpha = defaultChannel || bits.U32(0, 0, 1, 0, 2, 4, 18, 6) == 0;
            }

            // xyb_encoded, then the colour encoding: all default is RGB; else want_icc, then the colour space (1 is grey).
            if (defaultChannel)
            {
                bits.Bool();
                if (!bits.Bool())
                {
                    bits.Bool();
                    colorChannels = bits.U32(0, 0, 1, 0, 2, 4, 18, 6) == 1 ? 1 : 3;
                }
            }
        }

        if (bits.Overrun)
        {
            return bytes.Missing(Name, "codestream header");
        }

        if (width <= 0 || height <= 0)
        {
            return FormatHeaderRead.Corrupt(Name, "its size header declares an empty image");
        }

        return new FormatHeader
        {
            Width = width,
            Height = height,
            Orientation = orientation,
            HasAlpha = alpha,
            // An animation is flagged here; its frames are counted by walking the frame headers beyond the head
            // (JpegXlFrames), and stay one frame marked uncounted where that walk cannot count them.
            Frames = 1,
            FramesNotCounted = animated,
            ColorType = FormatHeader.ColorTypeOf(colorChannels, bitDepth),
        };
    }

    private static (long Width, long Height) Size(ref BitReader bits)
    {
        var small = bits.Bool();
        long height = small ? (bits.Bits(5) + 1) * 8 : bits.U32(1, 9, 1, 13, 1, 18, 1, 30);
        var ratio = bits.Bits(3);
        long width = ratio switch
        {
            0 => small ? (bits.Bits(5) + 1) * 8 : bits.U32(1, 9, 1, 13, 1, 18, 1, 30),
            1 => height,
            2 => height * 12 / 10,
            3 => height * 4 / 3,
            4 => height * 3 / 2,
            5 => height * 16 / 9,
            6 => height * 5 / 4,
            _ => height * 2,
        };
        return (width, height);
    }

    private static void Preview(ref BitReader bits)
    {
        var div8 = bits.Bool();
        var height = div8 ? bits.U32(16, 0, 32, 0, 1, 5, 33, 9) : bits.U32(1, 6, 65, 8, 321, 10, 1345, 12);
        if (bits.Bits(3) == 0)
        {
            _ = div8 ? bits.U32(16, 0, 32, 0, 1, 5, 33, 9) : bits.U32(1, 6, 65, 8, 321, 10, 1345, 12);
        }

        _ = height;
    }

    private static int BitDepth(ref BitReader bits)
    {
        if (!bits.Bool())
        {
            return (int)bits.U32(8, 0, 10, 0, 12, 0, 1, 6);
        }

        var depth = (int)bits.U32(32, 0, 16, 0, 24, 0, 1, 6);
        bits.Bits(4); // exponent bits
        return depth;
    }

    /// <summary>JPEG XL's bit order: least significant bit of each byte first.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private long _position;

        public bool Overrun { get; private set; }

        public uint Bits(int count)
        {
            uint value = 0;
            for (var i = 0; i < count; i++, _position++)
            {
                var index = (int)(_position >> 3);
                if (index >= _data.Length)
                {
                    Overrun = true;
                    return value;
                }

                value |= (uint)((_data[index] >> (int)(_position & 7)) & 1) << i;
            }

            return value;
        }

        public bool Bool() => Bits(1) == 1;

        /// <summary>The spec's U32(d0, d1, d2, d3): a 2-bit selector, then that distribution's offset plus its bits.</summary>
        public uint U32(uint offset0, int bits0, uint offset1, int bits1, uint offset2, int bits2, uint offset3, int bits3) => Bits(2) switch
        {
            0 => offset0 + Bits(bits0),
            1 => offset1 + Bits(bits1),
            2 => offset2 + Bits(bits2),
            _ => offset3 + Bits(bits3),
        };
    }
}
