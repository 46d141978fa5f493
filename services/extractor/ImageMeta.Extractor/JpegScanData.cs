using System.Buffers.Binary;

namespace ImageMeta.Extractor;

/// <summary>
/// Proves that a sequential (baseline or extended, Huffman-coded) JPEG's scans hold every block their frame declares,
/// by walking the entropy-coded data symbol by symbol (no dequantisation, no IDCT). libjpeg, under Skia, pads a scan
/// that meets a marker too early with zeros and only warns, and Skia keeps the warning to itself, so a file cut short
/// with an end marker appended decodes "successfully": only counting the blocks tells. Progressive and arithmetic-coded
/// JPEGs are not walked (null: nothing to say). Linear in the content; written here because no library on the feed
/// reports a JPEG's premature end to a caller.
/// </summary>
internal static class JpegScanData
{
    private sealed class Component
    {
        public int Id;
        public int H;
        public int V;
        public int DcTable;
        public int AcTable;
    }

    /// <summary>A canonical Huffman table in the decoding form of ITU T.81 F.2.2.3 (max code and value index per length).</summary>
    private sealed class Huffman
    {
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValueOffset = new int[17];
        public readonly byte[] Values = new byte[256];

        public static Huffman? From(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            var table = new Huffman();
            values.CopyTo(table.Values);
            int code = 0, k = 0;
            for (var length = 1; length <= 16; length++)
            {
                table.ValueOffset[length] = k - code;
                code += counts[length - 1];
                k += counts[length - 1];
                table.MaxCode[length] = counts[length - 1] == 0 ? -1 : code - 1;
                if (code > 1 << length)
                {
                    return null; // more codes than the length allows: a broken table
                }

                code <<= 1;
            }

            table.MaxCode[17] = int.MaxValue;
            return table;
        }
    }

    /// <summary>
    /// What is wrong with the scan data (a sentence), or null when every scan holds every block, or when the JPEG is
    /// of a kind this walk does not cover.
    /// </summary>
    public static string? Problem(ReadOnlySpan<byte> jpeg)
    {
        var dc = new Huffman?[4];
        var ac = new Huffman?[4];
        Component[] components = [];
        int width = 0, height = 0, restartInterval = 0, scans = 0;
        var at = 2;
        while (at + 2 <= jpeg.Length)
        {
            if (jpeg[at] != 0xFF)
            {
                return $"a marker was expected at byte {at}";
            }

            var marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }

            if (marker == 0xD9)
            {
                return scans == 0 ? "the image ends before its first scan" : null;
            }

            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                at += 2; // markers without a length
                continue;
            }

            var length = at + 4 <= jpeg.Length ? BinaryPrimitives.ReadUInt16BigEndian(jpeg[(at + 2)..]) : 0;
            if (length < 2 || at + 2 + length > jpeg.Length)
            {
                return $"the segment at byte {at} runs past the end";
            }

            var segment = jpeg.Slice(at + 4, length - 2);
            at += 2 + length;
            switch (marker)
            {
                case 0xC0 or 0xC1:
                    if (segment.Length < 6)
                    {
                        return "the frame header is short";
                    }

                    height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                    width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                    var count = segment[5];
                    if (segment.Length < 6 + (3 * count) || count == 0 || height == 0)
                    {
                        return null; // a zero height is defined later by DNL; leave such files to the codec
                    }

                    components = new Component[count];
                    for (var i = 0; i < count; i++)
                    {
                        var c = segment.Slice(6 + (3 * i), 3);
                        components[i] = new Component { Id = c[0], H = Math.Max(1, c[1] >> 4), V = Math.Max(1, c[1] & 15) };
                    }

                    break;
                case >= 0xC2 and <= 0xCF when marker is not 0xC4 and not 0xC8 and not 0xCC:
                    return null; // progressive, lossless or arithmetic-coded: not walked
                case 0xC4:
                    for (var p = 0; p + 17 <= segment.Length;)
                    {
                        var kind = segment[p] >> 4;
                        var id = segment[p] & 3;
                        var counts = segment.Slice(p + 1, 16);
                        var total = 0;
                        foreach (var n in counts)
                        {
                            total += n;
                        }

                        if (total > 256 || p + 17 + total > segment.Length)
                        {
                            return "a Huffman table is damaged";
                        }

                        var table = Huffman.From(counts, segment.Slice(p + 17, total));
                        if (table is null)
                        {
                            return "a Huffman table is damaged";
                        }

                        (kind == 0 ? dc : ac)[id] = table;
                        p += 17 + total;
                    }

                    break;
                case 0xDD when segment.Length >= 2:
                    restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case 0xDA:
                    if (components.Length == 0)
                    {
                        return "a scan comes before the frame header";
                    }

                    var problem = WalkScan(jpeg, ref at, segment, components, dc, ac, width, height, restartInterval);
                    if (problem is not null)
                    {
                        return problem;
                    }

                    scans++;
                    break;
            }
        }

        return scans == 0 ? "the image has no scan" : "the image ends without its end marker";
    }

    private static string? WalkScan(ReadOnlySpan<byte> jpeg, ref int at, ReadOnlySpan<byte> header, Component[] frame,
        Huffman?[] dc, Huffman?[] ac, int width, int height, int restartInterval)
    {
        var count = header.Length > 0 ? header[0] : 0;
        if (count == 0 || header.Length < 1 + (2 * count))
        {
            return "a scan header is damaged";
        }

        var inScan = new Component[count];
        for (var i = 0; i < count; i++)
        {
            var id = header[1 + (2 * i)];
            var tables = header[2 + (2 * i)];
            var component = Array.Find(frame, c => c.Id == id);
            if (component is null)
            {
                return "a scan names a component the frame does not have";
            }

            component.DcTable = tables >> 4 & 3;
            component.AcTable = tables & 3;
            if (dc[component.DcTable] is null || ac[component.AcTable] is null)
            {
                return "a scan uses a Huffman table that was never defined";
            }

            inScan[i] = component;
        }

        var hMax = frame.Max(c => c.H);
        var vMax = frame.Max(c => c.V);
        long units;
        if (count == 1)
        {
            // A single component is not interleaved: one block per unit, over the component's own size.
            var c = inScan[0];
            units = (long)Ceiling(Ceiling(width * c.H, hMax), 8) * Ceiling(Ceiling(height * c.V, vMax), 8);
        }
        else
        {
            units = (long)Ceiling(width, 8 * hMax) * Ceiling(height, 8 * vMax);
        }

        var bits = new BitReader(jpeg, at);
        for (long unit = 0; unit < units; unit++)
        {
            if (restartInterval > 0 && unit > 0 && unit % restartInterval == 0 && !bits.Restart())
            {
                return $"restart marker missing before unit {unit} of {units}";
            }

            foreach (var c in inScan)
            {
                var blocks = count == 1 ? 1 : c.H * c.V;
                for (var b = 0; b < blocks; b++)
                {
                    if (!Block(ref bits, dc[c.DcTable]!, ac[c.AcTable]!))
                    {
                        return bits.AtMarker
                            ? $"the scan data ends after {unit} of {units} units (a marker came early)"
                            : $"the scan data is damaged at unit {unit} of {units}";
                    }
                }
            }
        }

        at = bits.NextMarker();
        return null;
    }

    /// <summary>One 8×8 block's symbols: the DC difference and up to 63 AC coefficients.</summary>
    private static bool Block(ref BitReader bits, Huffman dc, Huffman ac)
    {
        var size = bits.Decode(dc);
        if (size < 0 || size > 16 || !bits.Skip(size))
        {
            return false;
        }

        for (var k = 1; k < 64;)
        {
            var symbol = bits.Decode(ac);
            if (symbol < 0)
            {
                return false;
            }

            var run = symbol >> 4;
            var magnitude = symbol & 15;
            if (magnitude == 0)
            {
                if (run != 15)
                {
                    return true; // end of block
                }

                k += 16;
                continue;
            }

            k += run + 1;
            if (k > 64 || !bits.Skip(magnitude))
            {
                return false;
            }
        }

        return true;
    }

    private static int Ceiling(int value, int divisor) => (value + divisor - 1) / divisor;

    /// <summary>Bits of entropy-coded data: stuffed <c>FF 00</c> is a data byte; any other <c>FF xx</c> is a marker and ends the data.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data, int start)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at = start;
        private uint _buffer;
        private int _count;

        public bool AtMarker { get; private set; }

        private bool Fill()
        {
            while (_count <= 24)
            {
                if (_at >= _data.Length)
                {
                    return _count > 0;
                }

                var b = _data[_at];
                if (b == 0xFF)
                {
                    if (_at + 1 >= _data.Length)
                    {
                        return _count > 0;
                    }

                    if (_data[_at + 1] != 0)
                    {
                        AtMarker = true;
                        return _count > 0;
                    }

                    _at += 2;
                }
                else
                {
                    _at++;
                }

                _buffer |= (uint)b << (24 - _count);
                _count += 8;
            }

            return true;
        }

        public int Decode(Huffman table)
        {
            var code = 0;
            for (var length = 1; length <= 16; length++)
            {
                if (_count == 0 && !Fill())
                {
                    return -1;
                }

                code = (code << 1) | (int)(_buffer >> 31);
                _buffer <<= 1;
                _count--;
                if (code <= table.MaxCode[length])
                {
                    return table.Values[(code + table.ValueOffset[length]) & 0xFF];
                }
            }

            return -1;
        }

        public bool Skip(int n)
        {
            while (n > 0)
            {
                if (_count == 0 && !Fill())
                {
                    return false;
                }

                var take = Math.Min(n, _count);
                _buffer = take == 32 ? 0 : _buffer << take;
                _count -= take;
                n -= take;
            }

            return true;
        }

        /// <summary>Drops the partial byte and steps over the restart marker that must come next.</summary>
        public bool Restart()
        {
            // The bits still buffered are the interval's padding: the fill stops at a marker and never reads past it.
            _buffer = 0;
            _count = 0;
            _at = MarkerFrom(_data, _at);
            if (_at + 1 < _data.Length && _data[_at + 1] is >= 0xD0 and <= 0xD7)
            {
                _at += 2;
                AtMarker = false;
                return true;
            }

            AtMarker = true;
            return false;
        }

        /// <summary>The position of the marker that ends this scan's data.</summary>
        public readonly int NextMarker()
        {
            var at = MarkerFrom(_data, _at);
            while (at + 1 < _data.Length && _data[at + 1] is >= 0xD0 and <= 0xD7)
            {
                at = MarkerFrom(_data, at + 2);
            }

            return at;
        }

        /// <summary>The position of the first marker (<c>FF</c> then neither <c>00</c> nor <c>FF</c>) at or after <paramref name="at"/>.</summary>
        private static int MarkerFrom(ReadOnlySpan<byte> data, int at)
        {
            while (at + 1 < data.Length && !(data[at] == 0xFF && data[at + 1] is not 0x00 and not 0xFF))
            {
                at++;
            }

            return at;
        }
    }
}
