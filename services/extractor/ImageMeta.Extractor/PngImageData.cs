using System.Buffers.Binary;
using System.IO.Compression;

namespace ImageMeta.Extractor;

/// <summary>
/// Verifies a PNG's image data without a pixel buffer: inflates the IDAT stream row by row (Adam7 passes
/// for an interlaced image) and checks each row's filter type and that every row is present. Skia's PNG
/// codec cannot do this in bounded memory: in this build it has no scanline decoder and cannot scale,
/// and for an interlaced image it buffers the whole image anyway.
/// </summary>
internal static class PngImageData
{
    private const int SignatureLength = 8;

    // Adam7: first column, first row, column step and row step of each pass.
    private static readonly (int X, int Y, int Dx, int Dy)[] Passes =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>The IHDR facts verification needs.</summary>
    public sealed record Header(int Width, int Height, int BitsPerPixel, bool Interlaced);

    /// <summary>The IHDR of a PNG, or null when the content does not start with a readable one.</summary>
    public static Header? ReadHeader(ReadOnlySpan<byte> png)
    {
        if (png.Length < SignatureLength + 8 + 13 || !png[(SignatureLength + 4)..].StartsWith("IHDR"u8))
        {
            return null;
        }

        var ihdr = png.Slice(SignatureLength + 8, 13);
        var channels = ihdr[9] switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        return channels == 0
            ? null
            : new Header(BinaryPrimitives.ReadInt32BigEndian(ihdr), BinaryPrimitives.ReadInt32BigEndian(ihdr[4..]), channels * ihdr[8], ihdr[12] == 1);
    }

    /// <summary>What is wrong with the image data, or null when every row inflates with a valid filter type.</summary>
    public static string? Problem(ReadOnlyMemory<byte> png, Header header)
    {
        using var zlib = new ZLibStream(new ImageDataStream(png), CompressionMode.Decompress);
        var row = new byte[1 + (((long)header.Width * header.BitsPerPixel) + 7) / 8];
        var passes = header.Interlaced ? Passes : [(0, 0, 1, 1)];
        try
        {
            for (var p = 0; p < passes.Length; p++)
            {
                var (x, y, dx, dy) = passes[p];
                var width = (header.Width - x + dx - 1) / dx;
                var height = (header.Height - y + dy - 1) / dy;
                if (width <= 0 || height <= 0)
                {
                    continue;
                }

                var length = 1 + (int)((((long)width * header.BitsPerPixel) + 7) / 8);
                for (var r = 0; r < height; r++)
                {
                    zlib.ReadExactly(row, 0, length);
                    if (row[0] > 4)
                    {
                        return $"row {r} of pass {p + 1} has filter type {row[0]}";
                    }
                }
            }
        }
        catch (EndOfStreamException)
        {
            return "the image data ends before the last row";
        }
        catch (InvalidDataException e)
        {
            return $"the compressed image data is invalid ({e.Message})";
        }

        return null;
    }

    /// <summary>The payloads of the IDAT chunks, one after the other, as the zlib stream they form.</summary>
    private sealed class ImageDataStream(ReadOnlyMemory<byte> png) : Stream
    {
        private int _next = SignatureLength;
        private ReadOnlyMemory<byte> _current = ReadOnlyMemory<byte>.Empty;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_current.IsEmpty)
            {
                if (!NextImageData())
                {
                    return 0;
                }
            }

            var n = Math.Min(buffer.Length, _current.Length);
            _current.Span[..n].CopyTo(buffer);
            _current = _current[n..];
            return n;
        }

        /// <summary>Moves to the next IDAT payload (cut short where the file is); false after the last.</summary>
        private bool NextImageData()
        {
            var span = png.Span;
            while (_next + 8 <= span.Length)
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(span[_next..]);
                var type = span.Slice(_next + 4, 4);
                var start = _next + 8;
                var available = (int)Math.Min(length, (uint)(span.Length - start));
                _next = (int)Math.Min(span.Length, (long)start + length + 4);
                if (type.SequenceEqual("IDAT"u8))
                {
                    _current = png.Slice(start, available);
                    return true;
                }

                if (type.SequenceEqual("IEND"u8))
                {
                    break;
                }
            }

            _next = span.Length;
            return false;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
