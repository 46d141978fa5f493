using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary>Images built to cost memory: PNGs that declare a huge canvas but carry little data, and large noisy JPEGs.</summary>
internal static class HostileImages
{
    /// <summary>
    /// An 8-bit RGBA PNG declaring <paramref name="width"/>×<paramref name="height"/> whose IDAT holds
    /// deflated zero rows, cut at <paramref name="keepBytes"/> of compressed data (no IEND either way):
    /// small on the wire, and width×height×4 bytes if anything decodes it whole. All-zero data is valid
    /// filtered data in either row order, so interlacing only changes the header. With a
    /// <paramref name="keepBytes"/> past the end of the data, every row is present.
    /// </summary>
    public static byte[] TruncatedPng(int width, int height, int keepBytes, bool interlaced, byte filter = 0)
    {
        using var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            // Enough bytes for every row of every Adam7 pass; unused trailing bytes are harmless.
            var row = new byte[(width * 4) + 1];
            row[0] = filter;
            for (var y = 0; y < height * (interlaced ? 2 : 1) && deflated.Length < keepBytes; y++)
            {
                zlib.Write(row);
            }
        }

        var idat = deflated.GetBuffer().AsSpan(0, (int)Math.Min(deflated.Length, keepBytes));
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 6; // RGBA
        header[12] = interlaced ? (byte)1 : (byte)0;
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", idat);
        return png.ToArray();
    }

    /// <summary>A complete JPEG of random noise (noise barely compresses), about <paramref name="targetBytes"/> long.</summary>
    public static byte[] NoiseJpeg(int targetBytes)
    {
        // Noise at quality 100 costs about 1.3 bytes a pixel (4:2:0).
        var side = (int)Math.Sqrt(targetBytes / 1.3);
        return Noise(SKEncodedImageFormat.Jpeg, side, side, quality: 100);
    }

    /// <summary>Random opaque pixels encoded as <paramref name="format"/>: a file far longer than its header.</summary>
    public static byte[] Noise(SKEncodedImageFormat format, int width, int height, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        new Random(7).NextBytes(pixels);
        for (var i = 3; i < pixels.Length; i += 4)
        {
            pixels[i] = 255;
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    private static void WriteChunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        var typed = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed.AsSpan(4));
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        png.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(typed));
        png.Write(crc);
    }
}
