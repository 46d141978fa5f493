using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace ImageMeta.Testing.Images;

/// <summary>
/// Real images made in the test: Skia's encoders for JPEG, PNG and WebP, and small writers that follow
/// the published layouts for what Skia cannot encode (GIF with LZW, BMP, ICO, WBMP, animated WebP) and
/// for EXIF (a TIFF structure in a JPEG APP1 segment).
/// </summary>
public static class ImageWriters
{
    public static byte[] Encode(SKEncodedImageFormat format, int width, int height, bool alpha = false, int quality = 90)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, alpha ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var at = (y * width + x) * 4;
                pixels[at] = (byte)(x * 7);
                pixels[at + 1] = (byte)(y * 5);
                pixels[at + 2] = (byte)(x ^ y);
                pixels[at + 3] = alpha ? (byte)(x % 256) : (byte)255;
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>One colour over a large canvas: tiny on disk, huge when decoded (a decompression bomb).</summary>
    public static byte[] SolidPng(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.White);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static byte[] Jpeg(int width = 64, int height = 48) => Encode(SKEncodedImageFormat.Jpeg, width, height);

    public static byte[] Png(int width = 64, int height = 48, bool alpha = false) => Encode(SKEncodedImageFormat.Png, width, height, alpha);

    public static byte[] Webp(int width = 64, int height = 48) => Encode(SKEncodedImageFormat.Webp, width, height, quality: 100);

    /// <summary>A 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes).</summary>
    public static byte[] Bmp(int width, int height)
    {
        var row = (width * 3 + 3) & ~3;
        var bytes = new byte[54 + row * height];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        for (var i = 54; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }

        return bytes;
    }

    /// <summary>WBMP type 0: two zero bytes, width and height as multi-byte integers, 1-bit rows.</summary>
    public static byte[] Wbmp(int width, int height)
    {
        var bytes = new List<byte> { 0, 0 };
        bytes.AddRange(MultiByte(width));
        bytes.AddRange(MultiByte(height));
        var row = (width + 7) / 8;
        for (var i = 0; i < row * height; i++)
        {
            bytes.Add((byte)(i % 2 == 0 ? 0xAA : 0x55));
        }

        return [.. bytes];

        static IEnumerable<byte> MultiByte(int value)
        {
            var groups = new Stack<byte>();
            groups.Push((byte)(value & 0x7F));
            while ((value >>= 7) > 0)
            {
                groups.Push((byte)(0x80 | (value & 0x7F)));
            }

            return groups;
        }
    }

    /// <summary>An ICO whose single entry holds a PNG (allowed since Windows Vista's icon format).</summary>
    public static byte[] Ico(int size)
    {
        var png = Png(size, size, alpha: true);
        var bytes = new byte[6 + 16 + png.Length];
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(4), 1);
        bytes[6] = (byte)(size >= 256 ? 0 : size);
        bytes[7] = (byte)(size >= 256 ? 0 : size);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(10), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(12), 32);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), 22);
        png.CopyTo(bytes, 22);
        return bytes;
    }

    /// <summary>
    /// A GIF89a with <paramref name="frames"/> frames (a NETSCAPE loop extension when animated). Pixel
    /// data uses LZW with a clear code every 254 literals, so codes stay 9 bits wide: valid, if not small.
    /// </summary>
    public static byte[] Gif(int width, int height, int frames = 1)
    {
        var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        WriteUInt16(gif, width);
        WriteUInt16(gif, height);
        gif.WriteByte(0xF7); // global color table, 8 bits, 256 entries
        gif.WriteByte(0);
        gif.WriteByte(0);
        for (var i = 0; i < 256; i++)
        {
            gif.Write([(byte)i, (byte)(255 - i), (byte)(i * 3)]);
        }

        if (frames > 1)
        {
            gif.Write([0x21, 0xFF, 0x0B]);
            gif.Write("NETSCAPE2.0"u8);
            gif.Write([3, 1, 0, 0, 0]);
        }

        for (var f = 0; f < frames; f++)
        {
            gif.Write([0x21, 0xF9, 4, 0x04, 10, 0, 0, 0]); // graphic control: 100 ms, do not dispose
            gif.WriteByte(0x2C);
            WriteUInt16(gif, 0);
            WriteUInt16(gif, 0);
            WriteUInt16(gif, width);
            WriteUInt16(gif, height);
            gif.WriteByte(0);
            gif.WriteByte(8);
            var codes = new List<int> { 256 };
            for (var p = 0; p < width * height; p++)
            {
                if (p > 0 && p % 254 == 0)
                {
                    codes.Add(256);
                }

                codes.Add((p + f * 17) % 256);
            }

            codes.Add(257);
            var packed = new List<byte>();
            int bitBuffer = 0, bitCount = 0;
            foreach (var code in codes)
            {
                bitBuffer |= code << bitCount;
                bitCount += 9;
                while (bitCount >= 8)
                {
                    packed.Add((byte)(bitBuffer & 0xFF));
                    bitBuffer >>= 8;
                    bitCount -= 8;
                }
            }

            if (bitCount > 0)
            {
                packed.Add((byte)bitBuffer);
            }

            foreach (var block in packed.Chunk(255))
            {
                gif.WriteByte((byte)block.Length);
                gif.Write(block);
            }

            gif.WriteByte(0);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>An animated WebP (VP8X + ANIM + one ANMF per frame) whose frames are Skia-encoded lossless WebP bitstreams.</summary>
    public static byte[] AnimatedWebp(int width, int height, int frames)
    {
        var body = new MemoryStream();
        body.Write("WEBP"u8);
        var vp8x = new byte[10];
        vp8x[0] = 0x02 | 0x10; // animation, alpha
        WriteUInt24(vp8x.AsSpan(4), width - 1);
        WriteUInt24(vp8x.AsSpan(7), height - 1);
        WriteChunk(body, "VP8X", vp8x);
        WriteChunk(body, "ANIM", [0, 0, 0, 0, 0, 0]);
        // Every frame is the same picture: the encoder is deterministic, so one encode serves them all.
        var bitstream = Encode(SKEncodedImageFormat.Webp, width, height, alpha: true, quality: 100).AsSpan(12).ToArray(); // the chunks after "RIFF....WEBP"
        var header = new byte[16];
        WriteUInt24(header.AsSpan(6), width - 1);
        WriteUInt24(header.AsSpan(9), height - 1);
        WriteUInt24(header.AsSpan(12), 100);
        byte[] frame = [.. header, .. bitstream];
        for (var f = 0; f < frames; f++)
        {
            WriteChunk(body, "ANMF", frame);
        }

        var riff = new MemoryStream();
        riff.Write("RIFF"u8);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, (int)body.Length);
        riff.Write(length);
        body.Position = 0;
        body.CopyTo(riff);
        return riff.ToArray();
    }

    /// <summary>A PNG header (signature + IHDR) declaring the given size, followed by a tiny IDAT and IEND.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var png = Png(1, 1);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        var crc = System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), crc);
        return png;
    }

    /// <summary>EXIF facts to embed with <see cref="WithExif"/>.</summary>
    public sealed record ExifTags(
        int? Orientation = null,
        string? Make = null,
        string? Model = null,
        string? Lens = null,
        string? DateTimeOriginal = null,
        string? OffsetTimeOriginal = null,
        (uint Num, uint Den)? ExposureTime = null,
        (uint Num, uint Den)? FNumber = null,
        ushort? Iso = null,
        (uint Num, uint Den)? FocalLength = null,
        (double Lat, double Lon, double? Alt)? Gps = null,
        string? DateTime = null,
        string? DateTimeDigitized = null,
        string? OffsetTimeDigitized = null,
        ushort? FocalLength35mm = null,
        ushort? Flash = null,
        ushort? ExposureProgram = null,
        ushort? WhiteBalance = null,
        string? Artist = null,
        string? Copyright = null,
        string? Software = null);

    /// <summary>Inserts an APP1 EXIF segment (big-endian TIFF: IFD0, Exif IFD, GPS IFD) right after the JPEG's SOI.</summary>
    public static byte[] WithExif(byte[] jpeg, ExifTags tags)
    {
        var ifd0 = new List<Entry>();
        var exif = new List<Entry>();
        var gps = new List<Entry>();
        if (tags.Make is not null) ifd0.Add(Entry.Ascii(0x010F, tags.Make));
        if (tags.Model is not null) ifd0.Add(Entry.Ascii(0x0110, tags.Model));
        if (tags.Orientation is { } o) ifd0.Add(Entry.Short(0x0112, (ushort)o));
        if (tags.Software is not null) ifd0.Add(Entry.Ascii(0x0131, tags.Software));
        if (tags.DateTime is not null) ifd0.Add(Entry.Ascii(0x0132, tags.DateTime));
        if (tags.Artist is not null) ifd0.Add(Entry.Ascii(0x013B, tags.Artist));
        if (tags.Copyright is not null) ifd0.Add(Entry.Ascii(0x8298, tags.Copyright));
        if (tags.ExposureProgram is { } program) exif.Add(Entry.Short(0x8822, program));
        if (tags.DateTimeDigitized is not null) exif.Add(Entry.Ascii(0x9004, tags.DateTimeDigitized));
        if (tags.OffsetTimeDigitized is not null) exif.Add(Entry.Ascii(0x9012, tags.OffsetTimeDigitized));
        if (tags.Flash is { } flash) exif.Add(Entry.Short(0x9209, flash));
        if (tags.WhiteBalance is { } balance) exif.Add(Entry.Short(0xA403, balance));
        if (tags.FocalLength35mm is { } fl35) exif.Add(Entry.Short(0xA405, fl35));
        if (tags.ExposureTime is { } e) exif.Add(Entry.Rational(0x829A, e.Num, e.Den));
        if (tags.FNumber is { } fn) exif.Add(Entry.Rational(0x829D, fn.Num, fn.Den));
        if (tags.Iso is { } iso) exif.Add(Entry.Short(0x8827, iso));
        if (tags.DateTimeOriginal is not null) exif.Add(Entry.Ascii(0x9003, tags.DateTimeOriginal));
        if (tags.OffsetTimeOriginal is not null) exif.Add(Entry.Ascii(0x9011, tags.OffsetTimeOriginal));
        if (tags.FocalLength is { } fl) exif.Add(Entry.Rational(0x920A, fl.Num, fl.Den));
        if (tags.Lens is not null) exif.Add(Entry.Ascii(0xA434, tags.Lens));
        if (tags.Gps is { } g)
        {
            gps.Add(Entry.Ascii(0x0001, g.Lat >= 0 ? "N" : "S"));
            gps.Add(Entry.Rationals(0x0002, Dms(Math.Abs(g.Lat))));
            gps.Add(Entry.Ascii(0x0003, g.Lon >= 0 ? "E" : "W"));
            gps.Add(Entry.Rationals(0x0004, Dms(Math.Abs(g.Lon))));
            if (g.Alt is { } alt)
            {
                gps.Add(new Entry(0x0005, 1, 1, [(byte)(alt < 0 ? 1 : 0), 0, 0, 0]));
                gps.Add(Entry.Rational(0x0006, (uint)Math.Round(Math.Abs(alt) * 100), 100));
            }
        }

        // Layout: header(8) | IFD0 | Exif IFD | GPS IFD | data area. Pointers are patched once sizes are known.
        if (exif.Count > 0) ifd0.Add(Entry.Long(0x8769, 0));
        if (gps.Count > 0) ifd0.Add(Entry.Long(0x8825, 0));
        ifd0.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        exif.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        gps.Sort((a, b) => a.Tag.CompareTo(b.Tag));

        static int IfdSize(List<Entry> entries) => entries.Count == 0 ? 0 : 2 + entries.Count * 12 + 4;
        var ifd0At = 8;
        var exifAt = ifd0At + IfdSize(ifd0);
        var gpsAt = exifAt + IfdSize(exif);
        var dataAt = gpsAt + IfdSize(gps);
        foreach (var entry in ifd0)
        {
            if (entry.Tag == 0x8769) BinaryPrimitives.WriteUInt32BigEndian(entry.Value, (uint)exifAt);
            if (entry.Tag == 0x8825) BinaryPrimitives.WriteUInt32BigEndian(entry.Value, (uint)gpsAt);
        }

        var tiff = new MemoryStream();
        tiff.Write("MM\0*"u8);
        tiff.Write([0, 0, 0, 8]);
        var data = new MemoryStream();
        foreach (var ifd in new[] { ifd0, exif, gps })
        {
            if (ifd.Count == 0) continue;
            var head = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(head, (ushort)ifd.Count);
            tiff.Write(head);
            foreach (var entry in ifd)
            {
                var raw = new byte[12];
                BinaryPrimitives.WriteUInt16BigEndian(raw, entry.Tag);
                BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(2), entry.Type);
                BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(4), entry.Count);
                if (entry.Value.Length <= 4)
                {
                    entry.Value.CopyTo(raw, 8);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(8), (uint)(dataAt + data.Length));
                    data.Write(entry.Value);
                    if (data.Length % 2 == 1) data.WriteByte(0);
                }

                tiff.Write(raw);
            }

            tiff.Write([0, 0, 0, 0]);
        }

        data.Position = 0;
        data.CopyTo(tiff);
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff.ToArray()).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    private static (uint, uint)[] Dms(double degrees)
    {
        var d = Math.Floor(degrees);
        var m = Math.Floor((degrees - d) * 60);
        var s = (degrees - d - m / 60) * 3600;
        return [((uint)d, 1), ((uint)m, 1), ((uint)Math.Round(s * 10000), 10000)];
    }

    private sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value)
    {
        public static Entry Ascii(ushort tag, string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text + "\0");
            return new Entry(tag, 2, (uint)bytes.Length, bytes.Length < 4 ? [.. bytes, .. new byte[4 - bytes.Length]] : bytes);
        }

        public static Entry Short(ushort tag, ushort value)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
            return new Entry(tag, 3, 1, bytes);
        }

        public static Entry Long(ushort tag, uint value)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            return new Entry(tag, 4, 1, bytes);
        }

        public static Entry Rational(ushort tag, uint numerator, uint denominator) => Rationals(tag, [(numerator, denominator)]);

        public static Entry Rationals(ushort tag, (uint Num, uint Den)[] values)
        {
            var bytes = new byte[8 * values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 8), values[i].Num);
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 8 + 4), values[i].Den);
            }

            return new Entry(tag, 5, (uint)values.Length, bytes);
        }
    }

    private static void WriteUInt16(Stream stream, int value) => stream.Write([(byte)(value & 0xFF), (byte)(value >> 8)]);

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)(value & 0xFF);
        target[1] = (byte)((value >> 8) & 0xFF);
        target[2] = (byte)((value >> 16) & 0xFF);
    }

    private static void WriteChunk(Stream stream, string fourCc, byte[] payload)
    {
        stream.Write(Encoding.ASCII.GetBytes(fourCc));
        var size = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, payload.Length);
        stream.Write(size);
        stream.Write(payload);
        if (payload.Length % 2 == 1)
        {
            stream.WriteByte(0);
        }
    }
}
