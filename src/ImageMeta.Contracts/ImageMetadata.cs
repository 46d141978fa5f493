namespace ImageMeta.Contracts;

/// <summary>
/// What the extractor learns about one image: read from the container header by the codec, plus
/// EXIF, plus the content's size and hash. The extractor returns it, the workflow carries it and the
/// store saves it; this is its only definition.
/// </summary>
public sealed record ImageMetadata
{
    /// <summary>Format detected from the bytes (never the file name): one of <see cref="ImageFormats"/>.</summary>
    public required string Format { get; init; }

    /// <summary>IANA media type of the format, for example <c>image/jpeg</c>.</summary>
    public required string MimeType { get; init; }

    /// <summary>Stored pixel width, as encoded (before EXIF orientation).</summary>
    public required int Width { get; init; }

    /// <summary>Stored pixel height, as encoded (before EXIF orientation).</summary>
    public required int Height { get; init; }

    /// <summary>
    /// Width as shown to a viewer: equal to <see cref="Height"/> when orientation is 5–8; for HEIF and AVIF, after the
    /// clean aperture (<c>clap</c>) crop as well.
    /// </summary>
    public required int DisplayWidth { get; init; }

    /// <summary>Height as shown to a viewer: equal to <see cref="Width"/> when orientation is 5–8; for HEIF and AVIF, after the clean aperture crop.</summary>
    public required int DisplayHeight { get; init; }

    /// <summary>
    /// Number of frames: 1 for still images, more for animated GIF, WebP and PNG (APNG), HEIF and AVIF image sequences,
    /// and the pages of a multi-page TIFF.
    /// </summary>
    public required int FrameCount { get; init; }

    /// <summary>
    /// True when the image is animated but its frames were not counted, so <see cref="FrameCount"/> (then 1) is not
    /// the count: an animated JPEG XL, whose frames can only be counted by a parse close to a decode. Null otherwise.
    /// </summary>
    public bool? FramesNotCounted { get; init; }

    /// <summary>Whether the image may carry transparency (the codec's alpha type is not opaque).</summary>
    public required bool HasAlpha { get; init; }

    /// <summary>The embedded ICC profile's description (for example <c>Display P3</c>); null without a profile.</summary>
    public string? ColorProfile { get; init; }

    /// <summary>The codec's native color type, for example <c>rgba8888</c> or <c>gray8</c>.</summary>
    public required string ColorType { get; init; }

    /// <summary>
    /// Orientation 1–8 in EXIF's numbering (1 = as stored) that turns the stored pixels into the shown ones: the EXIF
    /// (or XMP, or TIFF) tag, or for HEIF and AVIF the container's own <c>irot</c>/<c>imir</c> transforms, which decide
    /// there instead of the EXIF tag.
    /// </summary>
    public required int Orientation { get; init; }

    /// <summary>Length of the content in bytes.</summary>
    public required long ByteSize { get; init; }

    /// <summary>
    /// SHA-256 of the content, lowercase hexadecimal. Absent (null) only in a header-only scan
    /// (<c>imagemeta scan --no-hash</c>), which reads too little of the content to hash it; every record the
    /// pipeline stores has it (the store's validator requires it).
    /// </summary>
    public string? Sha256 { get; init; }

    /// <summary>Camera and capture facts from EXIF (or XMP where EXIF lacks them); null when the image has none.</summary>
    public ExifMetadata? Exif { get; init; }

    /// <summary>True when the pixels were fully decoded to prove the data intact (the verify option).</summary>
    public bool Verified { get; init; }
}

/// <summary>The EXIF facts people search by. Absent tags are null.</summary>
public sealed record ExifMetadata
{
    /// <summary>Camera maker (EXIF Make), trimmed.</summary>
    public string? CameraMake { get; init; }

    /// <summary>Camera model (EXIF Model), trimmed.</summary>
    public string? CameraModel { get; init; }

    /// <summary>Lens model (EXIF LensModel, or the maker's lens tag when that is all there is).</summary>
    public string? LensModel { get; init; }

    /// <summary>
    /// When the picture was taken, ISO 8601: EXIF DateTimeOriginal, else CreateDate (DateTimeDigitized), else XMP's
    /// <c>exif:DateTimeOriginal</c>, <c>photoshop:DateCreated</c> or <c>xmp:CreateDate</c>; never IFD0 DateTime, which
    /// is when the file was last changed. <c>2024-05-01T14:03:07+02:00</c> when the file records the offset
    /// (OffsetTimeOriginal or OffsetTimeDigitized for the date used, or the XMP date's own zone),
    /// <c>2024-05-01T14:03:07</c> (camera local time, zone unknown) when it does not.
    /// </summary>
    public string? TakenAt { get; init; }

    /// <summary>Exposure time in seconds (1/250 s = 0.004).</summary>
    public double? ExposureTime { get; init; }

    /// <summary>Aperture as an f-number (f/2.8 = 2.8).</summary>
    public double? FNumber { get; init; }

    /// <summary>ISO speed rating.</summary>
    public int? Iso { get; init; }

    /// <summary>Focal length in millimetres (the lens's real focal length).</summary>
    public double? FocalLength { get; init; }

    /// <summary>The 35 mm equivalent focal length in millimetres (EXIF FocalLengthIn35mmFilm).</summary>
    public double? FocalLength35mm { get; init; }

    /// <summary>Whether the flash fired (bit 0 of EXIF Flash); null when the file does not say.</summary>
    public bool? FlashFired { get; init; }

    /// <summary>
    /// The exposure program (EXIF ExposureProgram): one of <see cref="ExposurePrograms"/>; null when the file says
    /// "not defined" or nothing.
    /// </summary>
    public string? ExposureProgram { get; init; }

    /// <summary>White balance (EXIF WhiteBalance): <c>auto</c> or <c>manual</c> (<see cref="WhiteBalances"/>).</summary>
    public string? WhiteBalance { get; init; }

    /// <summary>Who made the picture (EXIF Artist, else XMP <c>dc:creator</c>), trimmed.</summary>
    public string? Artist { get; init; }

    /// <summary>The copyright notice (EXIF Copyright, else XMP <c>dc:rights</c>), trimmed.</summary>
    public string? Copyright { get; init; }

    /// <summary>The software that wrote the file (EXIF Software, else XMP <c>xmp:CreatorTool</c>), trimmed.</summary>
    public string? Software { get; init; }

    /// <summary>Where the picture was taken; null without GPS tags.</summary>
    public GpsPosition? Gps { get; init; }
}

/// <summary>A GPS fix in decimal degrees (south and west negative) and metres above sea level.</summary>
public sealed record GpsPosition(double Latitude, double Longitude, double? Altitude = null);

/// <summary>The values <see cref="ExifMetadata.ExposureProgram"/> may hold: EXIF's ExposureProgram 1–9 in words.</summary>
public static class ExposurePrograms
{
    public const string Manual = "manual";
    public const string Program = "program";
    public const string AperturePriority = "aperture-priority";
    public const string ShutterPriority = "shutter-priority";
    public const string Creative = "creative";
    public const string Action = "action";
    public const string Portrait = "portrait";
    public const string Landscape = "landscape";
    public const string Bulb = "bulb";

    /// <summary>Every value, in EXIF's order.</summary>
    public static IReadOnlyList<string> All { get; } = [Manual, Program, AperturePriority, ShutterPriority, Creative, Action, Portrait, Landscape, Bulb];

    /// <summary>The name of an EXIF ExposureProgram value; null for 0 ("not defined") and anything unknown.</summary>
    public static string? FromExif(int value) => value is >= 1 and <= 9 ? All[value - 1] : null;
}

/// <summary>The values <see cref="ExifMetadata.WhiteBalance"/> may hold (EXIF WhiteBalance 0 and 1).</summary>
public static class WhiteBalances
{
    public const string Auto = "auto";
    public const string Manual = "manual";
}

/// <summary>
/// Which version of the extractor's output a record holds, so records made before a change of extraction (new
/// formats, new fields) can be found and processed again. Records written before the field existed count as 1.
/// </summary>
public static class ExtractorVersions
{
    /// <summary>The version this build's extraction writes. Raised in the same change as any change of extraction output.</summary>
    public const int Current = 5;
}
