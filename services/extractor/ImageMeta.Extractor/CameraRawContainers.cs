using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// Canon CR3: ISO base media whose <c>moov</c> holds Canon's <c>uuid</c> box with the EXIF split over TIFF blocks
/// (<c>CMT1</c> IFD0, <c>CMT2</c> the Exif IFD, <c>CMT4</c> the GPS IFD). The image's size is CMT1's. MetadataExtractor
/// 2.4.3 has no CR3 reader, so the blocks are found here and each is read by its EXIF reader.
/// </summary>
internal static class CanonRaw3Header
{
    private const string Name = "CR3";

    private static readonly byte[] CanonUuid = [0x85, 0xC0, 0xB6, 0x87, 0x82, 0x0F, 0x11, 0xE0, 0x81, 0x11, 0xF4, 0xCE, 0x46, 0x2B, 0x6A, 0x48];

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        var moov = IsoMediaHeader.Boxes(bytes, 0, long.MaxValue, out var problem).Find(b => b.Type == "moov");
        if (moov is null)
        {
            return problem is not null ? FormatHeaderRead.Corrupt(Name, problem) : bytes.Missing(Name, "movie box");
        }

        var canon = IsoMediaHeader.Boxes(bytes, moov.Body, moov.End, out _)
            .Find(b => b.Type == "uuid" && bytes.TryGet(b.Start + 8, 16, out var id) && id.Span.SequenceEqual(CanonUuid));
        if (canon is null)
        {
            return bytes.Missing(Name, "Canon metadata box");
        }

        ReadOnlyMemory<byte>? Block(string type) =>
            IsoMediaHeader.Boxes(bytes, canon.Body, canon.End, out _).Find(b => b.Type == type) is { } box && bytes.TryGet(box.Body, box.End - box.Body, out var data)
                ? data
                : (ReadOnlyMemory<byte>?)null;

        if (Block("CMT1") is not { } ifd0)
        {
            return bytes.Missing(Name, "IFD0 block (CMT1)");
        }

        var size = TiffHeader.Read(new HeaderBytes(ifd0, whole: true), ImageFormats.Tiff);
        if (size.Header is not { } header)
        {
            return size;
        }

        return new FormatHeader
        {
            Width = header.Width,
            Height = header.Height,
            ExifFacts = ExifReader.ReadSplit(ifd0, Block("CMT2"), Block("CMT4")),
        };
    }
}

/// <summary>
/// Fujifilm RAF: a fixed header pointing to an embedded JPEG (whose EXIF is the camera's) and to Fujifilm's own directory
/// with the raw image's size. MetadataExtractor 2.4.3 reads a RAF only as the JPEG inside, so its size would be the
/// preview's; the size here is the directory's cropped raw size (what the camera's image is), else its full size.
/// </summary>
internal static class FujifilmRawHeader
{
    private const string Name = "RAF";

    /// <summary>The embedded JPEG's segments before its image data (EXIF is one APP1 of at most 64 KiB) fit in this.</summary>
    private const int JpegHeadBytes = 192 * 1024;

    public static FormatHeaderRead Read(HeaderBytes bytes)
    {
        if (!bytes.Has(0, 100))
        {
            return bytes.Missing(Name, "file header");
        }

        long jpegAt = bytes.U32(84, false), jpegLength = bytes.U32(88, false), directoryAt = bytes.U32(92, false), directoryLength = bytes.U32(96, false);
        if (!bytes.TryGet(directoryAt, Math.Min(directoryLength, 64 * 1024), out var directory) || directory.Length < 4)
        {
            return bytes.Missing(Name, "raw image directory");
        }

        long width = 0, height = 0;
        var span = directory.Span;
        var count = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span);
        for (int i = 0, at = 4; i < count && at + 4 <= span.Length; i++)
        {
            var tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[at..]);
            var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[(at + 2)..]);
            if (tag is 0x100 or 0x111 && length == 4 && at + 8 <= span.Length && (tag == 0x111 || width == 0))
            {
                // Height, then width.
                height = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[(at + 4)..]);
                width = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[(at + 6)..]);
            }

            at += 4 + length;
        }

        if (width == 0 || height == 0)
        {
            return FormatHeaderRead.Corrupt(Name, "its raw image directory gives no image size");
        }

        var exif = jpegLength > 0 && bytes.TryGet(jpegAt, Math.Min(jpegLength, JpegHeadBytes), out var jpeg)
            ? ExifReader.Read(jpeg, ImageFormats.Jpeg)
            : null;
        return new FormatHeader { Width = width, Height = height, ExifFacts = exif };
    }
}
