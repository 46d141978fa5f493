using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>
/// Checks a record before it may be written: consistent id, status and content, and sane values. Returns
/// problems keyed by field. Every string is bounded and free of control characters, so each provider
/// stores exactly what the others store (PostgreSQL refuses NUL, SQL Server columns have fixed widths).
/// </summary>
public static class ImageRecordValidator
{
    /// <summary>Longest blob name (Azure's limit).</summary>
    public const int MaxName = 1024;

    /// <summary>Longest container, version, camera or lens name, and media type.</summary>
    public const int MaxText = 256;

    /// <summary>Longest format name (<c>VARCHAR(16)</c> on SQL Server).</summary>
    public const int MaxFormat = 16;

    /// <summary>Longest codec color type.</summary>
    public const int MaxColorType = 64;

    /// <summary>Longest failure class (<c>VARCHAR(32)</c> on SQL Server).</summary>
    public const int MaxFailureClass = 32;

    /// <summary>Longest failure message.</summary>
    public const int MaxFailureMessage = 4096;

    /// <summary>Longest artist, copyright notice or software name (<c>NVARCHAR(1024)</c> on SQL Server).</summary>
    public const int MaxCredit = 1024;

    /// <summary>Longest extractor build version (<c>NVARCHAR(128)</c> on SQL Server).</summary>
    public const int MaxBuild = 128;

    /// <summary>Highest extractor version a record may name: far above any real one, so a typo cannot poison the filter.</summary>
    public const int MaxExtractorVersion = 1_000_000;

    /// <summary>
    /// Largest rendition a record may state (the 2× thumbnail, the 1600-pixel preview): 8 MiB. A lossy WebP of 1600 ×
    /// 1600 pixels is a few hundred KiB; the bound keeps nonsense out and the store's binding reads bounded.
    /// </summary>
    public const long MaxRenditionBytes = 8L * 1024 * 1024;

    /// <summary>
    /// Largest byte size a record may state: 1 PiB, above the largest blob any supported storage holds
    /// (Azure: about 190.7 TiB). Stats sum sizes exactly whatever is stored, so this bound is about sane
    /// input, not about overflow.
    /// </summary>
    public const long MaxByteSize = 1L << 50;

    /// <summary>
    /// Largest thumbnail a record may state: 4 MiB. A WebP of at most 320 × 320 pixels is far smaller (even lossless
    /// RGBA is about 400 KiB raw); the bound keeps nonsense out and the store's binding reads bounded.
    /// </summary>
    public const long MaxThumbnailBytes = 4L * 1024 * 1024;

    /// <summary>Failure classes a record may carry for its thumbnail: the known ones, nothing invented.</summary>
    private static readonly HashSet<string> KnownFailureClasses = new(StringComparer.Ordinal)
    {
        FailureClass.Empty, FailureClass.Unsupported, FailureClass.Corrupt, FailureClass.TooLarge, FailureClass.NotFound, FailureClass.Unavailable,
    };

    public static Dictionary<string, string[]> Validate(string routeId, ImageRecord? record)
    {
        var check = new FieldChecks();

        if (record is null)
        {
            check.Fail("body", "The body must be an image record.");
            return check.Errors;
        }

        if (record.Id.Value != routeId)
        {
            check.Fail("id", $"The body's id '{record.Id}' differs from the route's '{routeId}'.");
        }

        if (record.Blob is null)
        {
            check.Fail("blob", "A blob reference with a container and a name is required.");
            return check.Errors;
        }

        var blobValid = check.Text("blob.container", record.Blob.Container, MaxText, required: true)
            & check.Text("blob.name", record.Blob.Name, MaxName, required: true)
            & check.Text("blob.version", record.Blob.Version, MaxText);
        if (blobValid && ImageId.For(record.Blob.Container, record.Blob.Name, record.Blob.Version) != record.Id)
        {
            check.Fail("id", "The id does not match the blob's container, name and version.");
        }

        if (record.Blob.Size is < 0 or > MaxByteSize)
        {
            check.Fail("blob.size", $"Size is 0 to {MaxByteSize} bytes.");
        }

        switch (record.Status)
        {
            case ImageStatus.Succeeded when record.Metadata is null || record.Failure is not null:
                check.Fail("status", "A succeeded record has metadata and no failure.");
                break;
            case ImageStatus.Failed when record.Failure is null || record.Metadata is not null:
                check.Fail("status", "A failed record has a failure and no metadata.");
                break;
            case ImageStatus.Succeeded or ImageStatus.Failed:
                break;
            default:
                check.Fail("status", "Status must be 'succeeded' or 'failed'.");
                break;
        }

        if (record.Failure is { } failure)
        {
            if (check.Text("failure.class", failure.Class, MaxFailureClass, required: true) && !failure.Class.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                check.Fail("failure.class", "A failure class is lowercase letters, digits and '-'.");
            }

            check.Text("failure.message", failure.Message, MaxFailureMessage, lineBreaks: true);
        }

        if (record.Metadata is { } m)
        {
            ValidateMetadata(m, check);
        }

        ValidateThumbnail(record, check);

        if (record.ProcessedAt == default)
        {
            check.Fail("processedAt", "processedAt is required.");
        }

        if (record.ExtractorVersion is < 0 or > MaxExtractorVersion)
        {
            check.Fail("extractorVersion", $"extractorVersion is 0 (the extractor never answered) to {MaxExtractorVersion}.");
        }

        check.Text("extractorBuild", record.ExtractorBuild, MaxBuild);

        return check.Errors;
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a camera-local date and time as the extractor writes it:
    /// <c>yyyy-MM-ddTHH:mm:ss</c>, optionally followed by <c>Z</c> or an offset <c>±hh:mm</c> of at most 14 hours.
    /// </summary>
    public static bool IsTakenAt(string value)
    {
        if (value.Length < 19 || !DateTime.TryParseExact(value[..19], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return false;
        }

        var zone = value.AsSpan(19);
        return zone.IsEmpty
            || zone is "Z"
            || (zone.Length == 6 && zone[0] is '+' or '-'
                && TimeSpan.TryParseExact(zone[1..], @"hh\:mm", CultureInfo.InvariantCulture, out var offset)
                && offset <= TimeSpan.FromHours(14));
    }

    /// <summary>No control characters (line breaks and tabs only where allowed) and no unpaired UTF-16 surrogates, which no database encoding can hold.</summary>
    public static bool IsPlainText(string value, bool lineBreaks)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) && !(lineBreaks && c is '\n' or '\r' or '\t'))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A thumbnail or the reason there is none, never both (neither: a record from before thumbnails). The name is
    /// the one the extractor derives from the id, so a record can never point the store at another image's blob.
    /// </summary>
    private static void ValidateThumbnail(ImageRecord record, FieldChecks check)
    {
        if (record.Thumbnail is not null && record.ThumbnailFailure is not null)
        {
            check.Fail("thumbnailFailure", "A record has a thumbnail or a thumbnail failure, not both.");
        }

        if (record.Thumbnail is { } t)
        {
            if (t.Name != ImageThumbnail.NameFor(record.Id))
            {
                check.Fail("thumbnail.name", $"The thumbnail of this image is named '{ImageThumbnail.NameFor(record.Id)}'.");
            }

            if (t.Width is < 1 or > ImageThumbnail.MaxEdge)
            {
                check.Fail("thumbnail.width", $"Thumbnail width is 1 to {ImageThumbnail.MaxEdge}.");
            }

            if (t.Height is < 1 or > ImageThumbnail.MaxEdge)
            {
                check.Fail("thumbnail.height", $"Thumbnail height is 1 to {ImageThumbnail.MaxEdge}.");
            }

            if (t.Bytes is < 1 or > MaxThumbnailBytes)
            {
                check.Fail("thumbnail.bytes", $"Thumbnail bytes are 1 to {MaxThumbnailBytes}.");
            }

            if (!PerceptualHash.TryParse(t.PerceptualHash, out _))
            {
                check.Fail("thumbnail.perceptualHash", $"A perceptual hash is {PerceptualHash.Length} lowercase hexadecimal digits.");
            }

            ValidateRendition("thumbnail.large", t.Large, ImageThumbnail.LargeNameFor(record.Id), ImageThumbnail.LargeEdge, check);
            ValidateRendition("thumbnail.preview", t.Preview, ImageThumbnail.PreviewNameFor(record.Id), ImageThumbnail.PreviewEdge, check);
        }

        if (record.ThumbnailFailure is { } failure)
        {
            if (check.Text("thumbnailFailure.class", failure.Class, MaxFailureClass, required: true) && !KnownFailureClasses.Contains(failure.Class))
            {
                check.Fail("thumbnailFailure.class", $"A thumbnail failure class is one of: {string.Join(", ", KnownFailureClasses.Order(StringComparer.Ordinal))}.");
            }

            check.Text("thumbnailFailure.message", failure.Message, MaxFailureMessage, lineBreaks: true);
        }
    }

    /// <summary>A rendition is named as the extractor names it for this id (never another image's blob) and fits its bound.</summary>
    private static void ValidateRendition(string field, ImageRendition? rendition, string name, int maxEdge, FieldChecks check)
    {
        if (rendition is null)
        {
            return;
        }

        if (rendition.Name != name)
        {
            check.Fail(field + ".name", $"This rendition of this image is named '{name}'.");
        }

        if (rendition.Width is < 1 || rendition.Width > maxEdge)
        {
            check.Fail(field + ".width", $"Width is 1 to {maxEdge}.");
        }

        if (rendition.Height is < 1 || rendition.Height > maxEdge)
        {
            check.Fail(field + ".height", $"Height is 1 to {maxEdge}.");
        }

        if (rendition.Bytes is < 1 or > MaxRenditionBytes)
        {
            check.Fail(field + ".bytes", $"Bytes are 1 to {MaxRenditionBytes}.");
        }
    }

    private static void ValidateMetadata(ImageMetadata m, FieldChecks check)
    {
        if (m.Width <= 0 || m.Height <= 0 || m.DisplayWidth <= 0 || m.DisplayHeight <= 0 || m.FrameCount <= 0)
        {
            check.Fail("metadata", "Sizes and frame count must be positive.");
        }

        if (m.ByteSize is < 0 or > MaxByteSize)
        {
            check.Fail("metadata.byteSize", $"Byte size is 0 to {MaxByteSize}.");
        }

        if (m.Orientation is < 1 or > 8)
        {
            check.Fail("metadata.orientation", "Orientation is 1 to 8.");
        }

        if (m.Sha256 is not { Length: 64 } || !m.Sha256.All(char.IsAsciiHexDigit))
        {
            check.Fail("metadata.sha256", "SHA-256 is 64 hexadecimal characters.");
        }

        if (check.Text("metadata.format", m.Format, MaxFormat, required: true) && !m.Format.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            check.Fail("metadata.format", "A format name is lowercase letters and digits.");
        }

        check.Text("metadata.mimeType", m.MimeType, MaxText, required: true);
        check.Text("metadata.colorType", m.ColorType, MaxColorType, required: true);
        check.Text("metadata.colorProfile", m.ColorProfile, MaxText);

        if (m.Exif is not { } exif)
        {
            return;
        }

        check.Text("metadata.exif.cameraMake", exif.CameraMake, MaxText);
        check.Text("metadata.exif.cameraModel", exif.CameraModel, MaxText);
        check.Text("metadata.exif.lensModel", exif.LensModel, MaxText);
        check.Text("metadata.exif.artist", exif.Artist, MaxCredit);
        check.Text("metadata.exif.copyright", exif.Copyright, MaxCredit);
        check.Text("metadata.exif.software", exif.Software, MaxCredit);

        if (exif.ExposureProgram is { } program && !ExposurePrograms.All.Contains(program, StringComparer.Ordinal))
        {
            check.Fail("metadata.exif.exposureProgram", $"exposureProgram is one of: {string.Join(", ", ExposurePrograms.All)}.");
        }

        if (exif.WhiteBalance is not (null or WhiteBalances.Auto or WhiteBalances.Manual))
        {
            check.Fail("metadata.exif.whiteBalance", $"whiteBalance is '{WhiteBalances.Auto}' or '{WhiteBalances.Manual}'.");
        }

        if (exif.FocalLength35mm is { } focal35 && (!double.IsFinite(focal35) || focal35 <= 0 || focal35 > 100_000))
        {
            check.Fail("metadata.exif.focalLength35mm", "focalLength35mm is a positive number of millimetres, at most 100,000.");
        }

        if (exif.Gps is { } gps && (!double.IsFinite(gps.Latitude) || !double.IsFinite(gps.Longitude) || Math.Abs(gps.Latitude) > 90 || Math.Abs(gps.Longitude) > 180))
        {
            check.Fail("metadata.exif.gps", "Latitude is within ±90 and longitude within ±180.");
        }

        if (exif.TakenAt is { } taken && !IsTakenAt(taken))
        {
            check.Fail("metadata.exif.takenAt", "takenAt is yyyy-MM-ddTHH:mm:ss, optionally followed by Z or an offset ±hh:mm.");
        }
    }

    /// <summary>Problems found so far, keyed by field (the first per field is kept), and the string check every field shares.</summary>
    private sealed class FieldChecks
    {
        public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

        public void Fail(string field, string message) => Errors.TryAdd(field, [message]);

        /// <summary>
        /// One string: required or not, at most <paramref name="max"/> characters, no control characters (a
        /// failure message may hold line breaks and tabs, which every database stores as they are).
        /// </summary>
        public bool Text(string field, string? value, int max, bool required = false, bool lineBreaks = false)
        {
            if (value is null || (value.Length == 0 && !required))
            {
                if (required)
                {
                    Fail(field, $"{field} is required.");
                }

                return !required;
            }

            if (required && string.IsNullOrWhiteSpace(value))
            {
                Fail(field, $"{field} is required.");
                return false;
            }

            if (value.Length > max)
            {
                Fail(field, $"{field} is at most {max} characters.");
                return false;
            }

            if (!IsPlainText(value, lineBreaks))
            {
                Fail(field, $"{field} may not contain control characters or unpaired surrogates.");
                return false;
            }

            return true;
        }
    }
}
