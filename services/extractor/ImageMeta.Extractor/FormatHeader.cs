using System.Buffers.Binary;
using ImageMeta.Contracts;

namespace ImageMeta.Extractor;

/// <summary>
/// What a format's own header reader found, for the formats Skia has no codec for (HEIF, AVIF, TIFF, camera RAW,
/// JPEG XL, JPEG 2000, PSD, Netpbm, CUR): the stored size, the container's own orientation where it has one,
/// frames, alpha, and where its EXIF, XMP and ICC profile lie. Nothing here decodes a pixel.
/// </summary>
internal sealed record FormatHeader
{
    /// <summary>Stored width in pixels (for RAW: the sensor image's, never the preview's).</summary>
    public required long Width { get; init; }

    /// <summary>Stored height in pixels.</summary>
    public required long Height { get; init; }

    /// <summary>The format when the header names it more precisely than the signature (a <c>mif1</c> file holding AV1 is AVIF).</summary>
    public string? Format { get; init; }

    /// <summary>
    /// The container's own orientation (EXIF numbering) when the format defines one that decides over EXIF's: HEIF's
    /// <c>irot</c>/<c>imir</c>, JPEG XL's codestream orientation, TIFF's tag. Null: the EXIF (then XMP) tag decides.
    /// </summary>
    public int? Orientation { get; init; }

    /// <summary>
    /// The size shown when the container's transforms change more than the orientation does (HEIF's clean aperture
    /// crops it); null: the stored size, turned by <see cref="Orientation"/>.
    /// </summary>
    public (long Width, long Height)? Shown { get; init; }

    public int Frames { get; init; } = 1;

    /// <summary>True when the header says the image is animated but its frames were not counted (<see cref="Frames"/> is then 1).</summary>
    public bool FramesNotCounted { get; init; }

    public bool HasAlpha { get; init; }

    /// <summary>Skia's name for the nearest color type (<c>rgba8888</c>, <c>gray8</c>, <c>rgba16161616</c>).</summary>
    public string ColorType { get; init; } = "rgba8888";

    /// <summary>TIFF-structured EXIF bytes (with or without the <c>Exif\0\0</c> preamble).</summary>
    public ReadOnlyMemory<byte>? Exif { get; init; }

    /// <summary>EXIF facts read already (from an embedded JPEG, or a CR3's split TIFF blocks).</summary>
    public ExifReader.ExifFacts? ExifFacts { get; init; }

    /// <summary>The XMP packet.</summary>
    public ReadOnlyMemory<byte>? Xmp { get; init; }

    /// <summary>
    /// Where the EXIF block lies when it is beyond the head (a HEIF's EXIF item at the end of its media data): the scan
    /// reads just that range through its window, so a header-only scan seeks to it instead of reading all before it.
    /// </summary>
    public ItemRange? ExifBeyondHead { get; init; }

    /// <summary>Where the XMP packet lies when it is beyond the head, read like <see cref="ExifBeyondHead"/>.</summary>
    public ItemRange? XmpBeyondHead { get; init; }

    /// <summary>The embedded ICC profile.</summary>
    public ReadOnlyMemory<byte>? Icc { get; init; }

    /// <summary>The least length the header says the content has (0: it says nothing); shorter content is truncated.</summary>
    public long DeclaredLength { get; init; }

    /// <summary>Skia's color type name for <paramref name="channels"/> samples of <paramref name="bits"/> bits.</summary>
    public static string ColorTypeOf(int channels, int bits) => (channels, bits) switch
    {
        ( <= 1, <= 8) => "gray8",
        (_, > 8) => "rgba16161616",
        _ => "rgba8888",
    };
}

/// <summary>A range of the content: <paramref name="Offset"/> and <paramref name="Length"/> in bytes.</summary>
internal readonly record struct ItemRange(long Offset, long Length);

/// <summary>A format header reader's answer: the facts, or why the header cannot give them (<c>corrupt</c>, <c>too-large</c>).</summary>
internal sealed record FormatHeaderRead(FormatHeader? Header, ProcessingFailure? Failure)
{
    public static FormatHeaderRead Corrupt(string name, string problem) => new(null, new ProcessingFailure(FailureClass.Corrupt, $"The {name} header cannot be read: {problem}."));

    public static implicit operator FormatHeaderRead(FormatHeader header) => new(header, null);
}

/// <summary>
/// The bytes a header reader may look at: the head of the content that a scan has read so far. A reader asks for a
/// range with <see cref="TryGet"/>; a range not in the head is recorded in <see cref="Wanted"/>, and the scan reads
/// that far (up to <see cref="ContentPass.HeadLimit"/>) and asks the reader again. So a file is read only as far as
/// its header points, and a reader never sees a byte beyond what it asked for.
/// </summary>
internal sealed class HeaderBytes(ReadOnlyMemory<byte> head, bool whole)
{
    public ReadOnlyMemory<byte> Memory { get; } = head;

    public ReadOnlySpan<byte> Span => Memory.Span;

    public long Length => Memory.Length;

    /// <summary>True when the head is the whole content: a range beyond it does not exist.</summary>
    public bool Whole { get; } = whole;

    /// <summary>The furthest end of a range asked for and not in the head (0 when every range was there).</summary>
    public long Wanted { get; private set; }

    /// <summary>True when a range was wanted that a longer head could still hold.</summary>
    public bool WantsMore => Wanted > Length && !Whole && Length < ContentPass.HeadLimit;

    public bool TryGet(long offset, long length, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        if (offset < 0 || length < 0 || offset > long.MaxValue - length)
        {
            return false;
        }

        if (offset + length <= Memory.Length)
        {
            bytes = Memory.Slice((int)offset, (int)length);
            return true;
        }

        if (offset + length <= ContentPass.HeadLimit)
        {
            Wanted = Math.Max(Wanted, offset + length);
        }

        return false;
    }

    public bool Has(long offset, long length) => TryGet(offset, length, out _);

    /// <summary>Whether the head holds the range now; unlike <see cref="TryGet"/>, a range it lacks is not wanted.</summary>
    public bool Holds(long offset, long length) => offset >= 0 && length >= 0 && offset <= Memory.Length - length;

    /// <summary>Why an essential range is missing: past the end of the content, or past what a header may take.</summary>
    public FormatHeaderRead Missing(string name, string what) =>
        Whole || Length < ContentPass.HeadLimit
            ? FormatHeaderRead.Corrupt(name, $"the content ends before its {what}")
            : new FormatHeaderRead(null, new ProcessingFailure(FailureClass.TooLarge, $"The {name} header puts its {what} beyond the first {ContentPass.HeadLimit} bytes, which is more than a header may take."));

    public ushort U16(long at, bool little) => little ? BinaryPrimitives.ReadUInt16LittleEndian(Span[(int)at..]) : BinaryPrimitives.ReadUInt16BigEndian(Span[(int)at..]);

    public uint U32(long at, bool little) => little ? BinaryPrimitives.ReadUInt32LittleEndian(Span[(int)at..]) : BinaryPrimitives.ReadUInt32BigEndian(Span[(int)at..]);

    public ulong U64(long at, bool little) => little ? BinaryPrimitives.ReadUInt64LittleEndian(Span[(int)at..]) : BinaryPrimitives.ReadUInt64BigEndian(Span[(int)at..]);
}

/// <summary>Which reader reads which format's header.</summary>
internal static class FormatHeaders
{
    /// <summary>Whether <paramref name="format"/> is read here rather than by Skia's codec.</summary>
    public static bool Reads(string? format) => format is not null && ImageFormats.Find(format)?.Decoder == ThumbnailDecoder.Fallback;

    public static FormatHeaderRead Read(string format, HeaderBytes bytes) => format switch
    {
        ImageFormats.Heif or ImageFormats.Avif => IsoMediaHeader.Read(bytes),
        ImageFormats.Cr3 => CanonRaw3Header.Read(bytes),
        ImageFormats.Raf => FujifilmRawHeader.Read(bytes),
        ImageFormats.JpegXl => JpegXlHeader.Read(bytes),
        ImageFormats.Jpeg2000 => Jpeg2000Header.Read(bytes),
        ImageFormats.Psd => PhotoshopHeader.Read(bytes),
        ImageFormats.Netpbm => NetpbmHeader.Read(bytes),
        ImageFormats.Cur => CursorHeader.Read(bytes),
        _ => TiffHeader.Read(bytes, format),
    };

    /// <summary>How far the head must reach for the reader of <paramref name="format"/> (0: it has what it needs).</summary>
    public static long Extent(string format, ReadOnlyMemory<byte> head) => Extent(format, head, out _);

    /// <summary>
    /// How far the head must reach (0: it has what it needs), and the reader's facts when it found them wanting nothing
    /// more (<paramref name="read"/>): the same facts a second read of this head would give, so the scan need not read
    /// it twice. Null when the reader failed, threw, or wanted more.
    /// </summary>
    public static long Extent(string format, ReadOnlyMemory<byte> head, out FormatHeaderRead? read)
    {
        read = null;
        var bytes = new HeaderBytes(head, whole: false);
        FormatHeaderRead found;
        try
        {
            found = Read(format, bytes);
        }
#pragma warning disable CA1031 // Sizing the head must not fail; the real read below reports what is wrong.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            return 0;
        }

        if (bytes.Wanted > bytes.Length)
        {
            return bytes.WantsMore ? bytes.Wanted : 0;
        }

        read = found.Header is not null ? found : null;
        return 0;
    }
}
