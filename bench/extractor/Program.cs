using System.Globalization;
using ImageMeta.Testing.Images;
using SkiaSharp;

// Usage: ImageMeta.Bench.Corpus <folder> <count>, or ImageMeta.Bench.Corpus --huge <file> (a 250 MB PNG).
// Deterministic: the same count gives the same files.
if (args is ["--huge", var hugePath])
{
    StoredPng.Write(hugePath, width: 9200, height: 9100);
    return 0;
}

if (args.Length != 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var count) || count < 1)
{
    Console.Error.WriteLine("usage: ImageMeta.Bench.Corpus <folder> <count> | --huge <file>");
    return 2;
}

var folder = Directory.CreateDirectory(args[0]).FullName;
var random = new Random(20261124);
// Camera sizes from 1 to 12 megapixels, 4:3.
(int W, int H)[] cameraSizes = [(1152, 864), (1600, 1200), (2048, 1536), (2592, 1944), (3264, 2448), (4000, 3000)];
string[] makes = ["Canon", "NIKON CORPORATION", "SONY", "FUJIFILM", "Apple", "samsung"];

for (var i = 0; i < count; i++)
{
    var kind = (i % 20) switch
    {
        < 15 => "jpg",
        15 or 16 => "png",
        17 => "gif",
        18 => "webp",
        _ => "bmp",
    };
    byte[] bytes;
    switch (kind)
    {
        case "jpg":
            var (w, h) = cameraSizes[random.Next(cameraSizes.Length)];
            bytes = ImageWriters.WithExif(Photo(w, h, random, SKEncodedImageFormat.Jpeg, 88), new ImageWriters.ExifTags(
                Orientation: 1 + random.Next(8),
                Make: makes[i % makes.Length],
                Model: $"Model {i % 13}",
                Lens: "24-70mm f/2.8",
                DateTimeOriginal: new DateTime(2020, 1, 1).AddMinutes(random.Next(2_000_000)).ToString("yyyy:MM:dd HH:mm:ss", CultureInfo.InvariantCulture),
                OffsetTimeOriginal: i % 3 == 0 ? "+01:00" : null,
                ExposureTime: (1, (uint)(30 + random.Next(2000))),
                FNumber: ((uint)(14 + random.Next(100)), 10),
                Iso: (ushort)(100 * (1 + random.Next(32))),
                FocalLength: ((uint)(18 + random.Next(180)), 1),
                Gps: i % 2 == 0 ? (random.NextDouble() * 140 - 70, random.NextDouble() * 340 - 170, random.NextDouble() * 2000) : null));
            break;
        case "png":
            bytes = Photo(1200 + random.Next(800), 900 + random.Next(600), random, SKEncodedImageFormat.Png, 100);
            break;
        case "webp":
            bytes = Photo(1600, 1200, random, SKEncodedImageFormat.Webp, 80);
            break;
        case "gif":
            bytes = ImageWriters.Gif(320, 240, 1 + random.Next(12));
            break;
        default:
            bytes = ImageWriters.Bmp(1024 + random.Next(512), 768);
            break;
    }

    File.WriteAllBytes(Path.Combine(folder, $"img{i:D4}.{kind}"), bytes);
}

return 0;

// Smooth gradients with fine noise: compresses like a photograph, not like a flat test card.
static byte[] Photo(int width, int height, Random random, SKEncodedImageFormat format, int quality)
{
    using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
    var pixels = bitmap.GetPixelSpan();
    var phase = random.Next(256);
    var noise = new byte[4096];
    random.NextBytes(noise);
    for (var y = 0; y < height; y++)
    {
        for (var x = 0; x < width; x++)
        {
            var at = (y * width + x) * 4;
            var n = noise[(x * 31 + y * 17) & 4095] >> 4;
            pixels[at] = (byte)((x * 255 / width) + n + phase);
            pixels[at + 1] = (byte)((y * 255 / height) + n);
            pixels[at + 2] = (byte)(((x + y) * 128 / (width + height)) + n + 64);
            pixels[at + 3] = 255;
        }
    }

    using var image = SKImage.FromBitmap(bitmap);
    using var data = image.Encode(format, quality);
    return data.ToArray();
}
