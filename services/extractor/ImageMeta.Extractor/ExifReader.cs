using System.Globalization;
using ImageMeta.Contracts;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;

namespace ImageMeta.Extractor;

/// <summary>
/// Reads the EXIF facts people search by, through MetadataExtractor. EXIF is an annotation, not the
/// image: a damaged or missing EXIF block yields null values, never a failed extraction.
/// </summary>
public static class ExifReader
{
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagOffsetTimeDigitized = 0x9012;

    /// <summary>EXIF facts and the EXIF orientation tag (1 when absent; <paramref name="OrientationTagged"/> says whether it was there).</summary>
    public sealed record ExifFacts(ExifMetadata? Exif, int Orientation, bool OrientationTagged = false)
    {
        public static ExifFacts None { get; } = new(null, 1);

        /// <summary>
        /// These facts with what EXIF lacks taken from the XMP packet: the date (only when EXIF has neither
        /// DateTimeOriginal nor CreateDate), GPS, orientation, camera, lens, artist, copyright, software.
        /// </summary>
        public ExifFacts With(XmpReader.XmpFacts? xmp)
        {
            if (xmp is null)
            {
                return this;
            }

            var exif = Exif ?? new ExifMetadata();
            var merged = exif with
            {
                TakenAt = exif.TakenAt ?? xmp.TakenAt,
                Gps = exif.Gps ?? xmp.Gps,
                CameraMake = exif.CameraMake ?? xmp.CameraMake,
                CameraModel = exif.CameraModel ?? xmp.CameraModel,
                LensModel = exif.LensModel ?? xmp.LensModel,
                Artist = exif.Artist ?? xmp.Artist,
                Copyright = exif.Copyright ?? xmp.Copyright,
                Software = exif.Software ?? xmp.Software,
            };
            var orientation = !OrientationTagged && xmp.Orientation is { } o ? o : Orientation;
            return new ExifFacts(merged == new ExifMetadata() ? null : merged, orientation, OrientationTagged || xmp.Orientation is not null);
        }
    }

    public static ExifFacts Read(ReadOnlyMemory<byte> content, string format)
    {
        try
        {
            if (format == ImageFormats.Jpeg)
            {
                // For JPEG only the first APP1 EXIF segment matters (as JpegMetadataReader with the EXIF reader alone
                // reads it), and through ReadBlock its maker note and XMP are left unparsed.
                return JpegExifSegment(content.Span) is var (at, length) ? ReadBlock(content.Slice(at, length)) : ExifFacts.None;
            }

            using var stream = new ReadOnlyMemoryStream(content);
            return Facts(ImageMetadataReader.ReadMetadata(stream));
        }
#pragma warning disable CA1031 // EXIF is an annotation: whatever a damaged block makes the reader throw, the image itself stands.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return ExifFacts.None;
        }
    }

    /// <summary>
    /// The facts of EXIF split over separate TIFF blocks, each with its directory as IFD0 (a CR3's CMT1, CMT2 and CMT4):
    /// camera and orientation from the first, the capture facts from the Exif block, the position from the GPS block.
    /// </summary>
    public static ExifFacts ReadSplit(ReadOnlyMemory<byte> ifd0, ReadOnlyMemory<byte>? exif, ReadOnlyMemory<byte>? gps)
    {
        try
        {
            static MetadataExtractor.Directory? First(ReadOnlyMemory<byte>? block) => block is { } b
                ? new MetadataExtractor.Formats.Exif.ExifReader().Extract(new MetadataExtractor.IO.ByteArrayReader(b.ToArray())).OfType<ExifIfd0Directory>().FirstOrDefault()
                : null;

            return Facts(First(ifd0), First(exif), First(gps));
        }
#pragma warning disable CA1031 // As above: damaged blocks yield no facts, never a failed image.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return ExifFacts.None;
        }
    }

    /// <summary>
    /// The facts of an EXIF block found by the container walk (a PNG's eXIf chunk, a WebP's EXIF chunk): TIFF
    /// bytes, with or without the "Exif\0\0" preamble some writers put before them.
    /// </summary>
    public static ExifFacts ReadBlock(ReadOnlyMemory<byte> block)
    {
        try
        {
            var bytes = block.ToArray();
            var start = MetadataExtractor.Formats.Exif.ExifReader.StartsWithJpegExifPreamble(bytes) ? 6 : 0;
            Unparsed(bytes, start);
            return Facts(new MetadataExtractor.Formats.Exif.ExifReader().Extract(new MetadataExtractor.IO.ByteArrayReader(bytes, start)));
        }
#pragma warning disable CA1031 // As above: a damaged block yields no facts, never a failed image.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return ExifFacts.None;
        }
    }

    private const ushort TagXmp = 0x02BC, TagMakerNote = 0x927C, TagExifIfd = 0x8769, TagIcc = 0x8773, TagIptc = 0x83BB;

    /// <summary>
    /// Renames, in this copy of the TIFF bytes, the IFD0 and Exif IFD entries whose values MetadataExtractor would parse
    /// but nothing here reads from its directories: the maker note (lens comes from the Exif IFD's LensModel), the XMP
    /// packet (XmpReader reads it), the ICC profile (IccProfile) and IPTC. They become a private tag of no length, which
    /// it keeps as an empty value; in a header scan their parsing was about a quarter of the EXIF time. Any offset that
    /// does not fit leaves the bytes as they are.
    /// </summary>
    private static void Unparsed(byte[] bytes, int start)
    {
        var tiff = bytes.AsSpan(start);
        if (tiff.Length < 8 || !(tiff[0] == tiff[1] && tiff[0] is (byte)'I' or (byte)'M'))
        {
            return;
        }

        var little = tiff[0] == (byte)'I';
        var exifIfd = EmptyUnreadEntries(tiff, little, U32(tiff[4..], little));
        EmptyUnreadEntries(tiff, little, exifIfd);
    }

    /// <summary>Empties the unread entries of the directory at <paramref name="at"/>; returns the Exif IFD it points to (0: none).</summary>
    private static uint EmptyUnreadEntries(Span<byte> tiff, bool little, uint at)
    {
        if (at == 0 || at > tiff.Length - 2L)
        {
            return 0;
        }

        var exifIfd = 0u;
        var entries = U16(tiff[(int)at..], little);
        for (var i = 0; i < entries && at + 2L + ((i + 1) * 12L) <= tiff.Length; i++)
        {
            var entry = tiff.Slice((int)at + 2 + (i * 12), 12);
            var tag = U16(entry, little);
            if (tag == TagExifIfd)
            {
                exifIfd = U32(entry[8..], little);
            }
            else if (tag is TagXmp or TagMakerNote or TagIcc or TagIptc)
            {
                // Tag 0xFFFF (private, unknown to every reader), count 0: no value to read.
                entry[0] = entry[1] = 0xFF;
                entry[4..8].Clear();
            }
        }

        return exifIfd;
    }

    private static uint U32(ReadOnlySpan<byte> at, bool little) =>
        little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(at) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(at);

    private static ushort U16(ReadOnlySpan<byte> at, bool little) =>
        little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(at) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(at);

    /// <summary>Where the first APP1 segment with the EXIF preamble lies in a JPEG's head (its payload), or null.</summary>
    private static (int At, int Length)? JpegExifSegment(ReadOnlySpan<byte> jpeg)
    {
        var at = 2;
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return null;
        }

        while (at + 4 <= jpeg.Length)
        {
            if (jpeg[at] != 0xFF)
            {
                return null;
            }

            var marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++; // fill byte
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return null; // end of image, or start of scan: no metadata segments after it
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                at += 2; // markers without a length
                continue;
            }

            var length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            if (length < 2)
            {
                return null;
            }

            var payload = at + 4;
            var size = Math.Min(length - 2, jpeg.Length - payload);
            if (marker == 0xE1 && size >= 6 && jpeg.Slice(payload, 6).SequenceEqual("Exif\0\0"u8))
            {
                return (payload, size);
            }

            at = payload + length - 2;
        }

        return null;
    }

    private static ExifFacts Facts(IEnumerable<MetadataExtractor.Directory> found)
    {
        var directories = found as IReadOnlyList<MetadataExtractor.Directory> ?? found.ToList();
        // MetadataExtractor reads a TIFF's SubIFDs (a DNG's or NEF's raw and preview images) as Exif sub-IFDs too: the
        // Exif IFD is the one with capture tags (ExifVersion, which every Exif IFD should have, or the dates and exposure).
        var subs = directories.OfType<ExifSubIfdDirectory>().ToList();
        return Facts(directories.OfType<ExifIfd0Directory>().FirstOrDefault(), subs.Find(d => CaptureTags.Any(d.ContainsTag)) ?? subs.FirstOrDefault(),
            directories.OfType<GpsDirectory>().FirstOrDefault());
    }

    private static readonly int[] CaptureTags =
    [
        ExifDirectoryBase.TagExifVersion, ExifDirectoryBase.TagDateTimeOriginal, ExifDirectoryBase.TagDateTimeDigitized,
        ExifDirectoryBase.TagExposureTime, ExifDirectoryBase.TagFNumber, ExifDirectoryBase.TagIsoEquivalent,
    ];

    private static ExifFacts Facts(MetadataExtractor.Directory? ifd0, MetadataExtractor.Directory? sub, MetadataExtractor.Directory? gps)
    {
        var o = 0;
        var tagged = ifd0 is not null && ifd0.TryGetInt32(ExifDirectoryBase.TagOrientation, out o) && o is >= 1 and <= 8;
        var orientation = tagged ? o : 1;

        var exif = new ExifMetadata
        {
            CameraMake = Text(ifd0, ExifDirectoryBase.TagMake),
            CameraModel = Text(ifd0, ExifDirectoryBase.TagModel),
            LensModel = Text(sub, ExifDirectoryBase.TagLensModel),
            // A few writers (Nikon Capture) put DateTimeOriginal in IFD0.
            TakenAt = TakenAt(sub) ?? Stamp(Text(ifd0, ExifDirectoryBase.TagDateTimeOriginal), Text(ifd0, TagOffsetTimeOriginal)),
            ExposureTime = Positive(sub, ExifDirectoryBase.TagExposureTime),
            FNumber = Positive(sub, ExifDirectoryBase.TagFNumber),
            Iso = sub is not null && sub.TryGetInt32(ExifDirectoryBase.TagIsoEquivalent, out var iso) && iso > 0 ? iso : null,
            FocalLength = Positive(sub, ExifDirectoryBase.TagFocalLength),
            FocalLength35mm = sub is not null && sub.TryGetInt32(ExifDirectoryBase.Tag35MMFilmEquivFocalLength, out var fl35) && fl35 > 0 ? fl35 : null,
            FlashFired = sub is not null && sub.TryGetInt32(ExifDirectoryBase.TagFlash, out var flash) ? (flash & 1) == 1 : null,
            ExposureProgram = sub is not null && sub.TryGetInt32(ExifDirectoryBase.TagExposureProgram, out var program) ? ExposurePrograms.FromExif(program) : null,
            WhiteBalance = sub is not null && sub.TryGetInt32(ExifDirectoryBase.TagWhiteBalanceMode, out var balance)
                ? balance switch { 0 => WhiteBalances.Auto, 1 => WhiteBalances.Manual, _ => null }
                : null,
            Artist = Text(ifd0, ExifDirectoryBase.TagArtist),
            Copyright = Text(ifd0, ExifDirectoryBase.TagCopyright),
            Software = Text(ifd0, ExifDirectoryBase.TagSoftware),
            Gps = Position(gps),
        };

        return new ExifFacts(exif == new ExifMetadata() ? null : exif, orientation, tagged);
    }

    private static string? Text(MetadataExtractor.Directory? directory, int tag)
    {
        var value = directory?.GetString(tag)?.Trim().TrimEnd('\0').Trim();
        return string.IsNullOrEmpty(value) ? null : value.Length > 256 ? value[..256] : value;
    }

    private static double? Positive(MetadataExtractor.Directory? directory, int tag)
    {
        if (directory is null || !directory.TryGetRational(tag, out var rational) || rational.Denominator == 0)
        {
            return null;
        }

        var value = rational.ToDouble();
        return double.IsFinite(value) && value > 0 ? Math.Round(value, 6) : null;
    }

    /// <summary>
    /// DateTimeOriginal, else CreateDate (DateTimeDigitized), as ISO 8601 with the offset the file records for that date
    /// (OffsetTimeOriginal, OffsetTimeDigitized). Never IFD0 DateTime: that is when the file was last changed.
    /// </summary>
    private static string? TakenAt(MetadataExtractor.Directory? sub) =>
        Stamp(Text(sub, ExifDirectoryBase.TagDateTimeOriginal), Text(sub, TagOffsetTimeOriginal))
        ?? Stamp(Text(sub, ExifDirectoryBase.TagDateTimeDigitized), Text(sub, TagOffsetTimeDigitized));

    internal static string? Stamp(string? raw, string? offset)
    {
        if (raw is null || !DateTime.TryParseExact(raw, ["yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy:MM:dd HH:mm:ss.FFF", "yyyy-MM-ddTHH:mm:ss"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        var stamp = local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (offset is { Length: 6 } && (offset[0] is '+' or '-') &&
            TimeSpan.TryParseExact(offset[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var span) && span <= TimeSpan.FromHours(14))
        {
            return stamp + offset;
        }

        return stamp;
    }

    private static GpsPosition? Position(MetadataExtractor.Directory? gps)
    {
        // GpsDirectory.GetGeoLocation, for any directory holding the GPS tags (a CR3 keeps them in a block of their own).
        GeoLocation? found = null;
        if (gps is not null && gps.GetRationalArray(GpsDirectory.TagLatitude) is { Length: 3 } lat && gps.GetRationalArray(GpsDirectory.TagLongitude) is { Length: 3 } lon
            && gps.GetString(GpsDirectory.TagLatitudeRef) is { } latRef && gps.GetString(GpsDirectory.TagLongitudeRef) is { } lonRef
            && GeoLocation.DegreesMinutesSecondsToDecimal(lat[0], lat[1], lat[2], latRef.StartsWith('S')) is { } latitude
            && GeoLocation.DegreesMinutesSecondsToDecimal(lon[0], lon[1], lon[2], lonRef.StartsWith('W')) is { } longitude)
        {
            found = new GeoLocation(latitude, longitude);
        }

        if (found is not { } location || location.IsZero ||
            !double.IsFinite(location.Latitude) || !double.IsFinite(location.Longitude) ||
            Math.Abs(location.Latitude) > 90 || Math.Abs(location.Longitude) > 180)
        {
            return null;
        }

        double? altitude = null;
        if (gps!.TryGetRational(GpsDirectory.TagAltitude, out var alt) && alt.Denominator != 0)
        {
            var metres = alt.ToDouble();
            var belowSeaLevel = gps!.TryGetInt32(GpsDirectory.TagAltitudeRef, out var reference) && reference == 1;
            altitude = double.IsFinite(metres) ? Math.Round(belowSeaLevel ? -metres : metres, 3) : null;
        }

        return new GpsPosition(Math.Round(location.Latitude, 7), Math.Round(location.Longitude, 7), altitude);
    }
}
