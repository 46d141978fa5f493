using ImageMeta.Contracts;

namespace ImageMeta.Store.Tests;

/// <summary>Valid records for tests, varied by the parameters that matter to the store.</summary>
public static class SampleRecords
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ImageRecord Succeeded(
        string name,
        string? version = "v1",
        string container = "images",
        string format = ImageFormats.Jpeg,
        int width = 640,
        int height = 480,
        string? make = "Canon",
        string? model = "EOS R5",
        string? takenAt = "2024-05-01T14:03:07+02:00",
        DateTimeOffset? processedAt = null,
        DateTimeOffset? lastModified = null,
        long bytes = 12345)
    {
        var blob = new BlobReference(container, name, version, lastModified ?? Epoch, bytes);
        return new ImageRecord
        {
            Id = blob.ImageId,
            Blob = blob,
            Status = ImageStatus.Succeeded,
            Metadata = new ImageMetadata
            {
                Format = format,
                MimeType = "image/" + format,
                Width = width,
                Height = height,
                DisplayWidth = width,
                DisplayHeight = height,
                FrameCount = 1,
                HasAlpha = false,
                ColorType = "rgba8888",
                Orientation = 1,
                ByteSize = bytes,
                Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(container + name + version))),
                Exif = make is null && model is null && takenAt is null ? null : new ExifMetadata
                {
                    CameraMake = make,
                    CameraModel = model,
                    TakenAt = takenAt,
                    Gps = new GpsPosition(48.85, 2.29, 35),
                },
            },
            ProcessedAt = processedAt ?? Epoch.AddHours(1),
        };
    }

    public static ImageRecord Failed(string name, string failureClass = FailureClass.Corrupt, DateTimeOffset? processedAt = null, string? version = "v1")
    {
        var blob = new BlobReference("images", name, version, Epoch, 10);
        return new ImageRecord
        {
            Id = blob.ImageId,
            Blob = blob,
            Status = ImageStatus.Failed,
            Failure = new ProcessingFailure(failureClass, "The JPEG data is damaged or truncated."),
            ProcessedAt = processedAt ?? Epoch.AddHours(1),
        };
    }

    /// <summary>The record with a thumbnail whose perceptual hash is <paramref name="hash"/>.</summary>
    public static ImageRecord WithThumbnail(this ImageRecord record, ulong hash, int width = 320, int height = 240, long bytes = 9876) => record with
    {
        Thumbnail = new ImageThumbnail { Name = ImageThumbnail.NameFor(record.Id), Width = width, Height = height, Bytes = bytes, PerceptualHash = PerceptualHash.Format(hash) },
        ThumbnailFailure = null,
    };
}
