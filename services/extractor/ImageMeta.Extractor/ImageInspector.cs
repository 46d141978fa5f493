using ImageMeta.Contracts;
using SkiaSharp;

namespace ImageMeta.Extractor;

/// <summary>
/// Turns image bytes into <see cref="ImageMetadata"/> or a typed <see cref="ProcessingFailure"/>.
/// Header first: the codec reports size, frames, alpha and orientation without decoding pixels, and
/// the pixel limit is enforced from that header before any pixel buffer exists. Pixels are decoded
/// only to verify (on request, or when a missing end marker suggests truncation), row by row where
/// the codec allows so memory stays bounded. The bytes of content and decode buffers of all
/// inspections in flight are bounded by one <see cref="InFlightBudget"/>: past it an inspection waits or
/// fails <c>unavailable</c>, per <see cref="ExtractionOptions.WhenBusy"/>. Thread-safe; every native
/// object is disposed.
/// </summary>
public sealed class ImageInspector(ExtractionOptions options)
{
    private const int SniffLength = 64;

    // libjpeg keeps 16-bit coefficients of every component for a progressive image: up to 3 × 2 bytes a pixel (4:4:4).
    private const int ProgressiveJpegBytesPerPixel = 6;

    public ExtractionOptions Options { get; } = options;

    /// <summary>Bytes held by inspections in flight (content and decode buffers), bounded by <see cref="ExtractionOptions.MaxBytesInFlight"/>.</summary>
    public InFlightBudget Budget { get; } = new(options.MaxBytesInFlight);

    /// <summary>Inspects content already in memory.</summary>
    public Outcome<ImageMetadata> Inspect(ReadOnlyMemory<byte> content, bool? verify = null)
    {
        if (Refusal(content.Length) is { } refused)
        {
            return refused;
        }

        using var hold = Budget.TryHold(content.Length, Waits);
        return hold is null ? Busy(content.Length) : InspectHeld(content, verify ?? Options.Verify, hold);
    }

    /// <summary>
    /// Reads a stream up to the byte limit (refusing without reading further when it is exceeded), then
    /// inspects. <paramref name="declaredLength"/> (an HTTP Content-Length) sizes the buffer once; the bytes
    /// read are held in the in-flight budget as they arrive.
    /// </summary>
    public async Task<Outcome<ImageMetadata>> InspectAsync(Stream stream, bool? verify = null, long? declaredLength = null, CancellationToken cancellationToken = default)
    {
        var declared = stream.CanSeek ? stream.Length - stream.Position : declaredLength;
        if (declared > Options.MaxBytes)
        {
            return TooManyBytes(declared.Value);
        }

        // One byte past the declared length shows a body longer than declared without a second buffer.
        var capacity = (int)Math.Min(Options.MaxBytes + 1, declared is { } d ? d + 1 : 1 << 20);
        using var hold = Budget.TryHold(capacity, Waits);
        if (hold is null)
        {
            return Busy(capacity);
        }

        using var buffer = new NativeContentBuffer(capacity);
        while (true)
        {
            if (buffer.Length == buffer.Capacity)
            {
                if (buffer.Length > Options.MaxBytes)
                {
                    return TooManyBytes(buffer.Length, atLeast: true);
                }

                var grown = (int)Math.Min((long)buffer.Capacity * 2, Options.MaxBytes + 1);
                if (!hold.TryGrow(grown - buffer.Capacity, Waits))
                {
                    return Busy(grown);
                }

                buffer.Grow(grown);
            }

            var read = await stream.ReadAsync(buffer.Free, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Length += read;
            if (buffer.Length > Options.MaxBytes)
            {
                return TooManyBytes(buffer.Length, atLeast: true);
            }
        }

        return buffer.Length == 0
            ? Refusal(0)!
            : InspectHeld(buffer.Memory[..buffer.Length], verify ?? Options.Verify, hold);
    }

    /// <summary>
    /// Scans a stream in one front-to-back pass through fixed-size buffers, never holding the whole content:
    /// the header facts come from the first bytes, and with <paramref name="hash"/> (the default) every byte
    /// also goes through SHA-256 on the way and the end marker is checked. Without it (<c>--no-hash</c>) only
    /// what the facts need is read (the header, the EXIF block, and for GIF and animated WebP the block and
    /// chunk headers that count the frames); <c>sha256</c> is then absent and <c>verified</c> false. With
    /// <paramref name="verify"/>, or when a hashed pass finds the end marker missing, the pixels must be
    /// decoded: the content is then read again from its start (a seekable stream only) and inspected in memory.
    /// </summary>
    public async Task<Outcome<ImageMetadata>> ScanAsync(Stream stream, bool hash = true, bool? verify = null, CancellationToken cancellationToken = default)
    {
        var start = stream.CanSeek ? stream.Position : 0;
        if (verify ?? Options.Verify)
        {
            return await InspectAsync(stream, verify: true, cancellationToken: cancellationToken);
        }

        // Only a length over the limit is taken on trust: a length of 0 (as Linux reports for /proc files) may still
        // have bytes behind it, so emptiness is decided by what the read finds.
        if (stream.CanSeek && stream.Length - start > Options.MaxBytes)
        {
            return TooManyBytes(stream.Length - start);
        }

        Outcome<ImageMetadata>? result;
        using (var hold = Budget.TryHold(2L * ContentPass.ChunkSize, Waits))
        {
            if (hold is null)
            {
                return Busy(2L * ContentPass.ChunkSize);
            }

            try
            {
                using var pass = new ContentPass(stream, hash, Options.MaxBytes, Options.MaxDecodeTime);
                var header = ReadHeader(pass);
                var held = pass.Head.Length + pass.HeldAside;
                if (held > ContentPass.ChunkSize && !hold.TryGrow(held - ContentPass.ChunkSize, Waits))
                {
                    return Busy(held);
                }

                var (length, sha256, tail) = pass.Finish();
                if (length == 0)
                {
                    return Refusal(0)!;
                }

                result = Describe(header, length, sha256, tail, whole: null, verify: false, hold);
            }
            catch (ContentTooLargeException e)
            {
                return TooManyBytes(e.BytesSoFar, atLeast: true);
            }
            catch (DecodeTimeExceededException e)
            {
                return Outcome.Fail<ImageMetadata>(DecodeClock.Failure(e.Limit));
            }
            catch (Exception e) when (e is OutOfMemoryException or InsufficientExecutionStackException)
            {
                return Outcome.Fail<ImageMetadata>(FailureClass.TooLarge, $"Decoding needs more memory than is available: {e.Message}");
            }
        }

        if (result is not null)
        {
            return result;
        }

        // The end marker is missing: only decoding tells a damaged image from one that merely lacks it.
        if (!stream.CanSeek)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, "The content ends without its end marker, and this stream cannot be read again to decode it.");
        }

        stream.Position = start;
        return await InspectAsync(stream, verify: true, cancellationToken: cancellationToken);
    }

    /// <summary>Scans a file (see <see cref="ScanAsync"/>); the size limit is checked from the file system before reading.</summary>
    public async Task<Outcome<ImageMetadata>> InspectFileAsync(string path, bool? verify = null, bool hash = true, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return await ScanAsync(file, hash, verify, cancellationToken);
    }

    private bool Waits => Options.WhenBusy == BusyPolicy.Wait;

    private Outcome<ImageMetadata>? Refusal(long length) => length switch
    {
        0 => Outcome.Fail<ImageMetadata>(FailureClass.Empty, "The content has no bytes."),
        _ when length > Options.MaxBytes => TooManyBytes(length),
        _ => null,
    };

    private Outcome<ImageMetadata> InspectHeld(ReadOnlyMemory<byte> content, bool verify, InFlightBudget.Hold hold)
    {
        try
        {
            return InspectBounded(content, verify, hold);
        }
        catch (Exception e) when (e is OutOfMemoryException or InsufficientExecutionStackException)
        {
            // A decoder that cannot get memory is a property of this input under our limits, not a crash.
            return Outcome.Fail<ImageMetadata>(FailureClass.TooLarge, $"Decoding needs more memory than is available: {e.Message}");
        }
        catch (DecodeTimeExceededException e)
        {
            return Outcome.Fail<ImageMetadata>(DecodeClock.Failure(e.Limit));
        }
    }

    private Outcome<ImageMetadata> TooManyBytes(long length, bool atLeast = false) =>
        Outcome.Fail<ImageMetadata>(FailureClass.TooLarge, $"The content has {(atLeast ? "more than " : string.Empty)}{length} bytes; the limit is {Options.MaxBytes}.");

    private Outcome<ImageMetadata> Busy(long bytes) =>
        Outcome.Fail<ImageMetadata>(FailureClass.Unavailable,
            $"The extractor is busy: {bytes} more bytes do not fit the {Budget.Capacity} bytes that inspections in flight may hold ({Budget.Held} held); try again shortly.");

    private Outcome<ImageMetadata> InspectBounded(ReadOnlyMemory<byte> content, bool verify, InFlightBudget.Hold hold)
    {
        // The same single pass as a stream's (header, walk, hash, end marker), over the bytes already held;
        // a decode, when one is due, reads the same memory.
        using var stream = new ReadOnlyMemoryStream(content);
        using var pass = new ContentPass(stream, hash: true, Options.MaxBytes, Options.MaxDecodeTime);
        var header = ReadHeader(pass);
        var (length, sha256, tail) = pass.Finish();
        return Describe(header, length, sha256, tail, content, verify, hold)!;
    }

    /// <summary>
    /// What the first bytes and the walk beyond them say, before any codec has looked; <c>HeadIsWhole</c> says whether the
    /// head holds the whole content (the content ended while the head was read).
    /// <c>Read</c> is the format reader's answer when it read through the pass itself (a header-facts scan of a HEIF).
    /// </summary>
    private sealed record Header(ReadOnlyMemory<byte> Head, ContainerSignature.Sniffed Sniffed, ContainerLayout.Walk Walk, DecodeClock Clock, bool HeadIsWhole, FormatHeaderRead? Read = null);

    private static Header ReadHeader(ContentPass pass)
    {
        pass.FillHead(1);
        var sniffed = ContainerSignature.Detect(pass.Head.Span[..Math.Min(pass.Head.Length, SniffLength)]);
        if (sniffed.ImageFormat is ImageFormats.Heif or ImageFormats.Avif && pass.CanSkip)
        {
            // Header facts from a seekable source: the boxes are found by their headers and read on their own, the media
            // data between never (a Samsung phone's meta box follows its tiles); the head is not grown.
            FormatHeaderRead read;
            try
            {
                read = IsoMediaHeader.Scan(pass);
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
            {
                read = FormatHeaderRead.Corrupt(sniffed.Name, e.Message);
            }

            return new Header(pass.Head, sniffed, new ContainerLayout.Walk(null, null), pass.Clock, pass.Ended, read);
        }
        FormatHeaderRead? sized = null;
        while (!pass.Ended && pass.Head.Length < ContentPass.HeadLimit)
        {
            var extent = FormatHeaders.Reads(sniffed.ImageFormat)
                ? FormatHeaders.Extent(sniffed.ImageFormat!, pass.Head, out sized)
                : ContainerLayout.HeaderExtent(sniffed.ImageFormat, pass.Head.Span);
            if (extent <= pass.Head.Length)
            {
                break;
            }

            sized = null;
            pass.FillHead((int)Math.Min(extent, ContentPass.HeadLimit));
        }

        var whole = pass.Ended;
        var sizedFormat = sniffed.ImageFormat;
        if (sniffed.ImageFormat == ImageFormats.Tiff)
        {
            // Which TIFF-shaped file this is (DNG, or a camera's RAW by IFD0's Make) can need more than the sniffed bytes.
            sniffed = ContainerSignature.Detect(pass.Head.Span);
        }

        var walk = sniffed.ImageFormat is ImageFormats.Heif or ImageFormats.Avif
            ? IsoMediaItemsBeyondHead(pass, whole)
            : ContainerLayout.WalkBeyondHeader(sniffed.ImageFormat, pass);
        // The facts the sizing read found on this head are kept, unless the format was named again since (a TIFF's kind).
        return new Header(pass.Head, sniffed, walk, pass.Clock, whole, sniffed.ImageFormat == sizedFormat ? sized : null);
    }

    /// <summary>
    /// A HEIF's EXIF and XMP items that lie beyond the head, read through the pass's window in file order: in a
    /// header-only scan the bytes between are seeked over, not read (a phone's EXIF item follows its image tiles).
    /// A damaged header is left to the reader in <see cref="DescribeFromHeader"/>, which reports it.
    /// </summary>
    private static ContainerLayout.Walk IsoMediaItemsBeyondHead(ContentPass pass, bool whole)
    {
        FormatHeader? found;
        try
        {
            found = IsoMediaHeader.Read(new HeaderBytes(pass.Head, whole)).Header;
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
        {
            return new ContainerLayout.Walk(null, null);
        }

        ReadOnlyMemory<byte>? ReadRange(ItemRange? range)
        {
            if (range is not { } r)
            {
                return null;
            }

            var data = new byte[r.Length];
            try
            {
                return pass.ReadAt(r.Offset, data) == data.Length ? data : null;
            }
            catch (InvalidOperationException)
            {
                return null; // items that overlap: the pass reads front to back once, and the second one is not read
            }
        }

        var ranges = new[] { (Exif: true, Range: found?.ExifBeyondHead), (Exif: false, Range: found?.XmpBeyondHead) }
            .Where(r => r.Range is not null).OrderBy(r => r.Range!.Value.Offset).ToList();
        ReadOnlyMemory<byte>? exif = null, xmp = null;
        foreach (var (isExif, range) in ranges)
        {
            if (isExif)
            {
                exif = ReadRange(range) is { } block ? IsoMediaHeader.ExifItem(block) : null;
            }
            else
            {
                xmp = ReadRange(range);
            }
        }

        return new ContainerLayout.Walk(null, exif, xmp);
    }

    /// <summary>
    /// The metadata from the header (a codec over the head only), the walk, and the pass's length and hash;
    /// null when pixels must be decoded and <paramref name="whole"/> content is not at hand.
    /// </summary>
    private unsafe Outcome<ImageMetadata>? Describe(Header header, long length, string? sha256, byte[] tail, ReadOnlyMemory<byte>? whole, bool verify, InFlightBudget.Hold hold)
    {
        var sniffed = header.Sniffed;
        if (FormatHeaders.Reads(sniffed.ImageFormat))
        {
            return DescribeFromHeader(header, length, sha256);
        }

        using var pin = header.Head.Pin();
        using var data = SKData.Create((IntPtr)pin.Pointer, header.Head.Length);
        if (NotReadHere(sniffed) is { } notRead)
        {
            return notRead;
        }

        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return CodecRefused(sniffed);
        }

        if (Unrecognised(sniffed, codec.EncodedFormat, header.Head.Span, length) is { } unrecognised)
        {
            return unrecognised;
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, $"The {sniffed.Name} header declares an empty canvas ({info.Width}×{info.Height}).");
        }

        var pixels = (long)info.Width * info.Height;
        if (pixels > Options.MaxPixels)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.TooLarge, $"The image is {info.Width}×{info.Height} ({pixels} pixels); the limit is {Options.MaxPixels} pixels.");
        }

        var format = FormatName(codec.EncodedFormat) ?? sniffed.ImageFormat;
        if (format is null)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Unsupported, $"The codec opened the content but reports a format we do not handle ({codec.EncodedFormat}).");
        }

        if (ContainerLayout.DeclaredLength(format, header.Head.Span) is { } declared && length < declared)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt,
                $"The {sniffed.Name} data is truncated: its header declares {declared} bytes, the content has {length}.");
        }

        var frames = header.Walk.Frames ?? Math.Max(1, codec.FrameCount);
        var mustDecode = verify || (sha256 is not null && !ContainerSignature.HasEndMarker(format, tail));
        if (mustDecode)
        {
            if (whole is not { } content)
            {
                return null;
            }

            using var wholePin = content.Pin();
            using var wholeData = SKData.Create((IntPtr)wholePin.Pointer, content.Length);
            using var wholeCodec = SKCodec.Create(wholeData);
            var failure = wholeCodec is null ? Corrupt("the codec cannot open the whole content") : Verify(wholeCodec, frames, format, content, hold, header.Clock);
            if (failure is not null)
            {
                return failure.Class == FailureClass.Corrupt
                    ? Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, $"The {sniffed.Name} data is damaged or truncated: {failure.Message}.")
                    : Outcome.Fail<ImageMetadata>(failure.Class, failure.Message);
            }
        }

        var exif = (header.Walk.Exif is { } block ? ExifReader.ReadBlock(block)
            : format == ImageFormats.Jpeg ? ExifReader.Read(header.Head, format)
            : ExifReader.ExifFacts.None).With(XmpReader.Read(header.Walk.Xmp));
        var orientation = codec.EncodedOrigin is var origin && origin != SKEncodedOrigin.TopLeft ? (int)origin : exif.Orientation;
        var rotated = orientation is >= 5 and <= 8;

        return Outcome.Success(new ImageMetadata
        {
            Format = format,
            MimeType = ImageFormats.MediaType(format),
            Width = info.Width,
            Height = info.Height,
            DisplayWidth = rotated ? info.Height : info.Width,
            DisplayHeight = rotated ? info.Width : info.Height,
            FrameCount = frames,
            HasAlpha = info.AlphaType != SKAlphaType.Opaque,
            ColorProfile = IccProfile.Description(header.Walk.Icc),
            ColorType = info.ColorType.ToString().ToLowerInvariant(),
            Orientation = orientation,
            ByteSize = length,
            Sha256 = sha256,
            Exif = exif.Exif,
            Verified = mustDecode,
        });
    }

    /// <summary>
    /// The metadata of a format Skia has no codec for, from its own header reader (<see cref="FormatHeaders"/>): nothing
    /// is decoded, so the answer is never <c>verified</c>. A reader that trips over the bytes (an index past a damaged
    /// field) makes the content <c>corrupt</c>; the EXIF and XMP readers fall back to nothing on their own.
    /// </summary>
    private Outcome<ImageMetadata> DescribeFromHeader(Header header, long length, string? sha256)
    {
        var sniffed = header.Sniffed;
        FormatHeaderRead read;
        try
        {
            read = header.Read ?? FormatHeaders.Read(sniffed.ImageFormat!, new HeaderBytes(header.Head, header.HeadIsWhole));
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, $"The {sniffed.Name} header cannot be read: {e.Message}");
        }

        if (read.Failure is { } failure)
        {
            return Outcome.Fail<ImageMetadata>(failure.Class, failure.Message);
        }

        var found = read.Header!;
        if (found.Width <= 0 || found.Height <= 0 || found.Width > int.MaxValue || found.Height > int.MaxValue)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, $"The {sniffed.Name} header declares an impossible canvas ({found.Width}×{found.Height}).");
        }

        var pixels = found.Width * found.Height;
        if (pixels > Options.MaxPixels)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.TooLarge, $"The image is {found.Width}×{found.Height} ({pixels} pixels); the limit is {Options.MaxPixels} pixels.");
        }

        if (found.DeclaredLength > length)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt,
                $"The {sniffed.Name} data is truncated: its header places data up to byte {found.DeclaredLength}, the content has {length}.");
        }

        var format = found.Format ?? sniffed.ImageFormat!;
        var exifBlock = found.Exif ?? header.Walk.Exif;
        var exif = (found.ExifFacts ?? (exifBlock is { } block ? ExifReader.ReadBlock(block) : ExifReader.ExifFacts.None)).With(XmpReader.Read(found.Xmp ?? header.Walk.Xmp));
        var orientation = found.Orientation ?? exif.Orientation;
        var rotated = orientation is >= 5 and <= 8;
        var (width, height) = ((int)found.Width, (int)found.Height);
        return Outcome.Success(new ImageMetadata
        {
            Format = format,
            MimeType = ImageFormats.MediaType(format),
            Width = width,
            Height = height,
            DisplayWidth = found.Shown is { } shown ? (int)shown.Width : rotated ? height : width,
            DisplayHeight = found.Shown is { } shownToo ? (int)shownToo.Height : rotated ? width : height,
            FrameCount = found.FramesNotCounted && header.Walk.Frames is { } walked ? walked : found.Frames,
            FramesNotCounted = found.FramesNotCounted && header.Walk.Frames is null ? true : null,
            HasAlpha = found.HasAlpha,
            ColorProfile = IccProfile.Description(found.Icc),
            ColorType = found.ColorType,
            Orientation = orientation,
            ByteSize = length,
            Sha256 = sha256,
            Exif = exif.Exif,
            Verified = false,
        });
    }

    /// <summary>
    /// Formats recognised by their signature whose reader is not in this build (camera RAW, TIFF, HEIF, AVIF, JPEG XL,
    /// JPEG 2000, PSD, Netpbm, CUR): <c>unsupported</c>, named, even where Skia's codec would open something inside them
    /// (it takes a RAF's 8×8 embedded JPEG preview for the image, and labels a CR2 as DNG).
    /// </summary>
    internal static Outcome<ImageMetadata>? NotReadHere(ContainerSignature.Sniffed sniffed) =>
        sniffed.ImageFormat is { } format && ImageFormats.Find(format)?.Decoder == ThumbnailDecoder.Fallback
            ? Outcome.Fail<ImageMetadata>(FailureClass.Unsupported, $"The content is {sniffed.Name}, which this build does not read yet.")
            : null;

    /// <summary>
    /// Content no signature recognised is taken from the codec only as a WBMP (the one format without a magic number), and
    /// only when its header and length agree (<see cref="ContainerSignature.IsWbmp"/>); anything else is what the sniff named.
    /// </summary>
    internal static Outcome<ImageMetadata>? Unrecognised(ContainerSignature.Sniffed sniffed, SKEncodedImageFormat codecFormat, ReadOnlySpan<byte> head, long length) =>
        sniffed.ImageFormat is null && (codecFormat != SKEncodedImageFormat.Wbmp || !ContainerSignature.IsWbmp(head, length))
            ? Outcome.Fail<ImageMetadata>(FailureClass.Unsupported, $"The content is {sniffed.Name}, not an image format the extractor decodes.")
            : null;

    internal static Outcome<ImageMetadata> CodecRefused(ContainerSignature.Sniffed sniffed)
    {
        if (sniffed.ImageFormat is null)
        {
            return Outcome.Fail<ImageMetadata>(FailureClass.Unsupported, $"The content is {sniffed.Name}, not an image format the extractor decodes.");
        }

        return Outcome.Fail<ImageMetadata>(FailureClass.Corrupt, $"The content starts like {sniffed.Name} but its header cannot be read.");
    }

    /// <summary>
    /// Decodes the pixels and returns what went wrong (class <c>corrupt</c>), null when every row of every
    /// frame decoded, or <c>unavailable</c> when the in-flight budget has no room for the decode's buffers.
    /// Never a whole bitmap where rows will do: row by row where the codec supports scanlines (scaled down
    /// where it can scale), a PNG's data inflated row by row without the codec (Skia's PNG codec has no
    /// scanline decoder here and cannot scale, so it would need the whole image), and a whole frame (scaled
    /// where possible) only for codecs that decode nothing smaller. Each buffer is held in the budget before it is allocated.
    /// </summary>
    private unsafe ProcessingFailure? Verify(SKCodec codec, int frames, string format, ReadOnlyMemory<byte> content, InFlightBudget.Hold hold, DecodeClock clock)
    {
        if (format == ImageFormats.Png && PngImageData.ReadHeader(content.Span) is { } png)
        {
            return PngImageData.Problem(content, png) is { } problem ? Corrupt(problem) : null;
        }

        // libjpeg pads a scan that ends early and only warns: count the blocks first.
        if (format == ImageFormats.Jpeg && JpegScanData.Problem(content.Span) is { } jpegProblem)
        {
            return Corrupt(jpegProblem);
        }

        var size = codec.GetScaledDimensions(1f / 8);
        // A later frame can be transparent where the first is opaque (a GIF frame disposed to the background clears to
        // transparent): Skia refuses to decode such a frame into an opaque target, so animations decode with alpha.
        var alpha = codec.Info.AlphaType == SKAlphaType.Opaque && frames == 1 ? SKAlphaType.Opaque : SKAlphaType.Premul;
        var info = new SKImageInfo(Math.Max(1, size.Width), Math.Max(1, size.Height), SKColorType.Rgba8888, alpha);

        if (frames == 1)
        {
            // A progressive JPEG keeps the coefficients of the whole image while decoding, whatever the scale.
            var codecBytes = format == ImageFormats.Jpeg && ContainerSignature.IsProgressiveJpeg(content.Span)
                ? (long)codec.Info.Width * codec.Info.Height * ProgressiveJpegBytesPerPixel
                : 0;
            if (!hold.TryGrow(info.RowBytes + codecBytes, Waits))
            {
                return BusyFailure(info.RowBytes + codecBytes);
            }

            var row = new byte[info.RowBytes];
            fixed (byte* rowPointer = row)
            {
                var start = codec.StartScanlineDecode(info);
                if (start == SKCodecResult.Success)
                {
                    for (var y = 0; y < info.Height; y++)
                    {
                        if (codec.GetScanlines((IntPtr)rowPointer, 1, info.RowBytes) != 1)
                        {
                            return Corrupt($"row {y} of {info.Height} could not be decoded");
                        }

                        if (y % 32 == 31)
                        {
                            clock.Check();
                        }
                    }

                    return null;
                }

                if (start is not (SKCodecResult.Unimplemented or SKCodecResult.InvalidScale or SKCodecResult.InvalidConversion))
                {
                    return Corrupt($"decoding failed to start ({start})");
                }
            }
        }

        var full = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, alpha);
        var target = size == codec.Info.Size ? full : info;
        if (!hold.TryGrow(target.BytesSize64, Waits))
        {
            return BusyFailure(target.BytesSize64);
        }

        if (format == ImageFormats.Webp && frames > 1)
        {
            // Skia's WebP codec finds frame i by walking libwebp's frame list from the start, so decoding every frame
            // through it is quadratic in the frames; each ANMF frame is a complete bitstream, decoded alone here.
            return WebpFrames.Problem(content, target, clock);
        }

        // Native, like the content: a whole frame can be hundreds of MB, which the managed heap is not sized for.
        if (target.BytesSize64 > int.MaxValue)
        {
            return new ProcessingFailure(FailureClass.TooLarge, $"A decoded frame of {target.Width}×{target.Height} does not fit one buffer.");
        }

        using var buffer = new NativeContentBuffer((int)target.BytesSize64);
        var pixels = (byte*)buffer.Pin().Pointer;
        {
            // Frames are decoded in order into one buffer; naming the frame each one builds on as already there is what
            // Skia accepts (the pixels drawn on are not the point, every frame's data is).
            var frameInfo = frames > 1 ? codec.FrameInfo : [];
            for (var i = 0; i < frames; i++)
            {
                var required = i < frameInfo.Length ? frameInfo[i].RequiredFrame : -1;
                var result = codec.GetPixels(target, (IntPtr)pixels, new SKCodecOptions(i, required));
                if (result != SKCodecResult.Success)
                {
                    return Corrupt(frames > 1 ? $"frame {i} of {frames}: {result}" : result.ToString());
                }

                clock.Check();
            }
        }

        return null;
    }

    private static ProcessingFailure Corrupt(string problem) => new(FailureClass.Corrupt, problem);

    private ProcessingFailure BusyFailure(long bytes) => Busy(bytes).Failure!;

    internal static string? FormatName(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => ImageFormats.Jpeg,
        SKEncodedImageFormat.Png => ImageFormats.Png,
        SKEncodedImageFormat.Gif => ImageFormats.Gif,
        SKEncodedImageFormat.Webp => ImageFormats.Webp,
        SKEncodedImageFormat.Bmp => ImageFormats.Bmp,
        SKEncodedImageFormat.Ico => ImageFormats.Ico,
        SKEncodedImageFormat.Wbmp => ImageFormats.Wbmp,
        SKEncodedImageFormat.Heif => ImageFormats.Heif,
        SKEncodedImageFormat.Avif => ImageFormats.Avif,
        SKEncodedImageFormat.Dng => ImageFormats.Dng,
        _ => null,
    };
}
