using SkiaSharp;

namespace ImageMeta.Testing.Images;

/// <summary>
/// Deterministic pictures that look and compress like photographs rather than test cards: a sky-like gradient at a
/// random angle, soft-edged shapes in random colours (some blurred, as out of focus), a horizon, and sensor-like
/// noise. Each seed gives a different picture; the same seed always the same pixels.
/// </summary>
public static class PhotoLikeImages
{
    /// <summary>The picture of <paramref name="seed"/> as an opaque RGBA bitmap (the caller disposes it).</summary>
    public static SKBitmap Bitmap(int seed, int width, int height)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            var angle = random.NextDouble() * Math.PI * 2;
            var (dx, dy) = ((float)Math.Cos(angle) * width / 2, (float)Math.Sin(angle) * height / 2);
            using (var sky = new SKPaint())
            {
                sky.Shader = SKShader.CreateLinearGradient(
                    new SKPoint((width / 2f) - dx, (height / 2f) - dy), new SKPoint((width / 2f) + dx, (height / 2f) + dy),
                    [Color(random), Color(random), Color(random)], [0, (float)(0.3 + (random.NextDouble() * 0.4)), 1], SKShaderTileMode.Clamp);
                canvas.DrawRect(0, 0, width, height, sky);
            }

            // A horizon: the lower part in another colour, with a wavy edge.
            using (var ground = new SKPaint { Color = Color(random), IsAntialias = true })
            using (var path = new SKPath())
            {
                var baseY = height * (float)(0.45 + (random.NextDouble() * 0.35));
                path.MoveTo(0, height);
                for (var x = 0; x <= width; x += Math.Max(1, width / 16))
                {
                    path.LineTo(x, baseY + ((float)Math.Sin((x * 6.0 / width) + random.NextDouble()) * height * 0.05f));
                }

                path.LineTo(width, height);
                path.Close();
                canvas.DrawPath(path, ground);
            }

            var shapes = 6 + random.Next(10);
            for (var i = 0; i < shapes; i++)
            {
                using var paint = new SKPaint { Color = Color(random).WithAlpha((byte)random.Next(120, 256)), IsAntialias = true };
                if (random.Next(3) == 0)
                {
                    paint.ImageFilter = SKImageFilter.CreateBlur(width / 80f * (1 + random.Next(4)), height / 80f * (1 + random.Next(4)));
                }

                var cx = (float)random.NextDouble() * width;
                var cy = (float)random.NextDouble() * height;
                var rx = (float)(0.03 + (random.NextDouble() * 0.2)) * width;
                var ry = (float)(0.03 + (random.NextDouble() * 0.2)) * height;
                switch (random.Next(3))
                {
                    case 0:
                        canvas.DrawOval(cx, cy, rx, ry, paint);
                        break;
                    case 1:
                        canvas.Save();
                        canvas.RotateDegrees((float)random.NextDouble() * 90, cx, cy);
                        canvas.DrawRect(cx - rx, cy - ry, rx * 2, ry * 2, paint);
                        canvas.Restore();
                        break;
                    default:
                        paint.Style = SKPaintStyle.Stroke;
                        paint.StrokeWidth = Math.Max(1, width / 60f);
                        canvas.DrawLine(cx - rx, cy - ry, cx + rx, cy + ry, paint);
                        break;
                }
            }
        }

        // Sensor noise: a few levels up or down, independent per pixel and channel.
        var pixels = bitmap.GetPixelSpan();
        var noise = new Random(seed * 7919);
        for (var i = 0; i < pixels.Length; i++)
        {
            if ((i & 3) != 3)
            {
                pixels[i] = (byte)Math.Clamp(pixels[i] + noise.Next(-6, 7), 0, 255);
            }
        }

        return bitmap;
    }

    /// <summary>The picture of <paramref name="seed"/>, encoded.</summary>
    public static byte[] Encoded(int seed, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg, int quality = 95)
    {
        using var bitmap = Bitmap(seed, width, height);
        return Encode(bitmap, format, quality);
    }

    /// <summary>Encodes a bitmap (a small wrapper, so the tests' transformations read as one line each).</summary>
    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    private static SKColor Color(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
