using System.Buffers.Binary;

namespace ImageMeta.Extractor;

/// <summary>
/// An animated JPEG XL's frame count, from its codestream (ISO/IEC 18181-1) without decoding a pixel: the SizeHeader and
/// the whole ImageMetadata (animation header, bit depth, extra channels, colour encoding, tone mapping, extensions) and
/// the transform data, which end the image header; then each frame's FrameHeader and table of contents (TOC), whose
/// group sizes say how many bytes to skip to the next frame, until the frame marked <c>is_last</c>. In the container the
/// codestream is the <c>jxlc</c> box or the <c>jxlp</c> boxes joined; a frame index box (<c>jxli</c>, 18181-2) is used
/// when the codestream cannot be walked. Written here because MetadataExtractor has no JPEG XL reader at all, and
/// libjxl is a decoder: this is the smallest reader that reaches the frame headers (the fields, no entropy decoding).
/// <para>
/// The frames counted are the ones a viewer shows, as libjxl's decoder (djxl, and <c>jxlinfo</c>'s <c>frame:</c> lines)
/// counts them: a regular (or skip-progressive) frame that has a duration, or is the last one. A frame of duration 0
/// that is not the last is a layer blended into the frame after it (cjxl writes a GIF's 0-delay frames so; jxlinfo lists
/// them as <c>layer:</c>, djxl writes one APNG frame for them and the frame they end in); DC, reference-only and preview
/// frames are never shown on their own.
/// </para>
/// <para>
/// Not counted (null: the caller keeps <c>framesNotCounted</c>), never guessed: an ICC profile (entropy-coded, with no
/// length to skip it by), a permuted TOC (its permutation is entropy-coded), more TOC entries or frames than a decoder
/// accepts, and any field or frame data past the end of the content.
/// </para>
/// </summary>
internal static class JpegXlFrames
{
    /// <summary>Most frames walked; each costs its header and TOC, so a hostile file's walk stays bounded.</summary>
    private const int MaxFrames = 1 << 20;

    /// <summary>libjxl refuses a frame with more TOC entries than this.</summary>
    private const int MaxTocEntries = 65536;

    /// <summary>Most container boxes walked (a file of tiny boxes stops there).</summary>
    private const int MaxBoxes = 1 << 16;

    /// <summary>Largest frame index box read.</summary>
    private const int MaxIndexBytes = 64 * 1024;

    /// <summary>
    /// What lies beyond the head: the frames a viewer shows (null for a still image, or when the codestream and its frame
    /// index, if any, cannot say), and the container's EXIF and XMP boxes that the head does not hold (after the
    /// codestream), met on the same forward walk.
    /// </summary>
    public static ContainerLayout.Walk Walk(ContentPass pass)
    {
        var source = new Codestream(pass);
        int? frames;
        try
        {
            frames = Walk(new Bits(source), pass.Clock);
        }
        catch (Exception e) when (e is EndOfCodestreamException or InvalidOperationException or OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            frames = null; // past the end, or a box or frame that does not fit where it says: the frames stay uncounted
        }

        try
        {
            source.WalkRemainingBoxes();
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            // Boxes that overlap: what was found stands.
        }

        return new ContainerLayout.Walk(frames ?? source.IndexedFrames(), source.Exif, source.Xmp);
    }

    private static int? Walk(Bits bits, DecodeClock clock)
    {
        if (bits.Read(8) != 0xFF || bits.Read(8) != 0x0A)
        {
            return null;
        }

        var image = Size(bits, div8Preview: false);
        if (bits.Bool())
        {
            return null; // all default: a still image
        }

        var extraFields = bits.Bool();
        (long Width, long Height)? preview = null;
        var animated = false;
        var timecodes = false;
        if (extraFields)
        {
            bits.Read(3); // orientation
            if (bits.Bool())
            {
                Size(bits, div8Preview: false); // intrinsic size
            }

            if (bits.Bool())
            {
                preview = Size(bits, div8Preview: true);
            }

            animated = bits.Bool();
            if (animated)
            {
                bits.U32(100, 0, 1000, 0, 1, 10, 1, 30); // ticks per second: numerator
                bits.U32(1, 0, 1001, 0, 1, 8, 1, 10); // denominator
                bits.U32(0, 0, 0, 3, 0, 16, 0, 32); // loops
                timecodes = bits.Bool();
            }
        }

        if (!animated)
        {
            return null;
        }

        BitDepth(bits);
        bits.Bool(); // 16-bit buffers suffice
        var extraChannels = bits.U32(0, 0, 1, 0, 2, 4, 1, 12);
        if (extraChannels > 256)
        {
            return null;
        }

        var dimShifts = new int[extraChannels];
        for (var i = 0; i < extraChannels; i++)
        {
            dimShifts[i] = ExtraChannel(bits);
        }

        var xyb = bits.Bool();
        if (!ColourEncoding(bits))
        {
            return null; // an ICC profile follows the headers, entropy-coded
        }

        if (extraFields && !bits.Bool())
        {
            // Tone mapping: intensity target, minimum nits, relative to the display's maximum, linear below.
            bits.Read(16);
            bits.Read(16);
            bits.Bool();
            bits.Read(16);
        }

        Extensions(bits);
        TransformData(bits, xyb);
        bits.ToByteBoundary();

        var metadata = new Metadata(image, xyb, dimShifts, timecodes);
        if (preview is { } previewSize)
        {
            // The preview is a frame of its own, before the first one, sized as the preview.
            Frame(bits, metadata with { Image = previewSize }, out _);
        }

        var shown = 0;
        for (var frames = 0; frames < MaxFrames; frames++)
        {
            if (frames % 256 == 255)
            {
                clock.Check();
            }

            if (Frame(bits, metadata, out var frame) is not true)
            {
                return null;
            }

            if (frame.Shown)
            {
                shown++;
            }

            if (frame.IsLast)
            {
                return Math.Max(shown, 1);
            }
        }

        return null;
    }

    private sealed record Metadata((long Width, long Height) Image, bool Xyb, int[] DimShifts, bool Timecodes);

    private readonly record struct FrameFacts(bool Shown, bool IsLast);

    /// <summary>
    /// One frame: its header, then its TOC, then its groups skipped by their sizes. False when it cannot be passed
    /// without entropy decoding (a permuted TOC) or declares more than a decoder accepts.
    /// </summary>
    private static bool? Frame(Bits bits, Metadata metadata, out FrameFacts facts)
    {
        facts = default;
        // Defaults of an all-default frame header: a regular VarDCT frame of the image's size, one pass, the last.
        int type = 0, upsampling = 1, groupShift = 1, passes = 1, dcLevel = 0, hShift = 0, vShift = 0;
        var modular = false;
        var isLast = true;
        long duration = 0, width = metadata.Image.Width, height = metadata.Image.Height;
        if (!bits.Bool())
        {
            type = (int)bits.U32(0, 0, 1, 0, 2, 0, 3, 0);
            modular = bits.Bool();
            var flags = bits.U64();
            var ycbcr = !metadata.Xyb && bits.Bool();
            var dcFrameUsed = (flags & 32) != 0;
            if (ycbcr && !dcFrameUsed)
            {
                for (var c = 0; c < 3; c++)
                {
                    var mode = bits.Read(2);
                    hShift = Math.Max(hShift, mode is 1 or 2 ? 1 : 0);
                    vShift = Math.Max(vShift, mode is 1 or 3 ? 1 : 0);
                }
            }

            if (!dcFrameUsed)
            {
                upsampling = (int)bits.U32(1, 0, 2, 0, 4, 0, 8, 0);
                foreach (var _ in metadata.DimShifts)
                {
                    bits.U32(1, 0, 2, 0, 4, 0, 8, 0);
                }
            }

            if (modular)
            {
                groupShift = (int)bits.Read(2);
            }
            else if (metadata.Xyb)
            {
                bits.Read(3); // x_qm_scale
                bits.Read(3); // b_qm_scale
            }

            if (type != 2)
            {
                passes = Passes(bits);
            }

            if (type == 1)
            {
                dcLevel = (int)bits.U32(1, 0, 2, 0, 3, 0, 4, 0);
            }

            var partial = false;
            if (type != 1 && bits.Bool())
            {
                long x0 = 0, y0 = 0;
                if (type is 0 or 3)
                {
                    x0 = Signed(bits.U32(0, 8, 256, 11, 2304, 14, 18688, 30));
                    y0 = Signed(bits.U32(0, 8, 256, 11, 2304, 14, 18688, 30));
                }

                width = bits.U32(0, 8, 256, 11, 2304, 14, 18688, 30);
                height = bits.U32(0, 8, 256, 11, 2304, 14, 18688, 30);
                if (width == 0 || height == 0)
                {
                    return false;
                }

                partial = type is 0 or 3 && (x0 > 0 || y0 > 0 || width + x0 < metadata.Image.Width || height + y0 < metadata.Image.Height);
            }

            var replace = true;
            if (type is 0 or 3)
            {
                replace = Blending(bits, metadata.DimShifts.Length, partial) == 0;
                foreach (var _ in metadata.DimShifts)
                {
                    Blending(bits, metadata.DimShifts.Length, partial);
                }

                duration = bits.U32(0, 0, 1, 0, 0, 8, 0, 32);
                if (metadata.Timecodes)
                {
                    bits.Read(32);
                }

                isLast = bits.Bool();
            }
            else
            {
                isLast = false;
            }

            uint saveAsReference = 0;
            if (type != 1 && !isLast)
            {
                saveAsReference = bits.U32(0, 0, 1, 0, 2, 0, 3, 0);
            }

            if (type != 1)
            {
                var referenced = !isLast && (duration == 0 || saveAsReference != 0);
                if ((referenced && replace && !partial && type is 0 or 3) || type == 2)
                {
                    bits.Bool(); // save_before_color_transform
                }
            }

            bits.Skip(8L * bits.U32(0, 0, 0, 4, 16, 5, 48, 10)); // the frame's name
            LoopFilter(bits, modular);
            Extensions(bits);
        }

        // The frame's groups (as libjxl's FrameDimensions lays them out), then the TOC's entries.
        if (dcLevel != 0)
        {
            width = DivCeil(width, 1L << (3 * dcLevel));
            height = DivCeil(height, 1L << (3 * dcLevel));
        }

        width = DivCeil(width, upsampling);
        height = DivCeil(height, upsampling);
        var groupDim = 128L << groupShift;
        var xBlocks = DivCeil(width, 8L << hShift) << hShift;
        var yBlocks = DivCeil(height, 8L << vShift) << vShift;
        var groups = DivCeil(width, groupDim) * DivCeil(height, groupDim);
        var dcGroups = DivCeil(xBlocks, groupDim) * DivCeil(yBlocks, groupDim);
        var entries = groups == 1 && passes == 1 ? 1 : 2 + dcGroups + (groups * passes);
        if (entries > MaxTocEntries)
        {
            return false;
        }

        if (bits.Bool())
        {
            return false; // a permuted TOC: the permutation is entropy-coded
        }

        bits.ToByteBoundary();
        long total = 0;
        for (var i = 0; i < entries; i++)
        {
            total += bits.U32(0, 10, 1024, 14, 17408, 22, 4211712, 30);
        }

        bits.ToByteBoundary();
        bits.Skip(8 * total);
        facts = new FrameFacts((duration > 0 || isLast) && type is 0 or 3, isLast);
        return true;
    }

    private static long DivCeil(long value, long by) => (value + by - 1) / by;

    private static long Signed(uint packed) => (packed & 1) == 0 ? packed >> 1 : -((long)(packed >> 1)) - 1;

    /// <summary>A SizeHeader, or a PreviewHeader (<paramref name="div8Preview"/>): the height, a ratio, the width.</summary>
    private static (long Width, long Height) Size(Bits bits, bool div8Preview)
    {
        long height, width = 0;
        var div8 = bits.Bool();
        if (div8Preview)
        {
            height = div8 ? 8L * bits.U32(16, 0, 32, 0, 1, 5, 33, 9) : bits.U32(1, 6, 65, 8, 321, 10, 1345, 12);
        }
        else
        {
            height = div8 ? (bits.Read(5) + 1) * 8L : bits.U32(1, 9, 1, 13, 1, 18, 1, 30);
        }

        var ratio = bits.Read(3);
        if (ratio == 0)
        {
            width = div8Preview
                ? (div8 ? 8L * bits.U32(16, 0, 32, 0, 1, 5, 33, 9) : bits.U32(1, 6, 65, 8, 321, 10, 1345, 12))
                : (div8 ? (bits.Read(5) + 1) * 8L : bits.U32(1, 9, 1, 13, 1, 18, 1, 30));
        }

        return (ratio switch
        {
            0 => width,
            1 => height,
            2 => height * 12 / 10,
            3 => height * 4 / 3,
            4 => height * 3 / 2,
            5 => height * 16 / 9,
            6 => height * 5 / 4,
            _ => height * 2,
        }, height);
    }

    private static void BitDepth(Bits bits)
    {
        if (!bits.Bool())
        {
            bits.U32(8, 0, 10, 0, 12, 0, 1, 6);
        }
        else
        {
            bits.U32(32, 0, 16, 0, 24, 0, 1, 6);
            bits.Read(4); // exponent bits
        }
    }

    /// <summary>An ExtraChannelInfo; its dim_shift (how much smaller the channel is).</summary>
    private static int ExtraChannel(Bits bits)
    {
        if (bits.Bool())
        {
            return 0; // all default: an 8-bit alpha channel
        }

        var type = bits.Enum();
        BitDepth(bits);
        var dimShift = (int)bits.U32(0, 0, 3, 0, 4, 0, 1, 3);
        bits.Skip(8L * bits.U32(0, 0, 0, 4, 16, 5, 48, 10)); // name
        switch (type)
        {
            case 0: // alpha: associated or not
                bits.Bool();
                break;
            case 2: // spot colour: four half floats
                bits.Skip(64);
                break;
            case 5: // CFA channel
                bits.U32(1, 0, 0, 2, 3, 4, 19, 8);
                break;
        }

        return dimShift;
    }

    /// <summary>A ColourEncoding; false when it wants an ICC profile.</summary>
    private static bool ColourEncoding(Bits bits)
    {
        if (bits.Bool())
        {
            return true; // all default: sRGB
        }

        var wantIcc = bits.Bool();
        var space = bits.Enum(); // 0 RGB, 1 grey, 2 XYB, 3 unknown
        if (wantIcc)
        {
            return false;
        }

        if (space != 2)
        {
            if (bits.Enum() == 2)
            {
                CustomXy(bits); // a custom white point
            }
        }

        if (space is not (1 or 2))
        {
            if (bits.Enum() == 2)
            {
                CustomXy(bits); // custom primaries: red, green, blue
                CustomXy(bits);
                CustomXy(bits);
            }
        }

        if (space != 2)
        {
            if (bits.Bool())
            {
                bits.Read(24); // gamma
            }
            else
            {
                bits.Enum(); // transfer function
            }
        }

        bits.Enum(); // rendering intent
        return true;
    }

    private static void CustomXy(Bits bits)
    {
        bits.U32(0, 19, 524288, 19, 1048576, 20, 2097152, 21);
        bits.U32(0, 19, 524288, 19, 1048576, 20, 2097152, 21);
    }

    /// <summary>The CustomTransformData after the ImageMetadata: the inverse opsin matrix and the upsampling weights.</summary>
    private static void TransformData(Bits bits, bool xyb)
    {
        if (bits.Bool())
        {
            return;
        }

        if (xyb && !bits.Bool())
        {
            bits.Skip(16 * (9 + 3 + 4)); // the matrix, the biases and the quantisation biases, half floats
        }

        var weights = bits.Read(3);
        bits.Skip(16 * (((weights & 1) != 0 ? 15 : 0) + ((weights & 2) != 0 ? 55 : 0) + ((weights & 4) != 0 ? 210 : 0)));
    }

    private static int Passes(Bits bits)
    {
        var passes = (int)bits.U32(1, 0, 2, 0, 3, 0, 4, 3);
        if (passes != 1)
        {
            var downsample = (int)bits.U32(0, 0, 1, 0, 2, 0, 3, 1);
            bits.Skip(2L * (passes - 1)); // shifts
            for (var i = 0; i < downsample; i++)
            {
                bits.U32(1, 0, 2, 0, 4, 0, 8, 0);
            }

            for (var i = 0; i < downsample; i++)
            {
                bits.U32(0, 0, 1, 0, 2, 0, 0, 3);
            }
        }

        return passes;
    }

    /// <summary>A BlendingInfo; its mode (0 replace, 1 add, 2 blend, 3 alpha-weighted add, 4 multiply).</summary>
    private static uint Blending(Bits bits, int extraChannels, bool partial)
    {
        var mode = bits.U32(0, 0, 1, 0, 2, 0, 3, 2);
        var withAlpha = extraChannels > 0 && mode is 2 or 3;
        if (withAlpha)
        {
            bits.U32(0, 0, 1, 0, 2, 0, 3, 3); // alpha channel
        }

        if (withAlpha || mode == 4)
        {
            bits.Bool(); // clamp
        }

        if (mode != 0 || partial)
        {
            bits.U32(0, 0, 1, 0, 2, 0, 3, 0); // source
        }

        return mode;
    }

    private static void LoopFilter(Bits bits, bool modular)
    {
        if (bits.Bool())
        {
            return;
        }

        if (bits.Bool() && bits.Bool())
        {
            bits.Skip(6 * 16); // custom Gaborish weights
        }

        if (bits.Read(2) > 0)
        {
            if (!modular && bits.Bool())
            {
                bits.Skip(8 * 16); // sharpness table
            }

            if (bits.Bool())
            {
                bits.Skip(5 * 16); // channel scales and zero-flush thresholds
            }

            if (bits.Bool())
            {
                bits.Skip((modular ? 3 : 4) * 16); // sigma parameters
            }

            if (modular)
            {
                bits.Skip(16); // sigma for modular
            }
        }

        Extensions(bits);
    }

    /// <summary>A bundle's extensions: which are present, each one's length in bits, then those bits, skipped.</summary>
    private static void Extensions(Bits bits)
    {
        var present = bits.U64();
        ulong total = 0;
        for (; present != 0; present &= present - 1)
        {
            total += bits.U64();
            if (total > 1UL << 40)
            {
                throw new EndOfCodestreamException();
            }
        }

        bits.Skip((long)total);
    }

    /// <summary>The codestream's bits, least significant first in each byte, read through <see cref="Codestream"/>.</summary>
    private sealed class Bits(Codestream source)
    {
        private readonly byte[] _buffer = new byte[4096];
        private long _bufferStart;
        private int _bufferLength;
        private long _position; // in bits

        public uint Read(int count)
        {
            uint value = 0;
            for (var i = 0; i < count; i++, _position++)
            {
                var index = _position >> 3;
                if (index < _bufferStart || index >= _bufferStart + _bufferLength)
                {
                    _bufferStart = index;
                    _bufferLength = source.Read(index, _buffer);
                    if (_bufferLength == 0)
                    {
                        throw new EndOfCodestreamException();
                    }
                }

                value |= (uint)((_buffer[index - _bufferStart] >> (int)(_position & 7)) & 1) << i;
            }

            return value;
        }

        public bool Bool() => Read(1) == 1;

        /// <summary>The spec's U32(d0, d1, d2, d3): a 2-bit selector, then that distribution's offset plus its bits.</summary>
        public uint U32(uint offset0, int bits0, uint offset1, int bits1, uint offset2, int bits2, uint offset3, int bits3) => Read(2) switch
        {
            0 => offset0 + Read(bits0),
            1 => offset1 + Read(bits1),
            2 => offset2 + Read(bits2),
            _ => offset3 + Read(bits3),
        };

        /// <summary>An enumeration's value: U32(0, 1, 2 + u(4), 18 + u(6)).</summary>
        public uint Enum() => U32(0, 0, 1, 0, 2, 4, 18, 6);

        public ulong U64()
        {
            switch (Read(2))
            {
                case 0:
                    return 0;
                case 1:
                    return 1 + Read(4);
                case 2:
                    return 17 + Read(8);
            }

            ulong value = Read(12);
            for (var shift = 12; Bool(); shift += 8)
            {
                if (shift == 60)
                {
                    return value | ((ulong)Read(4) << 60);
                }

                value |= (ulong)Read(8) << shift;
            }

            return value;
        }

        public void Skip(long count)
        {
            if (count < 0 || count > long.MaxValue - _position)
            {
                throw new EndOfCodestreamException();
            }

            _position += count;
        }

        public void ToByteBoundary() => _position = (_position + 7) & ~7L;
    }

    /// <summary>
    /// The codestream as one run of bytes: the bare codestream, or the container's <c>jxlc</c> box, or its <c>jxlp</c> boxes
    /// in order (each after its 4-byte index), found by walking box headers as the reader moves on (forward only, so a
    /// hashed pass reads every byte once). A <c>jxli</c> frame index met on the way is kept.
    /// </summary>
    private sealed class Codestream(ContentPass pass)
    {
        private readonly List<(long Start, long FileStart, long Length)> _segments = [];
        private long _nextBox = pass.Head.Span.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]) ? -1 : 0;
        private long _length; // codestream bytes in the segments found
        private bool _done;
        private int _boxes;
        private byte[]? _index;
        private ReadOnlyMemory<byte>? _exif;
        private ReadOnlyMemory<byte>? _xmp;

        /// <summary>Copies the codestream's bytes from <paramref name="position"/>; 0 at its end.</summary>
        public int Read(long position, Span<byte> into)
        {
            if (_nextBox == -1)
            {
                return pass.ReadAt(position, into); // a bare codestream is the whole content
            }

            while (position >= _length && NextSegment())
            {
            }

            for (var i = _segments.Count - 1; i >= 0; i--)
            {
                var (start, fileStart, length) = _segments[i];
                if (position >= start && position < start + length)
                {
                    var n = (int)Math.Min(into.Length, start + length - position);
                    return pass.ReadAt(fileStart + (position - start), into[..n]);
                }
            }

            return 0;
        }

        /// <summary>The EXIF of an <c>Exif</c> (or compressed) box beyond the head.</summary>
        public ReadOnlyMemory<byte>? Exif => _exif;

        /// <summary>The XMP of an <c>xml </c> (or compressed) box beyond the head.</summary>
        public ReadOnlyMemory<byte>? Xmp => _xmp;

        /// <summary>The frames a <c>jxli</c> box lists (the sum of its F values), once the boxes have been walked.</summary>
        public int? IndexedFrames() => _index is { } index ? FrameIndex(index) : null;

        /// <summary>Walks the box headers to the end (a bare codestream has none), keeping the frame index and metadata boxes.</summary>
        public void WalkRemainingBoxes()
        {
            while (_nextBox != -1 && NextSegment())
            {
            }
        }

        private bool NextSegment()
        {
            Span<byte> header = stackalloc byte[16];
            while (!_done && ++_boxes <= MaxBoxes)
            {
                if (_boxes % 4096 == 0)
                {
                    pass.Clock.Check();
                }

                var at = _nextBox;
                var got = pass.ReadAt(at, header);
                if (got < 8)
                {
                    _done = true;
                    return false;
                }

                long size = BinaryPrimitives.ReadUInt32BigEndian(header);
                var body = at + 8;
                if (size == 1)
                {
                    var large = got == 16 ? BinaryPrimitives.ReadUInt64BigEndian(header[8..]) : 0;
                    size = large is < 16 or > long.MaxValue / 2 ? -1 : (long)large;
                    body += 8;
                }
                else if (size == 0)
                {
                    size = long.MaxValue / 2 - at; // to the end
                }

                if (size < body - at)
                {
                    _done = true;
                    return false;
                }

                _nextBox = at + size;
                _done = size == long.MaxValue / 2 - at;
                var type = header.Slice(4, 4);
                var start = type.SequenceEqual("jxlp"u8) ? body + 4 : type.SequenceEqual("jxlc"u8) ? body : -1;
                var contentLength = size - (body - at);
                if (type.SequenceEqual("jxli"u8) && _index is null && contentLength is > 0 and <= MaxIndexBytes)
                {
                    var index = new byte[contentLength];
                    _index = pass.ReadAt(body, index) == index.Length ? index : null;
                }
                else if (JpegXlHeader.IsMetadata(type) && !_done && at + size > pass.Head.Length && contentLength is > 0 and <= JpegXlHeader.MaxBoxBytes)
                {
                    // A metadata box the head does not hold whole (the header reader took those it holds).
                    var content = new byte[contentLength];
                    if (pass.ReadAt(body, content) == content.Length)
                    {
                        JpegXlHeader.Metadata(type, content, ref _exif, ref _xmp);
                    }
                }

                if (start >= 0 && at + size > start)
                {
                    _segments.Add((_length, start, at + size - start));
                    _length += at + size - start;
                    return true;
                }
            }

            return false;
        }

        /// <summary>A frame index (18181-2): NF, TNUM, TDEN, then NF times OFF, T, F (varints); the frames are the F values summed.</summary>
        private static int? FrameIndex(ReadOnlySpan<byte> index)
        {
            var at = 0;
            ulong? Varint(ReadOnlySpan<byte> data)
            {
                ulong value = 0;
                for (var shift = 0; shift < 64 && at < data.Length; shift += 7)
                {
                    var b = data[at++];
                    value |= (ulong)(b & 0x7F) << shift;
                    if ((b & 0x80) == 0)
                    {
                        return value;
                    }
                }

                return null;
            }

            var count = Varint(index);
            if (count is null or 0 || count > (ulong)index.Length || (at += 8) > index.Length)
            {
                return null;
            }

            ulong frames = 0;
            for (ulong i = 0; i < count; i++)
            {
                if (Varint(index) is null || Varint(index) is null || Varint(index) is not { } f)
                {
                    return null;
                }

                frames += f;
            }

            return frames is > 0 and <= int.MaxValue ? (int)frames : null;
        }
    }

    private sealed class EndOfCodestreamException : Exception;
}
