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
    // Long enough for IFD0's Make and DNGVersion entries, which name a TIFF-shaped camera RAW.
    private const int SniffLength = 4096;
    private const int RowsBetweenClockChecks = 32;

    // libjpeg keeps 16-bit coefficients of every component for a progressive image: up to 3 × 2 bytes a pixel (4:4:4).
    private const int ProgressiveJpegBytesPerPixel = 6;

    public ExtractionOptions Limits { get; } = FallbackDecoder.Limit(limits);

    public ThumbnailOptions Options { get; } = options;

    /// <summary>The in-flight budget shared with extraction.</summary>
    public InFlightBudget Budget { get; } = budget;

    /// <summary>
    /// Renders the thumbnail of content already in memory. <paramref name="inspected"/> is the inspector's answer for
    /// the same content when there is one: its format picks the decoder and, for a camera RAW, its orientation turns
    /// the embedded preview; without it the content's signature and the file's own EXIF decide.
    /// </summary>
    public Outcome<RenderedThumbnail> Render(ReadOnlyMemory<byte> content, ImageMetadata? inspected = null)
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
            return RenderHeld(content, hold, inspected);
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
    public static SKSizeI DecodeSize(SKCodec codec, int edge = ImageThumbnail.PreviewEdge)
    {
        ArgumentNullException.ThrowIfNull(codec);
        var full = codec.Info.Size;
        var target = TargetSize(full, edge);
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

    /// <summary>A rendition's size before orientation: the image scaled so its long side is at most <paramref name="edge"/>, never enlarged.</summary>
    public static SKSizeI TargetSize(SKSizeI size, int edge = ImageThumbnail.MaxEdge)
    {
        var longSide = Math.Max(size.Width, size.Height);
        if (longSide <= edge)
        {
            return size;
        }

        var scale = (double)edge / longSide;
        return new SKSizeI(
            Math.Clamp((int)Math.Round(size.Width * scale), 1, edge),
            Math.Clamp((int)Math.Round(size.Height * scale), 1, edge));
    }

    /// <summary>The long sides of what one render makes from one decode: the thumbnail, the 2× thumbnail and the preview.</summary>
    private static readonly int[] Edges = [ImageThumbnail.MaxEdge, ImageThumbnail.LargeEdge, ImageThumbnail.PreviewEdge];

    private bool Waits => Limits.WhenBusy == BusyPolicy.Wait;

    private Outcome<RenderedThumbnail> Busy(long bytes) =>
        Outcome.Fail<RenderedThumbnail>(FailureClass.Unavailable,
            $"The extractor is busy: {bytes} more bytes do not fit the {Budget.Capacity} bytes that work in flight may hold ({Budget.Held} held); try again shortly.");

    private Outcome<RenderedThumbnail> RenderHeld(ReadOnlyMemory<byte> content, InFlightBudget.Hold hold, ImageMetadata? inspected)
    {
        var clock = Stopwatch.StartNew();
        var span = content.Span;
        var sniffed = ContainerSignature.Detect(span[..Math.Min(span.Length, SniffLength)]);

        // The inspector's format when it has read the content, else the signature's: the decoder follows the format.
        var format = inspected?.Format ?? sniffed.ImageFormat;
        if (ImageFormats.Find(format) is not { Decoder: ThumbnailDecoder.Fallback })
        {
            return RenderWithSkia(content, hold, clock, sniffed, orientation: null);
        }

        var named = sniffed.ImageFormat == format ? sniffed.Name : format!;
        if (!Options.FallbackDecoder)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Unsupported,
                $"Thumbnails of {named} need the fallback decoder, which this service has turned off (Thumbnails:FallbackDecoder).");
        }

        if (ImageFormats.Raw.Contains(format!))
        {
            // The camera's embedded preview, shown as the RAW's own orientation says (its previews are stored as shot).
            if (RawPreview.Largest(content) is not { } preview)
            {
                return Outcome.Fail<RenderedThumbnail>(FailureClass.Unsupported, $"The {named} file has no embedded JPEG preview to make a thumbnail from; the sensor data is not developed.");
            }

            var orientation = inspected?.Orientation ?? ExifReader.Read(content, format!).Orientation;
            var jpeg = ContainerSignature.Detect(preview.Jpeg.Span[..Math.Min(preview.Jpeg.Length, SniffLength)]);
            return RenderWithSkia(preview.Jpeg, hold, clock, jpeg, orientation);
        }

        return FallbackDecoder.CoderFor(format, span) is { } coder
            ? RenderWithFallback(content, hold, clock, named, coder)
            : Outcome.Fail<RenderedThumbnail>(FailureClass.Unsupported, $"No thumbnail decoder is set up for {named}.");
    }

    /// <summary>
    /// Renders through <see cref="FallbackDecoder"/>: the header's size checked against the pixel limit, then the
    /// whole decode held in the budget as planned (<see cref="FallbackDecoder.PlannedBytes"/>: these codecs cannot
    /// decode scaled), then one decode scaled to the preview's size serving every rendition.
    /// </summary>
    private Outcome<RenderedThumbnail> RenderWithFallback(ReadOnlyMemory<byte> content, InFlightBudget.Hold hold, Stopwatch clock, string named, ImageMagick.MagickFormat coder)
    {
        SKSizeI size;
        try
        {
            size = FallbackDecoder.Size(content.Span, coder);
        }
        catch (ImageMagick.MagickException e)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Corrupt, $"The {named} header cannot be read: {e.Message}");
        }

        if (size.Width <= 0 || size.Height <= 0)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Corrupt, $"The {named} header declares an empty canvas ({size.Width}×{size.Height}).");
        }

        var pixels = (long)size.Width * size.Height;
        if (pixels > Limits.MaxPixels)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, $"The image is {size.Width}×{size.Height} ({pixels} pixels); the limit is {Limits.MaxPixels} pixels.");
        }

        var decodeSize = TargetSize(size, ImageThumbnail.PreviewEdge);
        var buffers = FallbackDecoder.PlannedBytes(size.Width, size.Height) + RenditionBytes(size, decodeSize);
        if (!hold.TryGrow(buffers, Waits))
        {
            return Busy(buffers);
        }

        SKBitmap decoded;
        SKEncodedOrigin origin;
        try
        {
            (decoded, origin) = FallbackDecoder.Decode(content.Span, coder, ImageThumbnail.PreviewEdge, () => clock.Elapsed > Options.MaxRenderTime);
        }
        catch (OperationCanceledException)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, OverTimeMessage);
        }
        catch (ImageMagick.MagickResourceLimitErrorException e)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.TooLarge, $"Decoding the {named} image needs more than the decoder's limits allow: {e.Message}");
        }
        catch (ImageMagick.MagickException e)
        {
            return Outcome.Fail<RenderedThumbnail>(FailureClass.Corrupt, $"The {named} data is damaged or truncated: {e.Message}");
        }

        using (decoded)
        {
            // The decoder may have turned the image already (HEIF's transforms): the renditions follow what it made.
            var shown = new SKSizeI(decoded.Width, decoded.Height);
            var turned = decoded.Width > decoded.Height != size.Width > size.Height && size.Width != size.Height;
            var stored = turned ? new SKSizeI(size.Height, size.Width) : size;
            return Renditions(decoded, stored, shown, origin, clock);
        }
    }

    private unsafe Outcome<RenderedThumbnail> RenderWithSkia(ReadOnlyMemory<byte> content, InFlightBudget.Hold hold, Stopwatch clock, ContainerSignature.Sniffed sniffed, int? orientation)
    {
        var span = content.Span;
        using var pin = content.Pin();
        using var data = SKData.Create((IntPtr)pin.Pointer, content.Length);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return ImageInspector.CodecRefused(sniffed).FailureAs<RenderedThumbnail>();
        }

        if (ImageInspector.Unrecognised(sniffed, codec.EncodedFormat, span, content.Length) is { } unrecognised)
        {
            return unrecognised.FailureAs<RenderedThumbnail>();
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

        // One decode, large enough for the largest rendition (the preview), serves all three.
        var decodeSize = DecodeSize(codec, ImageThumbnail.PreviewEdge);
        var opaque = info.AlphaType == SKAlphaType.Opaque;
        var decodeInfo = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);

        // Everything this render allocates, held before it exists: the decoded frame, libjpeg's coefficients of a
        // progressive JPEG (whatever the scale), the mipmaps of a large reduction, and each rendition (pixels and encoding).
        var coefficients = format == ImageFormats.Jpeg && ContainerSignature.IsProgressiveJpeg(span) ? pixels * ProgressiveJpegBytesPerPixel : 0;
        var buffers = decodeInfo.BytesSize64 + coefficients + RenditionBytes(info.Size, decodeSize);
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

        var origin = orientation is { } given ? (SKEncodedOrigin)given
            : codec.EncodedOrigin != SKEncodedOrigin.TopLeft ? codec.EncodedOrigin
            : (SKEncodedOrigin)ExifReader.Read(content, format).Orientation;
        return Renditions(decoded, info.Size, decodeSize, origin, clock);
    }

    /// <summary>The mipmaps of a large reduction and each rendition's pixels and encoding, for an image of <paramref name="stored"/> decoded at <paramref name="decodeSize"/>.</summary>
    private static long RenditionBytes(SKSizeI stored, SKSizeI decodeSize)
    {
        var targets = Edges.Select(edge => TargetSize(stored, edge)).ToArray();
        var decodedBytes = (long)decodeSize.Width * decodeSize.Height * 4;
        var mipmaps = decodeSize.Width > 2 * targets[0].Width ? decodedBytes / 3 : 0;
        return mipmaps + targets.Sum(t => (long)t.Width * t.Height * 4 * 2);
    }

    /// <summary>Draws, hashes and encodes the three renditions from one decoded frame of an image of <paramref name="stored"/> (before orientation).</summary>
    private Outcome<RenderedThumbnail> Renditions(SKBitmap decoded, SKSizeI stored, SKSizeI decodeSize, SKEncodedOrigin origin, Stopwatch clock)
    {
        var targets = Edges.Select(edge => TargetSize(stored, edge)).ToArray();
        var renditions = new RenderedRendition[targets.Length];
        ulong hash = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            using var drawn = Draw(decoded, targets[i], origin, (double)decodeSize.Width / targets[i].Width);
            if (OverTime(clock) is { } late)
            {
                return Outcome.Fail<RenderedThumbnail>(late.Class, late.Message);
            }

            if (i == 0)
            {
                hash = PerceptualHasher.Hash(drawn); // on the thumbnail's pixels, oriented as shown
            }

            using var encoded = drawn.PeekPixels().Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossy, Options.Quality))
                ?? throw new InvalidOperationException("Skia's WebP encoder returned nothing.");
            renditions[i] = new RenderedRendition(encoded.ToArray(), drawn.Width, drawn.Height);
        }

        return Outcome.Success(new RenderedThumbnail(
            renditions[0].Webp, renditions[0].Width, renditions[0].Height, hash, stored, decodeSize)
        {
            Large = renditions[1],
            Preview = renditions[2],
        });
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
        clock.Elapsed > Options.MaxRenderTime ? new ProcessingFailure(FailureClass.TooLarge, OverTimeMessage) : null;

    private string OverTimeMessage => $"Rendering the thumbnail took longer than the limit of {Options.MaxRenderTime.TotalSeconds:0.###} s.";

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
    /// <summary>The 2× thumbnail (long side <see cref="ImageThumbnail.LargeEdge"/>, never enlarged).</summary>
    public RenderedRendition? Large { get; init; }

    /// <summary>The preview (long side <see cref="ImageThumbnail.PreviewEdge"/>, never enlarged).</summary>
    public RenderedRendition? Preview { get; init; }

    /// <summary>Every WebP to write through the thumbnails binding for <paramref name="id"/>: blob name and bytes.</summary>
    public IEnumerable<(string Name, byte[] Webp)> Blobs(ImageId id)
    {
        yield return (ImageThumbnail.NameFor(id), Webp);
        if (Large is not null)
        {
            yield return (ImageThumbnail.LargeNameFor(id), Large.Webp);
        }

        if (Preview is not null)
        {
            yield return (ImageThumbnail.PreviewNameFor(id), Preview.Webp);
        }
    }

    /// <summary>The contract's view of it, under the blob names of <paramref name="id"/>.</summary>
    public ImageThumbnail ToContract(ImageId id) => new()
    {
        Name = ImageThumbnail.NameFor(id),
        Width = Width,
        Height = Height,
        Bytes = Webp.Length,
        PerceptualHash = Contracts.PerceptualHash.Format(PerceptualHash),
        Large = Large is null ? null : new ImageRendition(ImageThumbnail.LargeNameFor(id), Large.Width, Large.Height, Large.Webp.Length),
        Preview = Preview is null ? null : new ImageRendition(ImageThumbnail.PreviewNameFor(id), Preview.Width, Preview.Height, Preview.Webp.Length),
    };
}

/// <summary>One larger rendition beside the thumbnail: the WebP and its shown size.</summary>
public sealed record RenderedRendition(byte[] Webp, int Width, int Height);
