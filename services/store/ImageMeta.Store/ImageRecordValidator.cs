using ImageMeta.Contracts;

namespace ImageMeta.Store;

/// <summary>Checks a record before it may be written: consistent id, status and content, and sane values. Returns problems keyed by field.</summary>
public static class ImageRecordValidator
{
    private const int MaxName = 1024;
    private const int MaxText = 256;

    public static Dictionary<string, string[]> Validate(string routeId, ImageRecord? record)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Fail(string field, string message) => errors[field] = [message];

        if (record is null)
        {
            Fail("body", "The body must be an image record.");
            return errors;
        }

        if (record.Id.Value != routeId)
        {
            Fail("id", $"The body's id '{record.Id}' differs from the route's '{routeId}'.");
        }

        if (record.Blob is null || string.IsNullOrWhiteSpace(record.Blob.Container) || string.IsNullOrWhiteSpace(record.Blob.Name))
        {
            Fail("blob", "A blob reference with a container and a name is required.");
            return errors;
        }

        if (record.Blob.Name.Length > MaxName || record.Blob.Container.Length > MaxText || record.Blob.Version?.Length > MaxText)
        {
            Fail("blob", "The blob's container, name or version is too long.");
        }
        else if (ImageId.For(record.Blob.Container, record.Blob.Name, record.Blob.Version) != record.Id)
        {
            Fail("id", "The id does not match the blob's container, name and version.");
        }

        if (record.Blob.Size < 0)
        {
            Fail("blob.size", "Size cannot be negative.");
        }

        switch (record.Status)
        {
            case ImageStatus.Succeeded when record.Metadata is null || record.Failure is not null:
                Fail("status", "A succeeded record has metadata and no failure.");
                break;
            case ImageStatus.Failed when record.Failure is null || record.Metadata is not null:
                Fail("status", "A failed record has a failure and no metadata.");
                break;
            case ImageStatus.Succeeded or ImageStatus.Failed:
                break;
            default:
                Fail("status", "Status must be 'succeeded' or 'failed'.");
                break;
        }

        if (record.Failure is { } failure && (string.IsNullOrWhiteSpace(failure.Class) || failure.Class.Length > 32 || failure.Message?.Length > 4096))
        {
            Fail("failure", "A failure needs a class (at most 32 characters) and a message of at most 4096.");
        }

        if (record.Metadata is { } m)
        {
            if (m.Width <= 0 || m.Height <= 0 || m.DisplayWidth <= 0 || m.DisplayHeight <= 0 || m.FrameCount <= 0 || m.ByteSize < 0)
            {
                Fail("metadata", "Sizes, frame count and byte size must be positive.");
            }

            if (m.Orientation is < 1 or > 8)
            {
                Fail("metadata.orientation", "Orientation is 1 to 8.");
            }

            if (m.Sha256 is not { Length: 64 } || !m.Sha256.All(char.IsAsciiHexDigit))
            {
                Fail("metadata.sha256", "SHA-256 is 64 hexadecimal characters.");
            }

            if (string.IsNullOrWhiteSpace(m.Format) || m.Format.Length > 16)
            {
                Fail("metadata.format", "A format name is required.");
            }

            if (m.Exif?.Gps is { } gps && (Math.Abs(gps.Latitude) > 90 || Math.Abs(gps.Longitude) > 180))
            {
                Fail("metadata.exif.gps", "Latitude is within ±90 and longitude within ±180.");
            }

            if (m.Exif?.TakenAt is { } taken && (taken.Length < 19 || !DateTime.TryParse(taken[..19], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _)))
            {
                Fail("metadata.exif.takenAt", "takenAt is an ISO 8601 date and time.");
            }

            if (new[] { m.Exif?.CameraMake, m.Exif?.CameraModel, m.Exif?.LensModel }.Any(s => s?.Length > MaxText))
            {
                Fail("metadata.exif", "Camera and lens names are at most 256 characters.");
            }
        }

        if (record.ProcessedAt == default)
        {
            Fail("processedAt", "processedAt is required.");
        }

        return errors;
    }
}
