using System.Globalization;
using ImageMeta.Contracts;

namespace ImageMeta.Bench.Store;

/// <summary>
/// The bench's rows, a pure function of their number, so the seeder and the checks agree without storing anything: a mix
/// of formats, sizes and cameras, 80 % with a date taken spread over ten years, 60 % with a position in a 10° × 10° box,
/// and every row hashed, every tenth a near copy (1 to 6 bits) of the one before.
/// </summary>
public static class BenchRecords
{
    public static readonly string[] Formats = [ImageFormats.Jpeg, ImageFormats.Jpeg, ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.Webp, ImageFormats.Gif];
    public static readonly string[] Makes = ["Canon", "NIKON CORPORATION", "SONY", "Apple", "FUJIFILM"];

    /// <summary>The box every position lies in: longitude 0–10, latitude 40–50.</summary>
    public const double MinLon = 0, MinLat = 40, Side = 10;

    private static readonly DateTimeOffset Start = new(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static ImageRecord Record(long i)
    {
        var blob = new BlobReference("images", $"bench/{i:D9}.jpg", "v1", Start.AddSeconds(i * 37 % 315_360_000), 100_000 + i);
        var format = Formats[i % Formats.Length];
        var width = 640 + (int)(i % 4000);
        return new ImageRecord
        {
            Id = blob.ImageId,
            Blob = blob,
            Status = ImageStatus.Succeeded,
            Metadata = new ImageMetadata
            {
                Format = format,
                MimeType = ImageFormats.ShownMediaType(format) ?? "application/octet-stream",
                Width = width,
                Height = 480 + (int)(i % 3000),
                DisplayWidth = width,
                DisplayHeight = 480 + (int)(i % 3000),
                FrameCount = 1,
                HasAlpha = false,
                ColorType = "rgb888",
                Orientation = 1,
                ByteSize = 100_000 + i,
                Sha256 = i.ToString("x64", CultureInfo.InvariantCulture),
                Exif = new ExifMetadata
                {
                    CameraMake = Makes[i % Makes.Length],
                    CameraModel = $"Model {i % 17}",
                    TakenAt = i % 5 == 4 ? null : Start.AddSeconds(i * 53 % 315_360_000).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                    Gps = Position(i) is { } p ? new GpsPosition(p.Lat, p.Lon) : null,
                },
            },
            Thumbnail = new ImageThumbnail { Name = ImageThumbnail.NameFor(blob.ImageId), Width = 320, Height = 240, Bytes = 9_000, PerceptualHash = PerceptualHash.Format(Hash(i)) },
            ExtractorVersion = ExtractorVersions.Current,
            ProcessedAt = Start.AddYears(11).AddSeconds(i),
        };
    }

    /// <summary>The position of row <paramref name="i"/>, or null (two rows in five have none).</summary>
    public static (double Lat, double Lon)? Position(long i) =>
        i % 5 is 1 or 3 ? null : (MinLat + (Fraction(i * 0.6180339887498949) * Side), MinLon + (Fraction(i * 0.7548776662466927) * Side));

    /// <summary>Spread-out 64-bit values (half with the top bit set); every tenth a near copy of the one before.</summary>
    public static ulong Hash(long i)
    {
        static ulong Spread(long n) => unchecked(((ulong)n * 0x9E3779B97F4A7C15UL) ^ ((ulong)n << 29) ^ ((ulong)n * 0xC2B2AE3D27D4EB4FUL >> 17));
        if (i % 10 != 9)
        {
            return Spread(i);
        }

        var hash = Spread(i - 1);
        for (var bit = 0; bit < 1 + (i / 10 % 6); bit++)
        {
            hash ^= 1UL << (int)(((i * 7) + (bit * 13)) % 64);
        }

        return hash;
    }

    private static double Fraction(double x) => x - Math.Floor(x);
}
