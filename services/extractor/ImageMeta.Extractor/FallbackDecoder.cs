using System.Diagnostics;
using ImageMagick;
using ImageMeta.Contracts;
using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// The thumbnail decoder for what SkiaSharp does not decode (HEIF/HEIC, AVIF, TIFF, JPEG XL, JPEG 2000, PSD, Netpbm,
/// CUR): ImageMagick through Magick.NET-Q8-x64. Chosen because it is one well-kept library that decodes all of them
/// on Linux, HEVC included (libheif with libde265; the NetVips native package has no HEVC decoder), applies HEIF's
/// irot/imir transforms itself, reads from memory and runs under NativeAOT; it costs about 40 MB of native code.
/// Skia stays first for its formats: it decodes JPEG and WebP scaled, this decodes whole.
/// Hostile files are bounded three ways: the coder is named from the sniffed format (ImageMagick never guesses, so
/// no content reaches its script, vector or document coders), process-wide resource limits (width, height, area,
/// memory, no disk spill) refuse oversized canvases inside the library, and the render clock cancels a decode that
/// runs too long through ImageMagick's progress callback. Camera RAW is not decoded here (see <see cref="RawPreview"/>).
/// </summary>
public static class FallbackDecoder
{
    /// <summary>
    /// Memory the decode takes per pixel of the full image beyond the 4 bytes of RGBA that
    /// <see cref="ExtractionOptions.DecodedBytesPerPixel"/> counts: libheif's decoded YCbCr planes and its RGB copy
    /// before ImageMagick imports it into its pixel cache (HEIC, AVIF), the box-filtered copy the thumbnail step makes,
    /// the codec's strips or tiles elsewhere. Measured with bench/thumbnails on an 8000×6000 HEIC: peak RSS 665 MB
    /// against 52 MB for a 400×300 one, so 613 MB for 48 MP, 13.4 bytes a pixel in all; 10 beyond the 4 (rounded up).
    /// </summary>
    public const int OverheadBytesPerPixel = 10;

    /// <summary>Bytes one full decode of a <paramref name="width"/>×<paramref name="height"/> image holds at its peak: the pixel cache and the overhead.</summary>
    public static long PlannedBytes(long width, long height) =>
        width * height * (ExtractionOptions.DecodedBytesPerPixel + OverheadBytesPerPixel);

    private static readonly Lock LimitsGate = new();
    private static long _widestPixels;
    private static long _widestBytes;

    /// <summary>
    /// Sets ImageMagick's process-wide resource limits from extraction's and returns them: no canvas wider, taller or
    /// larger than the pixel limit allows, pixel caches within the in-flight budget and never spilled to disk (a
    /// decode over the limit fails instead of writing a temporary file), one decode thread per render (renders run in
    /// parallel already). The limits are a backstop behind the renderer's own checks, which come first; as they are
    /// process-wide they only ever widen, to the widest renderer in the process (the service has one).
    /// </summary>
    public static ExtractionOptions Limit(ExtractionOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        lock (LimitsGate)
        {
            _widestPixels = Math.Max(_widestPixels, limits.MaxPixels);
            _widestBytes = Math.Max(_widestBytes, limits.MaxBytesInFlight);
            ResourceLimits.Area = (ulong)_widestPixels;
            ResourceLimits.Width = (ulong)Math.Min(_widestPixels, int.MaxValue);
            ResourceLimits.Height = (ulong)Math.Min(_widestPixels, int.MaxValue);
            ResourceLimits.Memory = (ulong)_widestBytes;
            ResourceLimits.MaxMemoryRequest = (ulong)_widestBytes;
            ResourceLimits.Disk = 0;
            ResourceLimits.ListLength = 16; // the image and the copies Thumbnail makes; one frame is read
            ResourceLimits.Thread = 1;
        }

        return limits;
    }

    /// <summary>Whether ImageMagick's native library loads here (checked at start while the decoder is on, not at the first HEIC).</summary>
    public static bool Loads()
    {
        try
        {
            return !string.IsNullOrEmpty(MagickNET.Version);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>The ImageMagick coder for a format the fallback decodes; null for the rest (Skia's formats, camera RAW).</summary>
    public static MagickFormat? CoderFor(string? format, ReadOnlySpan<byte> head) => format switch
    {
        ImageFormats.Heif => MagickFormat.Heic,
        ImageFormats.Avif => MagickFormat.Avif,
        ImageFormats.Tiff => MagickFormat.Tiff,
        ImageFormats.JpegXl => MagickFormat.Jxl,
        ImageFormats.Jpeg2000 => head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]) ? MagickFormat.J2k : MagickFormat.Jp2,
        ImageFormats.Psd => MagickFormat.Psd,
        ImageFormats.Netpbm => MagickFormat.Pnm,
        ImageFormats.Cur => MagickFormat.Cur,
        _ => null,
    };

    /// <summary>The stored size of the first image, from the header only (ImageMagick's ping: no pixels decoded).</summary>
    public static SKSizeI Size(ReadOnlySpan<byte> content, MagickFormat coder)
    {
        using var image = new MagickImage();
        image.Ping(content, Settings(coder));
        return new SKSizeI((int)image.Width, (int)image.Height);
    }

    /// <summary>
    /// Decodes the first image and scales it so that its long side is at most <paramref name="edge"/> (never enlarged), into
    /// a new bitmap with the orientation still to apply (TIFF's tag, EXIF where the coder leaves
    /// it; HEIF's transforms are applied by libheif, which then reports none). Throws <see cref="MagickException"/>
    /// for damaged data or a limit reached, <see cref="OperationCanceledException"/> when <paramref name="late"/> says so.
    /// </summary>
    public static (SKBitmap Bitmap, SKEncodedOrigin Origin) Decode(ReadOnlySpan<byte> content, MagickFormat coder, int edge, Func<bool> late)
    {
        using var image = new MagickImage();
        var cancelled = false;
        image.Progress += (_, e) =>
        {
            if (late())
            {
                cancelled = true;
                e.Cancel = true;
            }
        };

        try
        {
            image.Read(content, Settings(coder));
        }
        catch (MagickException) when (cancelled)
        {
            throw new OperationCanceledException("The decode ran past the render time limit.");
        }

        // libheif has applied HEIF's irot/imir (they decide how HEIF and AVIF are shown); their EXIF orientation, which
        // phones write as well, must not turn the picture a second time. ImageMagick 7.1.2 already reports no
        // orientation after libheif's transforms; this keeps it so should a version pass the EXIF value on.
        var transformedByDecoder = coder is MagickFormat.Heic or MagickFormat.Avif;
        var origin = !transformedByDecoder && image.Orientation is >= Orientation.TopLeft and <= Orientation.LeftBottom
            ? (SKEncodedOrigin)(int)image.Orientation
            : SKEncodedOrigin.TopLeft;
        if (Math.Max(image.Width, image.Height) > edge)
        {
            // Thumbnail: a fast box reduction first, then a proper filter, and the profiles dropped.
            image.Thumbnail(new MagickGeometry((uint)edge, (uint)edge));
        }

        if (late())
        {
            throw new OperationCanceledException("The decode ran past the render time limit.");
        }

        var opaque = !image.HasAlpha;
        var bitmap = new SKBitmap(new SKImageInfo((int)image.Width, (int)image.Height, SKColorType.Rgba8888, opaque ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        try
        {
            using var pixels = image.GetPixelsUnsafe();
            var rgba = pixels.ToByteArray(PixelMapping.RGBA) ?? throw new MagickCorruptImageErrorException("ImageMagick returned no pixels.");
            Debug.Assert(rgba.Length == bitmap.ByteCount, "RGBA at 8 bits per channel fills the bitmap exactly.");
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), Math.Min(rgba.Length, bitmap.ByteCount));
            return (bitmap, origin);
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    // The first frame or page only (a multi-page TIFF's first page, a PSD's composite), with the coder named.
    private static MagickReadSettings Settings(MagickFormat coder) => new()
    {
        Format = coder,
        FrameIndex = 0,
        FrameCount = 1,
    };
}
