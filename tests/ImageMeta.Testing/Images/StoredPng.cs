using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace ImageMeta.Testing.Images;

/// <summary>
/// A valid RGB PNG whose image data is stored, not compressed (deflate's stored blocks): a file as large as its
/// pixels, written in moments, for memory bounds at hundreds of megabytes.
/// </summary>
public static class StoredPng
{
    /// <summary>Writes a <paramref name="width"/>×<paramref name="height"/> PNG to <paramref name="path"/>; returns its length.</summary>
    public static long Write(string path, int width, int height)
    {
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // RGB
        Chunk(file, "IHDR", header);

        using (var data = new MemoryStream())
        {
            using (var zlib = new ZLibStream(data, CompressionLevel.NoCompression, leaveOpen: true))
            {
                var row = new byte[1 + (width * 3)];
                for (var y = 0; y < height; y++)
                {
                    row[1 + (y % (width * 3))] = (byte)y; // a little variety; filter type 0
                    zlib.Write(row);
                }
            }

            Chunk(file, "IDAT", data.GetBuffer().AsSpan(0, (int)data.Length));
        }

        Chunk(file, "IEND", []);
        return file.Length;
    }

    private static void Chunk(Stream png, string type, ReadOnlySpan<byte> payload)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, payload.Length);
        png.Write(number);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(payload);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(payload);
        BinaryPrimitives.WriteUInt32BigEndian(number, crc.GetCurrentHashAsUInt32());
        png.Write(number);
    }
}
