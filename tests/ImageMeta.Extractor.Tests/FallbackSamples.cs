using System.Buffers.Binary;
using System.Diagnostics;
using ImageMagick;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using SkiaSharp;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// Sample files of the fallback decoder's formats, made at test time: HEIC with Debian's <c>heif-enc</c> (ImageMagick's
/// bundled libheif has no HEVC encoder), AVIF with <c>avifenc</c> (for its irot/imir options), the rest with
/// Magick.NET itself, and a DNG written by hand (nothing here writes one). A missing tool skips its test outside CI
/// and fails it in CI (<c>CI=true</c>), where scripts/setup.sh installs the Debian packages.
/// </summary>
internal static class FallbackSamples
{
    /// <summary>Stored 80×60 (or the size given): a red top-left quarter on blue, so the red corner shows how the picture was turned.</summary>
    public static SKBitmap MarkedCorner(int width = 80, int height = 60)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.Blue);
        using var red = new SKPaint { Color = SKColors.Red };
        canvas.DrawRect(0, 0, width / 2f, height / 2f, red);
        return bitmap;
    }

    public static byte[] Png(SKBitmap bitmap) => PhotoLikeImages.Encode(bitmap, SKEncodedImageFormat.Png, 100);

    /// <summary>Skips (outside CI) or fails (in CI) unless <paramref name="tool"/> is on PATH, naming its Debian package.</summary>
    public static void Require(string tool, string package)
    {
        if (ExecutablesOnPath.Find(tool) is not null)
        {
            return;
        }

        var reason = $"{tool} is not installed (Debian package {package}; scripts/setup.sh installs it).";
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            throw new InvalidOperationException(reason + " It is required in CI.");
        }

        Skip.If(true, reason);
    }

    /// <summary>A HEIC of <paramref name="source"/> (PNG or JPEG bytes; a JPEG's EXIF is copied into the HEIC as it is).</summary>
    public static byte[] Heic(byte[] source, string extension = ".png", int quality = 90)
    {
        Require("heif-enc", "libheif-examples");
        return Converted(source, extension, ".heic", output => ["-q", quality.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output]);
    }

    /// <summary>An AVIF of a PNG with the given irot (quarter turns counter-clockwise) and imir (0 top-to-bottom, 1 left-to-right).</summary>
    public static byte[] Avif(byte[] png, int? irot = null, int? imir = null)
    {
        Require("avifenc", "libavif-bin");
        return Converted(png, ".png", ".avif", output =>
        [
            .. irot is { } r ? new[] { "--irot", r.ToString(System.Globalization.CultureInfo.InvariantCulture) } : [],
            .. imir is { } m ? new[] { "--imir", m.ToString(System.Globalization.CultureInfo.InvariantCulture) } : [],
            "-o", output,
        ]);
    }

    /// <summary><paramref name="bitmap"/> written by ImageMagick in <paramref name="format"/>, with the TIFF/EXIF orientation tag set when given.</summary>
    public static byte[] Written(SKBitmap bitmap, MagickFormat format, Orientation orientation = Orientation.TopLeft)
    {
        using var image = new MagickImage(Png(bitmap));
        image.Orientation = orientation;
        image.Format = format;
        return image.ToByteArray();
    }

    /// <summary>
    /// Adds HEIF transform properties to the primary item of <paramref name="heif"/>: irot (quarter turns counter-clockwise)
    /// and/or imir (axis 0: top-to-bottom, 1: left-to-right), as a phone writes them. heif-enc 1.15 writes neither.
    /// Edits the boxes in place: the new properties at the end of ipco, their associations in ipma, every enclosing
    /// size, and iloc's offsets into the mdat that follows (which the insertion moves).
    /// </summary>
    public static byte[] WithTransforms(byte[] heif, int? irot, int? imir)
    {
        List<byte[]> properties = [];
        if (irot is { } r)
        {
            properties.Add([0, 0, 0, 9, .. "irot"u8, (byte)r]);
        }

        if (imir is { } m)
        {
            properties.Add([0, 0, 0, 9, .. "imir"u8, (byte)m]);
        }

        var added = properties.Sum(p => p.Length);
        var meta = Child(heif, 0, heif.Length, "meta") ?? throw new InvalidDataException("no meta box");
        var metaBody = meta.Start + 12; // a full box
        var iprp = Child(heif, metaBody, meta.End, "iprp") ?? throw new InvalidDataException("no iprp box");
        var ipco = Child(heif, iprp.Start + 8, iprp.End, "ipco") ?? throw new InvalidDataException("no ipco box");
        var ipma = Child(heif, iprp.Start + 8, iprp.End, "ipma") ?? throw new InvalidDataException("no ipma box");
        var pitm = Child(heif, metaBody, meta.End, "pitm") ?? throw new InvalidDataException("no pitm box");
        var iloc = Child(heif, metaBody, meta.End, "iloc") ?? throw new InvalidDataException("no iloc box");
        var primary = heif[pitm.Start + 8] == 0 ? BinaryPrimitives.ReadUInt16BigEndian(heif.AsSpan(pitm.Start + 12)) : BinaryPrimitives.ReadUInt32BigEndian(heif.AsSpan(pitm.Start + 12));

        var existing = 0;
        for (var at = ipco.Start + 8; at < ipco.End; at += (int)BinaryPrimitives.ReadUInt32BigEndian(heif.AsSpan(at)))
        {
            existing++;
        }

        // ipma: find the primary item's entry; its associations end where the new ones go.
        var version = heif[ipma.Start + 8];
        var wide = (heif[ipma.Start + 11] & 1) != 0;
        var entries = BinaryPrimitives.ReadUInt32BigEndian(heif.AsSpan(ipma.Start + 12));
        var cursor = ipma.Start + 16;
        int countAt = -1, associationsEnd = -1;
        for (var i = 0; i < entries; i++)
        {
            uint item = version < 1 ? BinaryPrimitives.ReadUInt16BigEndian(heif.AsSpan(cursor)) : BinaryPrimitives.ReadUInt32BigEndian(heif.AsSpan(cursor));
            cursor += version < 1 ? 2 : 4;
            var count = heif[cursor];
            var end = cursor + 1 + (count * (wide ? 2 : 1));
            if (item == primary)
            {
                countAt = cursor;
                associationsEnd = end;
            }

            cursor = end;
        }

        if (countAt < 0)
        {
            throw new InvalidDataException("the primary item has no ipma entry");
        }

        var associations = new List<byte>();
        for (var i = 0; i < properties.Count; i++)
        {
            var index = existing + 1 + i;
            associations.AddRange(wide ? [(byte)(0x80 | (index >> 8)), (byte)index] : [(byte)(0x80 | index)]);
        }

        var delta = added + associations.Count;
        var edited = heif.ToArray();
        ShiftIloc(edited, iloc.Start, delta, meta.End);
        edited[countAt] += (byte)properties.Count;
        AddToSize(edited, meta.Start, delta);
        AddToSize(edited, iprp.Start, delta);
        AddToSize(edited, ipco.Start, added);
        AddToSize(edited, ipma.Start, associations.Count);

        // Insert from the end backwards so the earlier offsets stay right.
        var insertions = new[] { (At: associationsEnd, Bytes: associations.ToArray()), (At: ipco.End, Bytes: properties.SelectMany(p => p).ToArray()) }
            .OrderByDescending(x => x.At);
        var result = edited.ToList();
        foreach (var (at, bytes) in insertions)
        {
            result.InsertRange(at, bytes);
        }

        return [.. result];
    }

    /// <summary>
    /// A DNG as far as the thumbnail needs one: IFD0 is the camera's full-size JPEG preview (NewSubfileType 1, the way
    /// DNG stores previews) with the orientation and DNGVersion tags, followed by a small JPEG (a second, smaller
    /// preview) and bytes standing in for sensor data. Its JPEGs carry no orientation of their own, as cameras write them.
    /// </summary>
    public static byte[] Dng(byte[] previewJpeg, int previewWidth, int previewHeight, byte[] smallJpeg, int orientation)
    {
        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>();
        const int EntryCount = 12;
        var ifdLength = 2 + (EntryCount * 12) + 4;
        var makeAt = 8 + ifdLength;
        var make = "Testcam\0"u8.ToArray();
        var smallAt = makeAt + make.Length;
        var previewAt = smallAt + smallJpeg.Length;
        entries.Add((0x00FE, 4, 1, 1));
        entries.Add((0x0100, 4, 1, (uint)previewWidth));
        entries.Add((0x0101, 4, 1, (uint)previewHeight));
        entries.Add((0x0103, 3, 1, 7));
        entries.Add((0x0106, 3, 1, 6));
        entries.Add((0x010F, 2, (uint)make.Length, (uint)makeAt));
        entries.Add((0x0111, 4, 1, (uint)previewAt));
        entries.Add((0x0112, 3, 1, (uint)orientation));
        entries.Add((0x0115, 3, 1, 3));
        entries.Add((0x0116, 4, 1, (uint)previewHeight));
        entries.Add((0x0117, 4, 1, (uint)previewJpeg.Length));
        entries.Add((0xC612, 1, 4, BinaryPrimitives.ReadUInt32LittleEndian([1, 4, 0, 0])));
        Debug.Assert(entries.Count == EntryCount, "the IFD's length counts every entry");

        var sensor = new byte[64 * 1024];
        new Random(11).NextBytes(sensor);
        var file = new byte[previewAt + previewJpeg.Length + sensor.Length];
        "II*\0"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), EntryCount);
        for (var i = 0; i < entries.Count; i++)
        {
            var at = file.AsSpan(10 + (i * 12));
            BinaryPrimitives.WriteUInt16LittleEndian(at, entries[i].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(at[2..], entries[i].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(at[4..], entries[i].Count);
            if (entries[i].Type == 3)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(at[8..], (ushort)entries[i].Value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(at[8..], entries[i].Value);
            }
        }

        make.CopyTo(file, makeAt);
        smallJpeg.CopyTo(file, smallAt);
        previewJpeg.CopyTo(file, previewAt);
        sensor.CopyTo(file, previewAt + previewJpeg.Length);
        return file;
    }

    private static byte[] Converted(byte[] source, string extension, string outputExtension, Func<string, string[]> arguments)
    {
        var folder = Directory.CreateTempSubdirectory("imagemeta-fallback-");
        try
        {
            var input = Path.Combine(folder.FullName, "in" + extension);
            var output = Path.Combine(folder.FullName, "out" + outputExtension);
            File.WriteAllBytes(input, source);
            var tool = outputExtension == ".heic" ? "heif-enc" : "avifenc";
            var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments(output))
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(input);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)) || process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{tool} failed ({(process.HasExited ? process.ExitCode : "timed out")}): {stderr.Result}");
            }

            return File.ReadAllBytes(output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private sealed record Box(int Start, int End);

    private static Box? Child(byte[] file, int from, int to, string type)
    {
        for (var at = from; at + 8 <= to;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
            if (size < 8)
            {
                return null;
            }

            if (System.Text.Encoding.ASCII.GetString(file, at + 4, 4) == type)
            {
                return new Box(at, at + size);
            }

            at += size;
        }

        return null;
    }

    private static void AddToSize(byte[] file, int boxStart, int more) =>
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(boxStart), BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(boxStart)) + (uint)more);

    /// <summary>Adds <paramref name="delta"/> to every absolute file offset in iloc that points past the meta box (into mdat).</summary>
    private static void ShiftIloc(byte[] file, int ilocStart, int delta, int metaEnd)
    {
        var version = file[ilocStart + 8];
        var at = ilocStart + 12;
        var offsetSize = file[at] >> 4;
        var lengthSize = file[at] & 0xF;
        var baseOffsetSize = file[at + 1] >> 4;
        var indexSize = version is 1 or 2 ? file[at + 1] & 0xF : 0;
        at += 2;
        long items = version < 2 ? BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at));
        at += version < 2 ? 2 : 4;
        for (var i = 0; i < items; i++)
        {
            at += version < 2 ? 2 : 4; // item id
            var method = 0;
            if (version is 1 or 2)
            {
                method = file[at + 1] & 0xF;
                at += 2;
            }

            at += 2; // data reference index
            var baseAt = at;
            var baseOffset = Read(file, at, baseOffsetSize);
            at += baseOffsetSize;
            var extents = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(at));
            at += 2;
            if (method == 0 && baseOffsetSize > 0 && baseOffset >= metaEnd)
            {
                Write(file, baseAt, baseOffsetSize, baseOffset + delta);
            }

            for (var e = 0; e < extents; e++)
            {
                at += indexSize;
                var offset = Read(file, at, offsetSize);
                if (method == 0 && baseOffsetSize == 0 && offset >= metaEnd)
                {
                    Write(file, at, offsetSize, offset + delta);
                }

                at += offsetSize + lengthSize;
            }
        }
    }

    private static long Read(byte[] file, int at, int size) => size switch
    {
        0 => 0,
        4 => BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(at)),
        8 => (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(at)),
        _ => throw new InvalidDataException($"an iloc field of {size} bytes"),
    };

    private static void Write(byte[] file, int at, int size, long value)
    {
        if (size == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at), (uint)value);
        }
        else
        {
            BinaryPrimitives.WriteUInt64BigEndian(file.AsSpan(at), (ulong)value);
        }
    }
}
