using System.Globalization;
using ImageMeta.Contracts;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Jpeg;

namespace ImageMeta.Extractor;

/// <summary>
/// Reads the EXIF facts people search by, through MetadataExtractor. EXIF is an annotation, not the
/// image: a damaged or missing EXIF block yields null values, never a failed extraction.
/// </summary>
public static class ExifReader
{
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagOffsetTimeDigitized = 0x9012;

    /// <summary>EXIF facts and the EXIF orientation tag (1 when absent).</summary>
    public sealed record ExifFacts(ExifMetadata? Exif, int Orientation);

    public static ExifFacts Read(ReadOnlyMemory<byte> content, string format)
    {
        try
        {
            using var stream = new ReadOnlyMemoryStream(content);
            // For JPEG only the APP1 EXIF segment matters; skipping the other segment readers halves the cost.
            return Facts(format == ImageFormats.Jpeg
                ? JpegMetadataReader.ReadMetadata(stream, [new MetadataExtractor.Formats.Exif.ExifReader()])
                : ImageMetadataReader.ReadMetadata(stream));
        }
#pragma warning disable CA1031 // EXIF is an annotation: whatever a damaged block makes the reader throw, the image itself stands.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return new ExifFacts(null, 1);
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
            return Facts(new MetadataExtractor.Formats.Exif.ExifReader().Extract(new MetadataExtractor.IO.ByteArrayReader(bytes, start)));
        }
#pragma warning disable CA1031 // As above: a damaged block yields no facts, never a failed image.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return new ExifFacts(null, 1);
        }
    }

    private static ExifFacts Facts(IEnumerable<MetadataExtractor.Directory> found)
    {
        var directories = found as IReadOnlyList<MetadataExtractor.Directory> ?? found.ToList();
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var sub = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();

        var orientation = ifd0 is not null && ifd0.TryGetInt32(ExifDirectoryBase.TagOrientation, out var o) && o is >= 1 and <= 8 ? o : 1;

        var exif = new ExifMetadata
        {
            CameraMake = Text(ifd0, ExifDirectoryBase.TagMake),
            CameraModel = Text(ifd0, ExifDirectoryBase.TagModel),
            LensModel = Text(sub, ExifDirectoryBase.TagLensModel),
            TakenAt = TakenAt(sub),
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

        return new ExifFacts(exif == new ExifMetadata() ? null : exif, orientation);
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
    private static string? TakenAt(ExifSubIfdDirectory? sub) =>
        Stamp(Text(sub, ExifDirectoryBase.TagDateTimeOriginal), Text(sub, TagOffsetTimeOriginal))
        ?? Stamp(Text(sub, ExifDirectoryBase.TagDateTimeDigitized), Text(sub, TagOffsetTimeDigitized));

    private static string? Stamp(string? raw, string? offset)
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

    private static GpsPosition? Position(GpsDirectory? gps)
    {
        if (gps?.GetGeoLocation() is not { } location || location.IsZero ||
            !double.IsFinite(location.Latitude) || !double.IsFinite(location.Longitude) ||
            Math.Abs(location.Latitude) > 90 || Math.Abs(location.Longitude) > 180)
        {
            return null;
        }

        double? altitude = null;
        if (gps.TryGetRational(GpsDirectory.TagAltitude, out var alt) && alt.Denominator != 0)
        {
            var metres = alt.ToDouble();
            var belowSeaLevel = gps.TryGetInt32(GpsDirectory.TagAltitudeRef, out var reference) && reference == 1;
            altitude = double.IsFinite(metres) ? Math.Round(belowSeaLevel ? -metres : metres, 3) : null;
        }

        return new GpsPosition(Math.Round(location.Latitude, 7), Math.Round(location.Longitude, 7), altitude);
    }
}
