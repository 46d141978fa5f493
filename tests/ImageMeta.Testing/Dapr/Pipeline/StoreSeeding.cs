using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Testing.Dapr.Pipeline;

/// <summary>
/// Records written straight into the store through its API (<c>PUT /images/{id}</c>), without files or the pipeline,
/// for scenarios and benchmarks that need many images with known dates and positions fast (the web app's timeline and
/// map). They have no thumbnail (the cards say "No preview yet").
/// </summary>
public static class StoreSeeding
{
    /// <summary>A succeeded JPEG record named <paramref name="name"/>, taken at <paramref name="takenAt"/> (local time, as EXIF writes it).</summary>
    public static ImageRecord Record(string name, DateTime takenAt, GpsPosition? gps = null)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
        var blob = new BlobReference("images", name, BlobVersions.FromContentHash(sha), DateTimeOffset.UtcNow, 1000);
        return new ImageRecord
        {
            Id = blob.ImageId,
            Blob = blob,
            Status = ImageStatus.Succeeded,
            ProcessedAt = DateTimeOffset.UtcNow,
            Metadata = new ImageMetadata
            {
                Format = ImageFormats.Jpeg,
                MimeType = "image/jpeg",
                Width = 640,
                Height = 480,
                DisplayWidth = 640,
                DisplayHeight = 480,
                FrameCount = 1,
                HasAlpha = false,
                ColorType = "rgb888x",
                Orientation = 1,
                ByteSize = 1000,
                Sha256 = sha,
                Exif = new ExifMetadata { TakenAt = takenAt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), Gps = gps },
            },
        };
    }

    /// <summary>PUTs every record to the store's app port, <paramref name="parallel"/> at a time; throws on any refusal.</summary>
    public static async Task PutAsync(Uri store, IEnumerable<ImageRecord> records, int parallel = 8)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = parallel }) { Timeout = TimeSpan.FromSeconds(60) };
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (record, ct) =>
        {
            using var put = await http.PutAsJsonAsync(new Uri(store, $"images/{record.Id}"), record, ContractJson.Options, ct);
            if (!put.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"PUT {record.Blob.Name}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(ct)}");
            }
        });
    }
}
