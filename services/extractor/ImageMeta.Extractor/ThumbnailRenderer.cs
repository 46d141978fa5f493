using System.Diagnostics;
using ImageMeta.Contracts;
using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// Turns image bytes into a WebP thumbnail of at most <see cref="ImageThumbnail.MaxEdge"/> pixels on the long side
/// (never enlarged), shown as the EXIF orientation says, plus the <see cref="PerceptualHasher"/> hash of its pixels.
/// The header decides first: an empty canvas, a format the codec cannot open or a frame over
/// <see cref="ExtractionOptions.MaxPixels"/> (a decompression bomb) is refused before any pixel buffer exists.
/// Then the codec decodes at the smallest size it can produce that is still at least the thumbnail's size (JPEG
/// scales by n/8 in the DCT, WebP to any size), so a 12 MP photo is decoded at 1/8 or 2/8, never whole; formats
/// that cannot scale (PNG, GIF, BMP) decode whole, bounded by the pixel limit. Animated images give their first
/// frame. Content and every buffer are held in the same <see cref="InFlightBudget"/> as extraction's before they
/// are allocated. Thread-safe; every native object is disposed.
/// </summary>
public sealed class ThumbnailRenderer(ExtractionOptions limits, ThumbnailOptions options, InFlightBudget budget)
{
    private const int SniffLength = 64;
    private const int RowsBetweenClockChecks = 32;

    // libjpeg keeps 16-bit coefficients of every component for a progressive image: up to 3 × 2 bytes a pixel (4:4:4).
    private const int ProgressiveJpegBytesPerPixel = 6;

    public ExtractionOptions Limits { get; } = limits;

    public ThumbnailOptions Options { get; } = options;

    /// <summary>The in-flight budget shared with extraction.</summary>
    public InFlightBudget Budget { get; } = budget;

    /// <summary>Renders the thumbnail of content already in memory.</summary>
    public Outcome<RenderedThumbnail> Render(ReadOnlyMemory<byte> content)
    {
        if (content.Length == 0)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Empty, "The content has no bytes.");
        }

        if (content.Length > Limits.MaxBytes)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, $"The content has {content.Length} bytes; the limit is {Limits.MaxBytes}.");
        }

        using var hold = Budget.TryHold(content.Length, Waits);
        if (hold is null)
        {
            return Busy(content.Length);
        }

        try
        {
            return RenderHeld(content, hold);
        }
        catch (Exception e) when (e is OutOfMemoryException or InsufficientExecutionStackException)
        {
            // A decoder that cannot get memory is a property of this input under our limits, not a crash.
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, $"Decoding needs more memory than is available: {e.Message}");
        }
    }

    /// <summary>
    /// The size the codec will decode at for a thumbnail of <paramref name="codec"/>'s image: the smallest size it
    /// can scale to whose long side still reaches the thumbnail's, or the full size when it cannot scale.
    /// </summary>
    public static SKSizeI DecodeSize(SKCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        var full = codec.Info.Size;
        var target = TargetSize(full);
        var best = full;
        var exact = (float)Math.Max(target.Width, target.Height) / Math.Max(full.Width, full.Height);

        // The exact ratio (WebP scales to any size) and libjpeg's eight DCT scales; other codecs answer the full size.
        foreach (var scale in new[] { exact, 1 / 8f, 2 / 8f, 3 / 8f, 4 / 8f, 5 / 8f, 6 / 8f, 7 / 8f })
        {
            var size = codec.GetScaledDimensions(scale);
            if (size.Width >= target.Width && size.Height >= target.Height && (long)size.Width * size.Height < (long)best.Width * best.Height)
            {
                best = size;
            }
        }

        return best;
    }

    /// <summary>The thumbnail's size before orientation: the image scaled so its long side is at most <see cref="ImageThumbnail.MaxEdge"/>.</summary>
    public static SKSizeI TargetSize(SKSizeI size)
    {
        var longSide = Math.Max(size.Width, size.Height);
        if (longSide <= ImageThumbnail.MaxEdge)
        {
            return size;
        }

        var scale = (double)ImageThumbnail.MaxEdge / longSide;
        return new SKSizeI(
            Math.Clamp((int)Math.Round(size.Width * scale), 1, ImageThumbnail.MaxEdge),
            Math.Clamp((int)Math.Round(size.Height * scale), 1, ImageThumbnail.MaxEdge));
    }

    private bool Waits => Limits.WhenBusy == BusyPolicy.Wait;

    private Outcome<RenderedThumbnail> Busy(long bytes) =>
        Outcome.Fail<RenderedThumbnail>(FailureClass.Unavailable,
            $"The extractor is busy: {bytes} more bytes do not fit the {Budget.Capacity} bytes that work in flight may hold ({Budget.Held} held); try again shortly.");

    private unsafe Outcome<RenderedThumbnail> RenderHeld(ReadOnlyMemory<byte> content, InFlightBudget.Hold hold)
    {
        var clock = Stopwatch.StartNew();
        var span = content.Span;
        var sniffed = ContainerSignature.Detect(span[..Math.Min(span.Length, SniffLength)]);

        using var pin = content.Pin();
        using var data = SKData.Create((IntPtr)pin.Pointer, content.Length);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return ImageInspector.CodecRefused(sniffed).FailureAs<RenderedThumbnail>();
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Corrupt, $"The {sniffed.Name} header declares an empty canvas ({info.Width}×{info.Height}).");
        }

        var pixels = (long)info.Width * info.Height;
        if (pixels > Limits.MaxPixels)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, $"The image is {info.Width}×{info.Height} ({pixels} pixels); the limit is {Limits.MaxPixels} pixels.");
        }

        var format = ImageInspector.FormatName(codec.EncodedFormat) ?? sniffed.ImageFormat;
        if (format is null)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Unsupported, $"The codec opened the content but reports a format we do not handle ({codec.EncodedFormat}).");
        }

        var decodeSize = DecodeSize(codec);
        var target = TargetSize(info.Size);
        var opaque = info.AlphaType == SKAlphaType.Opaque;
        var decodeInfo = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);

        // Everything this render allocates, held before it exists: the decoded frame, libjpeg's coefficients of a
        // progressive JPEG (whatever the scale), the mipmaps of a large reduction, and the thumbnail.
        var coefficients = format == ImageFormats.Jpeg && ContainerSignature.IsProgressiveJpeg(span) ? pixels * ProgressiveJpegBytesPerPixel : 0;
        var reduction = (double)decodeSize.Width / target.Width;
        var mipmaps = reduction > 2 ? decodeInfo.BytesSize64 / 3 : 0;
        var buffers = decodeInfo.BytesSize64 + coefficients + mipmaps + ((long)target.Width * target.Height * 4 * 2);
        if (!hold.TryGrow(buffers, Waits))
        {
            return Busy(buffers);
        }

        using var decoded = new SKBitmap(decodeInfo);
        if (Decode(codec, decoded, clock) is { } failed)
        {
            return failed.Class == FailureClass.Corrupt
                ? Outcome.Fail<RenderedThumbnail>(FailureClass.Corrupt, $"The {sniffed.Name} data is damaged or truncated: {failed.Message}.")
                : Outcome.Fail<RenderedThumbnail>(failed.Class, failed.Message);
        }

        var origin = codec.EncodedOrigin != SKEncodedOrigin.TopLeft
            ? codec.EncodedOrigin
            : (SKEncodedOrigin)ExifReader.Read(content, format).Orientation;
        using var thumbnail = Draw(decoded, target, origin, reduction);
        if (OverTime(clock) is { } late)
        {
            return Outcome.Fail<RenderedThumbnail>(late.Class, late.Message);
        }

        using var encoded = thumbnail.PeekPixels().Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, Options.Quality));
        if (encoded is null)
        {
            throw new InvalidOperationException("Skia's WebP encoder returned nothing.");
        }

        return Outcome.Success(new RenderedThumbnail(
            encoded.ToArray(), thumbnail.Width, thumbnail.Height, PerceptualHasher.Hash(thumbnail), info.Size, decodeSize));
    }

    /// <summary>
    /// Decodes the first frame into <paramref name="target"/> (already sized to the chosen scale): row by row where
    /// the codec has a scanline decoder, so the clock is read as it goes; in one call where it has not.
    /// </summary>
    private ProcessingFailure? Decode(SKCodec codec, SKBitmap target, Stopwatch clock)
    {
        var info = target.Info;
        var start = codec.StartScanlineDecode(info);
        if (start == SKCodecResult.Success)
        {
            for (var y = 0; y < info.Height; y += RowsBetweenClockChecks)
            {
                var rows = Math.Min(RowsBetweenClockChecks, info.Height - y);
                var decoded = codec.GetScanlines(target.GetPixels() + (y * target.RowBytes), rows, target.RowBytes);
                if (decoded != rows)
                {
                    return new ProcessingFailure(FailureClass.Corrupt, $"row {y + decoded} of {info.Height} could not be decoded");
                }

                if (OverTime(clock) is { } late)
                {
                    return late;
                }
            }

            return null;
        }

        if (start is not (SKCodecResult.Unimplemented or SKCodecResult.InvalidScale or SKCodecResult.InvalidConversion))
        {
            return new ProcessingFailure(FailureClass.Corrupt, $"decoding failed to start ({start})");
        }

        // Frame 0 of an animation is self-contained: it needs no earlier frame.
        var result = codec.GetPixels(info, target.GetPixels(), new SKCodecOptions(0));
        return result == SKCodecResult.Success
            ? OverTime(clock)
            : new ProcessingFailure(FailureClass.Corrupt, result.ToString());
    }

    private ProcessingFailure? OverTime(Stopwatch clock) =>
        clock.Elapsed > Options.MaxRenderTime
            ? new ProcessingFailure(FailureClass.TooLarge, $"Rendering the thumbnail took longer than the limit of {Options.MaxRenderTime.TotalSeconds:0.###} s.")
            : null;

    /// <summary>
    /// Scales the decoded frame to <paramref name="target"/> and turns it as <paramref name="origin"/> says, in one
    /// draw: cubic (Mitchell) resampling for reductions of up to 2×, as after a DCT-scaled decode; trilinear
    /// mipmaps beyond, which average every source pixel instead of skipping most of them.
    /// </summary>
    private static SKBitmap Draw(SKBitmap decoded, SKSizeI target, SKEncodedOrigin origin, double reduction)
    {
        var turned = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var width = turned ? target.Height : target.Width;
        var height = turned ? target.Width : target.Height;
        var thumbnail = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, decoded.AlphaType));
        using var canvas = new SKCanvas(thumbnail);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(Orientation(origin, target.Width, target.Height));
        using var image = SKImage.FromBitmap(decoded);
        var sampling = reduction > 2
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : reduction == 1 ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKCubicResampler.Mitchell);
        using var paint = new SKPaint { BlendMode = SKBlendMode.Src };
        canvas.DrawImage(image, SKRect.Create(target.Width, target.Height), sampling, paint);
        canvas.Flush();
        return thumbnail;
    }

    /// <summary>
    /// The transform from stored to shown pixels for an EXIF orientation (TIFF 6.0 tag 274), for an image of
    /// <paramref name="width"/>×<paramref name="height"/> as stored: (x, y) lands at the given place.
    /// </summary>
    internal static SKMatrix Orientation(SKEncodedOrigin origin, int width, int height) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, width, 0, 1, 0, 0, 0, 1),        // mirrored: (w - x, y)
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, width, 0, -1, height, 0, 0, 1), // 180°: (w - x, h - y)
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, height, 0, 0, 1),      // flipped: (x, h - y)
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),               // transposed: (y, x)
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, height, 1, 0, 0, 0, 0, 1),        // 90° clockwise: (h - y, x)
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, height, -1, 0, width, 0, 0, 1), // transverse: (h - y, w - x)
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, width, 0, 0, 1),       // 90° counter-clockwise: (y, w - x)
        _ => SKMatrix.Identity,
    };
}

/// <summary>A rendered thumbnail: the WebP, its shown size, the hash of its pixels, and the sizes read and decoded.</summary>
/// <param name="Webp">The encoded thumbnail.</param>
/// <param name="Width">Shown width (orientation applied).</param>
/// <param name="Height">Shown height (orientation applied).</param>
/// <param name="PerceptualHash">The <see cref="PerceptualHasher"/> hash of the thumbnail's pixels.</param>
/// <param name="SourceSize">The image's size as stored (from the header).</param>
/// <param name="DecodedSize">The size the codec decoded at (smaller than <paramref name="SourceSize"/> when it could scale).</param>
public sealed record RenderedThumbnail(byte[] Webp, int Width, int Height, ulong PerceptualHash, SKSizeI SourceSize, SKSizeI DecodedSize)
{
    /// <summary>The contract's view of it, under the blob name of <paramref name="id"/>.</summary>
    public ImageThumbnail ToContract(ImageId id) => new()
    {
        Name = ImageThumbnail.NameFor(id),
        Width = Width,
        Height = Height,
        Bytes = Webp.Length,
        PerceptualHash = Contracts.PerceptualHash.Format(PerceptualHash),
    };
}
