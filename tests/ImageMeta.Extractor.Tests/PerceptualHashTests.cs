using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Testing.Images;
using SkiaSharp;
using Xunit.Abstractions;

namespace ImageMeta.Extractor.Tests;

/// <summary>
/// The perceptual hash as the store will use it: copies of one photo (re-encoded, resized, in another format,
/// brighter or darker) must lie within <see cref="PerceptualHash.NearDuplicateDistance"/> bits of the original,
/// different photos of the same size and format beyond it. Both distributions are measured here, through the real
/// renderer (the hash is of the thumbnail's pixels), and written to the test output with the threshold.
/// </summary>
public sealed class PerceptualHashTests(ITestOutputHelper output)
{
    private const int Width = 800;
    private const int Height = 600;

    private static readonly ThumbnailRenderer Renderer = new(new ExtractionOptions(), new ThumbnailOptions(), new InFlightBudget(1L << 30));

    /// <summary>The edits a copy of a photo typically goes through, each from the original's pixels.</summary>
    private static readonly (string Name, Func<byte[], byte[]> Edit)[] Copies =
    [
        ("JPEG q95 -> q60", original => Reencode(original, b => PhotoLikeImages.Encode(b, SKEncodedImageFormat.Jpeg, 60))),
        ("resized to 50%", original => Reencode(original, b =>
        {
            using var half = b.Resize(new SKImageInfo(b.Width / 2, b.Height / 2, b.ColorType, b.AlphaType), new SKSamplingOptions(SKCubicResampler.Mitchell));
            return PhotoLikeImages.Encode(half, SKEncodedImageFormat.Jpeg, 90);
        })),
        ("JPEG -> PNG", original => Reencode(original, b => PhotoLikeImages.Encode(b, SKEncodedImageFormat.Png, 100))),
        ("JPEG -> PNG -> WebP", original => Reencode(Reencode(original, b => PhotoLikeImages.Encode(b, SKEncodedImageFormat.Png, 100)), b => PhotoLikeImages.Encode(b, SKEncodedImageFormat.Webp, 80))),
        ("brightness +6%", original => Reencode(original, b => PhotoLikeImages.Encode(Brightened(b, 1.06), SKEncodedImageFormat.Jpeg, 95))),
        ("brightness -6%", original => Reencode(original, b => PhotoLikeImages.Encode(Brightened(b, 0.94), SKEncodedImageFormat.Jpeg, 95))),
    ];

    [Fact]
    public void Copies_of_a_photo_stay_within_the_near_duplicate_distance_and_different_photos_beyond_it()
    {
        var seeds = Enumerable.Range(1, 20).ToArray();
        var originals = seeds.Select(s => PhotoLikeImages.Encoded(s, Width, Height, SKEncodedImageFormat.Jpeg, 95)).ToArray();
        var hashes = originals.Select(HashOf).ToArray();

        var near = new List<(string Edit, int Distance)>();
        foreach (var (original, hash) in originals.Zip(hashes).Take(10))
        {
            foreach (var (name, edit) in Copies)
            {
                near.Add((name, PerceptualHash.Distance(hash, HashOf(edit(original)))));
            }
        }

        var far = new List<int>();
        for (var i = 0; i < hashes.Length; i++)
        {
            for (var j = i + 1; j < hashes.Length; j++)
            {
                far.Add(PerceptualHash.Distance(hashes[i], hashes[j]));
            }
        }

        output.WriteLine($"dHash of the 320 px thumbnail; {originals.Length} photo-like {Width}×{Height} JPEGs (q95)");
        foreach (var group in near.GroupBy(n => n.Edit))
        {
            output.WriteLine($"copies, {group.Key,-22}: {Summary(group.Select(g => g.Distance).ToList())}");
        }

        output.WriteLine($"copies, all              : {Summary(near.Select(n => n.Distance).ToList())}");
        output.WriteLine($"different photos ({far.Count} pairs): {Summary(far)}");
        output.WriteLine($"histogram of copies   : {Histogram(near.Select(n => n.Distance))}");
        output.WriteLine($"histogram of different: {Histogram(far)}");
        output.WriteLine($"PerceptualHash.NearDuplicateDistance = {PerceptualHash.NearDuplicateDistance}");

        Assert.All(near, n => Assert.True(n.Distance <= PerceptualHash.NearDuplicateDistance, $"{n.Edit}: {n.Distance} bits"));
        Assert.True(far.Min() > PerceptualHash.NearDuplicateDistance, $"two different photos are {far.Min()} bits apart");
    }

    [Fact]
    public void The_hash_is_of_the_picture_not_of_its_file_or_orientation_tag()
    {
        using var bitmap = PhotoLikeImages.Bitmap(99, 600, 400);
        using var turned = new SKBitmap(new SKImageInfo(400, 600, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(turned))
        {
            // Stored turned 90° counter-clockwise; EXIF orientation 6 says "turn clockwise to show".
            canvas.Translate(0, 600);
            canvas.RotateDegrees(-90);
            canvas.DrawBitmap(bitmap, 0, 0);
        }

        var upright = HashOf(PhotoLikeImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 95));
        var tagged = HashOf(ImageWriters.WithExif(PhotoLikeImages.Encode(turned, SKEncodedImageFormat.Jpeg, 95), new ImageWriters.ExifTags(Orientation: 6)));
        var untagged = HashOf(PhotoLikeImages.Encode(turned, SKEncodedImageFormat.Jpeg, 95));

        Assert.InRange(PerceptualHash.Distance(upright, tagged), 0, PerceptualHash.NearDuplicateDistance);
        Assert.True(PerceptualHash.Distance(upright, untagged) > PerceptualHash.NearDuplicateDistance);
    }

    [Fact]
    public void The_hash_reads_cells_by_area_so_a_picture_smaller_than_the_grid_still_hashes()
    {
        // Left half bright, right half dark: every row's middle pair differs, nothing else.
        var pixels = new byte[2 * 1 * 4];
        pixels.AsSpan(0, 4).Fill(255);
        pixels[7] = 255;

        var hash = PerceptualHasher.Hash(pixels, 2, 1, 8);

        // 9 columns over 2 pixels: cells 0–3 are bright, cell 4 straddles (half), cells 5–8 dark.
        const ulong row = 0b0001_1000;
        var expected = Enumerable.Range(0, 8).Aggregate(0UL, (h, _) => (h << 8) | row);
        Assert.Equal(PerceptualHash.Format(expected), PerceptualHash.Format(hash));
    }

    private static ulong HashOf(byte[] content)
    {
        var result = Renderer.Render(content);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return result.Value.PerceptualHash;
    }

    private static byte[] Reencode(byte[] content, Func<SKBitmap, byte[]> encode)
    {
        using var bitmap = SKBitmap.Decode(content);
        return encode(bitmap);
    }

    private static SKBitmap Brightened(SKBitmap source, double factor)
    {
        var copy = source.Copy();
        var pixels = copy.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i++)
        {
            if ((i & 3) != 3)
            {
                pixels[i] = (byte)Math.Clamp((int)Math.Round(pixels[i] * factor), 0, 255);
            }
        }

        return copy;
    }

    private static string Summary(List<int> distances)
    {
        var sorted = distances.Order().ToList();
        int At(double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(q * sorted.Count))];
        return string.Create(CultureInfo.InvariantCulture,
            $"n={sorted.Count} min={sorted[0]} p50={At(0.5)} p95={At(0.95)} max={sorted[^1]} mean={sorted.Average():0.0}");
    }

    private static string Histogram(IEnumerable<int> distances) =>
        string.Join(' ', distances.GroupBy(d => d).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"));
}
