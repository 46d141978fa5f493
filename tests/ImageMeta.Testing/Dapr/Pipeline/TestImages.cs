using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>A named test file and the failure class it must end with (null = must succeed).</summary>
public sealed record TestImage(string Name, byte[] Content, string? ExpectedFailureClass = null);

/// <summary>
/// Real image files made in the test: JPEG (some with an EXIF block), PNG with alpha and WebP through
/// SkiaSharp's encoders; BMP and GIF written byte by byte (SkiaSharp encodes neither). Plus the bad
/// ones: text, truncated, and a decompression bomb whose header claims billions of pixels.
/// </summary>
public static class TestImages
{
    /// <summary><paramref name="count"/> images cycling through five formats, sizes varying, deterministic per seed.</summary>
    public static IReadOnlyList<TestImage> Mixed(int count, int seed, string prefix)
    {
        var random = new Random(seed);
        var images = new List<TestImage>(count);
        for (var i = 0; i < count; i++)
        {
            var width = random.Next(8, 320);
            var height = random.Next(8, 240);
            var color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(64, 256));
            var (extension, content) = (i % 5) switch
            {
                0 => ("jpg", Jpeg(width, height, color, exif: i % 10 == 0 ? (Orientation: (ushort)(i % 20 == 0 ? 6 : 1), Make: "ImageMeta", Model: $"Test {i}") : null)),
                1 => ("png", Encode(width, height, color, SKEncodedImageFormat.Png, 100)),
                2 => ("webp", Encode(width, height, color, SKEncodedImageFormat.Webp, 80)),
                3 => ("bmp", Bmp(width, height, color)),
                _ => ("gif", Gif(width, height, (byte)random.Next(128))),
            };
            images.Add(new TestImage($"{prefix}-{i:D4}.{extension}", content));
        }

        return images;
    }

    /// <summary>Files that must fail without retries, each with its class.</summary>
    public static IReadOnlyList<TestImage> Bad(string prefix)
    {
        var png = Encode(64, 48, SKColors.CornflowerBlue, SKEncodedImageFormat.Png, 100);
        return
        [
            new($"{prefix}-notes.txt", Encoding.UTF8.GetBytes("These are notes, not an image.\nSecond line.\n"), "unsupported"),
            new($"{prefix}-truncated.png", png[..20], "corrupt"),
            new($"{prefix}-bomb.png", PngBomb(60_000, 60_000), "too-large"),
        ];
    }

    public static byte[] Encode(int width, int height, SKColor color, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color);
            using var paint = new SKPaint { Color = new SKColor((byte)(255 - color.Red), color.Green, color.Blue, 255) };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        }

        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>A JPEG, optionally with an APP1 EXIF segment (Make, Model, Orientation) right after SOI.</summary>
    public static byte[] Jpeg(int width, int height, SKColor color, (ushort Orientation, string Make, string Model)? exif)
    {
        var jpeg = Encode(width, height, color, SKEncodedImageFormat.Jpeg, 85);
        if (exif is not { } tags)
        {
            return jpeg;
        }

        var app1 = ExifSegment(tags.Orientation, tags.Make, tags.Model);
        var result = new byte[jpeg.Length + app1.Length];
        jpeg.AsSpan(0, 2).CopyTo(result);
        app1.CopyTo(result, 2);
        jpeg.AsSpan(2).CopyTo(result.AsSpan(2 + app1.Length));
        return result;
    }

    /// <summary>APP1 "Exif\0\0" + little-endian TIFF with one IFD: Make, Model (ASCII), Orientation (SHORT).</summary>
    private static byte[] ExifSegment(ushort orientation, string make, string model)
    {
        var makeBytes = Encoding.ASCII.GetBytes(make + "\0");
        var modelBytes = Encoding.ASCII.GetBytes(model + "\0");
        const int entries = 3;
        var ifdSize = 2 + (entries * 12) + 4;
        var dataOffset = 8 + ifdSize;
        var tiff = new byte[dataOffset + makeBytes.Length + modelBytes.Length];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), entries);
        var at = 10;
        void Entry(ushort tag, ushort type, uint count, uint valueOrOffset)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 4), count);
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 8), valueOrOffset);
            at += 12;
        }

        // Tags in ascending order, as TIFF requires.
        Entry(0x010F, 2, (uint)makeBytes.Length, (uint)dataOffset);
        Entry(0x0110, 2, (uint)modelBytes.Length, (uint)(dataOffset + makeBytes.Length));
        Entry(0x0112, 3, 1, orientation);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), 0);
        makeBytes.CopyTo(tiff, dataOffset);
        modelBytes.CopyTo(tiff, dataOffset + makeBytes.Length);

        var payload = new byte[6 + tiff.Length];
        "Exif\0\0"u8.CopyTo(payload);
        tiff.CopyTo(payload, 6);
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return segment;
    }

    /// <summary>A 24-bit bottom-up BMP (BITMAPINFOHEADER), rows padded to 4 bytes.</summary>
    public static byte[] Bmp(int width, int height, SKColor color)
    {
        var rowSize = ((width * 3) + 3) & ~3;
        var pixelBytes = rowSize * height;
        var bmp = new byte[54 + pixelBytes];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), pixelBytes);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(38), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(42), 2835);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var at = 54 + (y * rowSize) + (x * 3);
                bmp[at] = (byte)(color.Blue ^ x);
                bmp[at + 1] = (byte)(color.Green ^ y);
                bmp[at + 2] = color.Red;
            }
        }

        return bmp;
    }

    /// <summary>
    /// A GIF89a with a 128-colour palette, its LZW stream written with literal codes only: 8-bit codes and a
    /// clear code before the table would grow, which every decoder reads (it is valid, merely uncompressed).
    /// </summary>
    public static byte[] Gif(int width, int height, byte seed)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        Span<byte> screen = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(screen[2..], (ushort)height);
        screen[4] = 0xF6; // global colour table, 7 bits of colour resolution, 2^(6+1) = 128 entries
        gif.Write(screen);
        for (var i = 0; i < 128; i++)
        {
            gif.WriteByte((byte)(i * 2));
            gif.WriteByte((byte)(255 - (i * 2)));
            gif.WriteByte((byte)((i * 7) + seed));
        }

        gif.WriteByte(0x2C);
        Span<byte> descriptor = stackalloc byte[9];
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[4..], (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[6..], (ushort)height);
        gif.Write(descriptor);

        const int minCodeSize = 7;
        const int clear = 1 << minCodeSize;
        const int end = clear + 1;
        var codes = new List<int> { clear };
        var sinceClear = 0;
        for (var p = 0; p < width * height; p++)
        {
            // With 8-bit codes the table may grow to 256 entries; 126 literals after a clear stay below that.
            if (sinceClear == 126)
            {
                codes.Add(clear);
                sinceClear = 0;
            }

            codes.Add(((p % width) + (p / width) + seed) % 128);
            sinceClear++;
        }

        codes.Add(end);
        var packed = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var code in codes)
        {
            buffer |= code << bits;
            bits += 8;
            while (bits >= 8)
            {
                packed.Add((byte)(buffer & 0xFF));
                buffer >>= 8;
                bits -= 8;
            }
        }

        gif.WriteByte(minCodeSize);
        for (var i = 0; i < packed.Count; i += 255)
        {
            var length = Math.Min(255, packed.Count - i);
            gif.WriteByte((byte)length);
            gif.Write(packed.GetRange(i, length).ToArray());
        }

        gif.WriteByte(0);
        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>A well-formed PNG whose IHDR claims <paramref name="width"/>×<paramref name="height"/> pixels with a tiny IDAT.</summary>
    public static byte[] PngBomb(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        Chunk(png, "IHDR", ihdr);
        // zlib stream of a few zero bytes: a decoder would inflate rows forever; the limit must stop it first.
        Chunk(png, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = Crc32([.. typeBytes, .. data]);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        png.Write(crcBytes);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
