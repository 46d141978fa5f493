using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// TIFF-structured files: TIFF and BigTIFF (pages, strips or tiles), DNG, and the TIFF-based camera RAW formats (CR2, NEF,
/// ARW, PEF, SRW, ORF, RW2). The IFDs are walked here (the chain, and SubIFDs one level down) because the image a RAW
/// file is about is not IFD0: IFD0 of a DNG or NEF is a small preview, its sensor image is the full-resolution
/// (NewSubfileType 0) SubIFD; a CR2's raw IFD has no size tags, so the EXIF pixel dimensions give it; an RW2 keeps its
/// sensor borders in Panasonic tags. The EXIF (IFD0, Exif and GPS IFDs) is then read from the same bytes by
/// MetadataExtractor, which reads those correctly.
/// </summary>
internal static class TiffHeader
{
    private const int MaxDirectories = 64;
    private const int MaxEntries = 4096;
    private const int MaxMetadataBytes = 4 * 1024 * 1024;

    private const ushort NewSubfileType = 254, OldSubfileType = 255, ImageWidth = 256, ImageLength = 257, BitsPerSample = 258, StripOffsets = 273,
        Orientation = 274, SamplesPerPixel = 277, StripByteCounts = 279, TileOffsets = 324, TileByteCounts = 325, SubIfds = 330,
        ExtraSamples = 338, Xmp = 700, ExifIfd = 34665, Icc = 34675, PixelXDimension = 0xA002, PixelYDimension = 0xA003,
        PanasonicTopBorder = 4, PanasonicLeftBorder = 5, PanasonicBottomBorder = 6, PanasonicRightBorder = 7, PanasonicJpegFromRaw = 0x2E,
        DngPrivateData = 0xC634, SonyMrwInfo = 0x7250;

    /// <summary>One IFD's entries: tag to (type, count, where the value lies).</summary>
    private sealed class Directory : Dictionary<ushort, (ushort Type, long Count, long ValueAt)>
    {
        public long Next { get; set; }
    }

    private sealed class Walker(HeaderBytes bytes, bool little, bool big, string name)
    {
        public HeaderBytes Bytes { get; } = bytes;
        public string Name { get; } = name;
        public string? Problem { get; private set; }
        private readonly HashSet<long> _seen = [];

        public Directory? Read(long at)
        {
            if (at <= 0 || _seen.Count >= MaxDirectories || !_seen.Add(at))
            {
                return null;
            }

            var countSize = big ? 8 : 2;
            var entrySize = big ? 20 : 12;
            if (!Bytes.Has(at, countSize))
            {
                return null;
            }

            var count = big ? (long)Math.Min(Bytes.U64(at, little), long.MaxValue) : Bytes.U16(at, little);
            if (count is 0 or > MaxEntries)
            {
                Problem = $"a directory at {at} declares {count} entries";
                return null;
            }

            if (!Bytes.Has(at + countSize, (count * entrySize) + (big ? 8 : 4)))
            {
                return null;
            }

            var directory = new Directory();
            for (var i = 0; i < count; i++)
            {
                var entry = at + countSize + (i * entrySize);
                var tag = Bytes.U16(entry, little);
                var type = Bytes.U16(entry + 2, little);
                var n = big ? (long)Math.Min(Bytes.U64(entry + 4, little), long.MaxValue / 16) : Bytes.U32(entry + 4, little);
                var inline = big ? 8 : 4;
                var valueAt = n * TypeSize(type) <= inline ? entry + (big ? 12 : 8) : (long)Offset(entry + (big ? 12 : 8));
                directory.TryAdd(tag, (type, n, valueAt));
            }

            directory.Next = (long)Offset(at + countSize + (count * entrySize));
            return directory;
        }

        /// <summary>Whether the content ends inside the directory at <paramref name="at"/> (its count or its entries).</summary>
        public bool EndsInside(long at)
        {
            var countSize = big ? 8 : 2;
            if (!Bytes.Has(at, countSize))
            {
                return true;
            }

            var count = big ? (long)Math.Min(Bytes.U64(at, little), MaxEntries + 1) : Bytes.U16(at, little);
            return !Bytes.Has(at + countSize, (count * (big ? 20 : 12)) + (big ? 8 : 4));
        }

        public ulong Offset(long at) => big ? Bytes.U64(at, little) : Bytes.U32(at, little);

        /// <summary>Value <paramref name="index"/> of an integer entry; null when absent or not in the head.</summary>
        public long? Number(Directory directory, ushort tag, long index = 0)
        {
            if (!directory.TryGetValue(tag, out var entry) || index >= entry.Count)
            {
                return null;
            }

            var size = TypeSize(entry.Type);
            var at = entry.ValueAt + (index * size);
            if (!Bytes.Has(at, size))
            {
                return null;
            }

            return size switch
            {
                1 => Bytes.Span[(int)at],
                2 => Bytes.U16(at, little),
                4 => Bytes.U32(at, little),
                8 => (long)Math.Min(Bytes.U64(at, little), long.MaxValue),
                _ => null,
            };
        }

        /// <summary>An offset stored as four bytes of any integer or byte type (Sony's DNGPrivateData is BYTE[4]); null when absent.</summary>
        public long? Pointer(Directory directory, ushort tag) =>
            directory.TryGetValue(tag, out var entry) && entry.Count * TypeSize(entry.Type) == 4 && Bytes.Has(entry.ValueAt, 4)
                ? Bytes.U32(entry.ValueAt, little)
                : null;

        public static long Count(Directory directory, ushort tag) => directory.TryGetValue(tag, out var entry) ? entry.Count : 0;

        public ReadOnlyMemory<byte>? Block(Directory directory, ushort tag) =>
            directory.TryGetValue(tag, out var entry) && entry.Count * TypeSize(entry.Type) is > 0 and <= MaxMetadataBytes and var length
            && Bytes.TryGet(entry.ValueAt, length, out var data) ? data : (ReadOnlyMemory<byte>?)null;

        private static int TypeSize(ushort type) => type switch
        {
            1 or 2 or 6 or 7 => 1,
            3 or 8 => 2,
            4 or 9 or 11 or 13 => 4,
            5 or 10 or 12 or 16 or 17 or 18 => 8,
            _ => 1,
        };
    }

    public static FormatHeaderRead Read(HeaderBytes bytes, string format)
    {
        var name = ImageFormats.Find(format)?.Name.ToUpperInvariant() ?? "TIFF";
        if (!bytes.Has(0, 16))
        {
            return bytes.Missing(name, "file header");
        }

        var little = bytes.Span[0] == (byte)'I';
        var big = bytes.U16(2, little) == 43;
        var walker = new Walker(bytes, little, big, name);
        var first = big ? walker.Offset(8) : bytes.U32(4, little);
        var ifd0 = walker.Read((long)Math.Min(first, long.MaxValue));
        if (ifd0 is null)
        {
            return walker.Problem is { } p ? FormatHeaderRead.Corrupt(name, p) : bytes.Missing(name, "first directory");
        }

        // The chain (pages) and each one's SubIFDs.
        var chain = new List<Directory> { ifd0 };
        for (var next = ifd0.Next; next > 0 && chain.Count < MaxDirectories && walker.Read(next) is { } page; next = page.Next)
        {
            chain.Add(page);
        }

        // All directories, and the same in exiftool's order (each page followed by its SubIFDs, which it reads where
        // IFD0 points to them, before the next page).
        var all = new List<Directory>(chain);
        var walked = new List<Directory>();
        foreach (var directory in chain)
        {
            walked.Add(directory);
            for (var i = 0L; i < Math.Min(Walker.Count(directory, SubIfds), MaxDirectories); i++)
            {
                if (walker.Number(directory, SubIfds, i) is { } at && walker.Read(at) is { } sub)
                {
                    all.Add(sub);
                    walked.Add(sub);
                }
                else if (format is ImageFormats.Orf or ImageFormats.Pef or ImageFormats.Srw && walker.Number(directory, SubIfds, i) is { } lost
                    && walker.EndsInside(lost))
                {
                    // A SubIFD cut off (an SRW's raw image): without it the size rule below would fall back to IFD0's thumbnail.
                    return bytes.Missing(name, "SubIFD");
                }
            }
        }

        if (walker.Problem is { } problem)
        {
            return FormatHeaderRead.Corrupt(name, problem);
        }

        bool FullResolution(Directory d) => ((walker.Number(d, NewSubfileType) ?? 0) & 1) == 0;
        long Area(Directory d) => (walker.Number(d, ImageWidth) ?? 0) * (walker.Number(d, ImageLength) ?? 0);

        var raw = ImageFormats.Raw.Contains(format);
        var image = raw ? all.Where(FullResolution).MaxBy(Area) ?? ifd0 : ifd0;
        if (format is ImageFormats.Orf or ImageFormats.Pef or ImageFormats.Srw)
        {
            // No real file of these to check against, so exiftool's rule exactly: ImageWidth and ImageHeight have priority
            // 0 (Exif.pm), so the first directory that has them gives the size, unless a directory is the priority one,
            // the first in its walk with SubfileType 0 or OldSubfileType 1 (SetPriorityDir in ExifTool.pm). No Olympus,
            // Pentax or Samsung maker note tag is named ImageWidth or ImageHeight (Olympus ImageProcessing's crop is
            // CropWidth/CropHeight), so the maker note never decides: the raw IFD does (IFD0 of an ORF or PEF, the
            // SubIFD of an SRW, whose IFD0 is a reduced-resolution thumbnail). Not followed: exiftool promotes by the
            // directory's name, so a later directory of the same name with a size (a SubIFD of IFD1) would replace the
            // priority directory's; that one is not the main image.
            var priority = walked.Find(d => walker.Number(d, NewSubfileType) == 0 || walker.Number(d, OldSubfileType) == 1);
            image = priority is not null && Area(priority) > 0 ? priority : walked.Find(d => Area(d) > 0) ?? ifd0;
        }

        long width = walker.Number(image, ImageWidth) ?? 0, height = walker.Number(image, ImageLength) ?? 0;
        ExifReader.ExifFacts? embedded = null;
        if (format == ImageFormats.Cr2 || (raw && width * height == 0))
        {
            // A CR2's IFD0 is a reduced JPEG and its raw IFD has no size tags: the camera's image size is in EXIF.
            if (walker.Number(ifd0, ExifIfd) is { } exifAt && walker.Read(exifAt) is { } exif
                && walker.Number(exif, PixelXDimension) is > 0 and var x && walker.Number(exif, PixelYDimension) is > 0 and var y && x * y > width * height)
            {
                (width, height) = (x, y);
            }
        }

        if (format == ImageFormats.Arw && walker.Pointer(ifd0, DngPrivateData) is { } privateAt && walker.Read(privateAt) is { } sr2
            && walker.Block(sr2, SonyMrwInfo) is { } mrw && MinoltaImageSize(mrw.Span, little) is { } cropped)
        {
            // Sony's Minolta-derived DSLRs (A100 to A900) keep a Minolta MRW header in their SR2 directory whose PRD
            // block gives the image's size inside the sensor's; exiftool reports that one, and so does the camera.
            (width, height) = cropped;
        }

        if (format == ImageFormats.Rw2)
        {
            // Panasonic's sensor borders give the image's size; its EXIF is in the JPEG it embeds.
            if (walker.Number(ifd0, PanasonicRightBorder) is { } right && walker.Number(ifd0, PanasonicLeftBorder) is { } left
                && walker.Number(ifd0, PanasonicBottomBorder) is { } bottom && walker.Number(ifd0, PanasonicTopBorder) is { } top)
            {
                (width, height) = (right - left, bottom - top);
            }

            if (walker.Block(ifd0, PanasonicJpegFromRaw) is { } jpeg)
            {
                embedded = ExifReader.Read(jpeg, ImageFormats.Jpeg);
            }
        }

        if (width <= 0 || height <= 0)
        {
            return FormatHeaderRead.Corrupt(name, "its image directory has no width and height");
        }

        var samples = (int)(walker.Number(image, SamplesPerPixel) ?? 1);
        var bits = (int)(walker.Number(image, BitsPerSample) ?? 1);
        var extra = walker.Number(image, ExtraSamples);
        var pages = raw ? 1 : chain.Count(FullResolution);

        // The first page's data must be there: the last strip or tile's end (offsets and counts walked in the head).
        long declared = 0;
        if (!raw)
        {
            var (offsets, counts) = Walker.Count(ifd0, TileOffsets) > 0 ? (TileOffsets, TileByteCounts) : (StripOffsets, StripByteCounts);
            var pieces = Math.Min(Walker.Count(ifd0, offsets), Walker.Count(ifd0, counts));
            for (var i = 0L; i < pieces; i++)
            {
                if (walker.Number(ifd0, offsets, i) is { } o && walker.Number(ifd0, counts, i) is { } c)
                {
                    declared = Math.Max(declared, o + c);
                }
            }
        }

        var tiffBytes = bytes.Memory;
        if (format is ImageFormats.Rw2 or ImageFormats.Orf)
        {
            // Panasonic and Olympus change the TIFF magic number; MetadataExtractor then reads IFD0 as their own
            // directory, not EXIF's. The same bytes with the standard magic read as EXIF.
            var copy = bytes.Memory.ToArray();
            copy[2] = little ? (byte)42 : (byte)0;
            copy[3] = little ? (byte)0 : (byte)42;
            tiffBytes = copy;
        }

        return new FormatHeader
        {
            Width = width,
            Height = height,
            Orientation = null,
            Frames = Math.Max(1, pages),
            HasAlpha = extra is 1 or 2,
            ColorType = FormatHeader.ColorTypeOf(samples - (extra is null ? 0 : 1), bits),
            Exif = embedded is null ? tiffBytes : (ReadOnlyMemory<byte>?)null,
            ExifFacts = embedded,
            Xmp = walker.Block(ifd0, Xmp),
            Icc = walker.Block(ifd0, Icc),
            DeclaredLength = declared,
        };
    }

    /// <summary>
    /// The image size in a Minolta MRW header (<c>\0MRI</c> with its length, then blocks of a four-byte name and a length,
    /// the <c>\0PRD</c> block holding an eight-byte firmware id, the sensor's height and width, then the image's height
    /// and width, two bytes each). Stored in the file's byte order; null when the block is not there or gives no size.
    /// </summary>
    private static (long Width, long Height)? MinoltaImageSize(ReadOnlySpan<byte> mrw, bool little)
    {
        uint U32(ReadOnlySpan<byte> s) => little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(s) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(s);
        ushort U16(ReadOnlySpan<byte> s) => little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(s) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(s);

        if (mrw.Length < 8 || !mrw[..4].SequenceEqual("\0MRI"u8))
        {
            return null;
        }

        var end = (int)Math.Min(mrw.Length, 8L + U32(mrw[4..]));
        for (var at = 8; at + 8 <= end;)
        {
            var length = U32(mrw[(at + 4)..]);
            if (length > (uint)(end - at - 8))
            {
                // A block running past the header: the header is damaged, so none of it is trusted.
                return null;
            }

            if (mrw.Slice(at, 4).SequenceEqual("\0PRD"u8))
            {
                var prd = mrw.Slice(at + 8, (int)length);
                long height = prd.Length >= 16 ? U16(prd[12..]) : 0, width = prd.Length >= 16 ? U16(prd[14..]) : 0;
                return width > 0 && height > 0 ? (width, height) : null;
            }

            at += 8 + (int)length;
        }

        return null;
    }
}
