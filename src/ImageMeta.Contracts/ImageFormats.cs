namespace ImageMeta.Contracts;

/// <summary>The decoder that makes an image's thumbnail and renditions.</summary>
public enum ThumbnailDecoder
{
    /// <summary>SkiaSharp: the formats it decodes itself (JPEG, PNG, GIF, WebP, BMP, ICO, WBMP), with scaled decodes.</summary>
    Skia,

    /// <summary>The fallback decoder (ImageMagick through Magick.NET) for the rest; an operator may turn it off (<c>Thumbnails:FallbackDecoder</c>).</summary>
    Fallback,
}

/// <summary>One format the extractor names: its <see cref="ImageFormats"/> name, media type, whether a browser shows it inline, and its thumbnail decoder.</summary>
/// <param name="Name">The value of <see cref="ImageMetadata.Format"/>.</param>
/// <param name="MediaType">The IANA media type (or the de-facto <c>image/x-…</c> one where none is registered).</param>
/// <param name="ShownInline">Whether browsers display it, so an original is served inline rather than as a download.</param>
/// <param name="Decoder">Which decoder makes its thumbnail.</param>
public sealed record ImageFormat(string Name, string MediaType, bool ShownInline, ThumbnailDecoder Decoder);

/// <summary>
/// The format names <see cref="ImageMetadata.Format"/> may hold, and the one table of what each means: media type,
/// shown inline or not, thumbnail decoder. Everything that needs one of these facts (the extractor's
/// <see cref="ImageMetadata.MimeType"/>, the store's and the web's serving of originals, the web's filters) reads it here.
/// </summary>
public static class ImageFormats
{
    public const string Jpeg = "jpeg";
    public const string Png = "png";
    public const string Gif = "gif";
    public const string Webp = "webp";
    public const string Bmp = "bmp";
    public const string Ico = "ico";
    public const string Cur = "cur";
    public const string Wbmp = "wbmp";
    public const string Heif = "heif";
    public const string Avif = "avif";
    public const string Tiff = "tiff";
    public const string Dng = "dng";
    public const string Cr2 = "cr2";
    public const string Cr3 = "cr3";
    public const string Nef = "nef";
    public const string Arw = "arw";
    public const string Raf = "raf";
    public const string Rw2 = "rw2";
    public const string Orf = "orf";
    public const string Pef = "pef";
    public const string Srw = "srw";
    public const string JpegXl = "jxl";
    public const string Jpeg2000 = "jp2";
    public const string Psd = "psd";
    public const string Netpbm = "pnm";

    /// <summary>The media type of content in no known format.</summary>
    public const string UnknownMediaType = "application/octet-stream";

    /// <summary>
    /// Every format, in the order people know them. Shown inline: what every current browser displays (JPEG, PNG,
    /// GIF, WebP, BMP, ICO, AVIF); HEIF, TIFF and JPEG XL display in one browser only, so they are downloads like
    /// the rest, and people see their renditions instead.
    /// </summary>
    public static IReadOnlyList<ImageFormat> All { get; } =
    [
        new(Jpeg, "image/jpeg", true, ThumbnailDecoder.Skia),
        new(Png, "image/png", true, ThumbnailDecoder.Skia),
        new(Gif, "image/gif", true, ThumbnailDecoder.Skia),
        new(Webp, "image/webp", true, ThumbnailDecoder.Skia),
        new(Bmp, "image/bmp", true, ThumbnailDecoder.Skia),
        new(Ico, "image/vnd.microsoft.icon", true, ThumbnailDecoder.Skia),
        new(Cur, "image/x-win-bitmap", false, ThumbnailDecoder.Fallback),
        new(Wbmp, "image/vnd.wap.wbmp", false, ThumbnailDecoder.Skia),
        new(Heif, "image/heif", false, ThumbnailDecoder.Fallback),
        new(Avif, "image/avif", true, ThumbnailDecoder.Fallback),
        new(Tiff, "image/tiff", false, ThumbnailDecoder.Fallback),
        new(Dng, "image/x-adobe-dng", false, ThumbnailDecoder.Fallback),
        new(Cr2, "image/x-canon-cr2", false, ThumbnailDecoder.Fallback),
        new(Cr3, "image/x-canon-cr3", false, ThumbnailDecoder.Fallback),
        new(Nef, "image/x-nikon-nef", false, ThumbnailDecoder.Fallback),
        new(Arw, "image/x-sony-arw", false, ThumbnailDecoder.Fallback),
        new(Raf, "image/x-fuji-raf", false, ThumbnailDecoder.Fallback),
        new(Rw2, "image/x-panasonic-rw2", false, ThumbnailDecoder.Fallback),
        new(Orf, "image/x-olympus-orf", false, ThumbnailDecoder.Fallback),
        new(Pef, "image/x-pentax-pef", false, ThumbnailDecoder.Fallback),
        new(Srw, "image/x-samsung-srw", false, ThumbnailDecoder.Fallback),
        new(JpegXl, "image/jxl", false, ThumbnailDecoder.Fallback),
        new(Jpeg2000, "image/jp2", false, ThumbnailDecoder.Fallback),
        new(Psd, "image/vnd.adobe.photoshop", false, ThumbnailDecoder.Fallback),
        new(Netpbm, "image/x-portable-anymap", false, ThumbnailDecoder.Fallback),
    ];

    /// <summary>The camera RAW formats (DNG included): their size is the sensor's, their thumbnail the embedded preview.</summary>
    public static IReadOnlySet<string> Raw { get; } = new HashSet<string>(StringComparer.Ordinal) { Dng, Cr2, Cr3, Nef, Arw, Raf, Rw2, Orf, Pef, Srw };

    private static readonly Dictionary<string, ImageFormat> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    private static readonly HashSet<string> ShownMediaTypes = All.Where(f => f.ShownInline).Select(f => f.MediaType).ToHashSet(StringComparer.Ordinal);

    /// <summary>The table's row for a format name; null for anything else.</summary>
    public static ImageFormat? Find(string? format) => format is not null && ByName.TryGetValue(format, out var found) ? found : null;

    /// <summary>The media type of a format name (<see cref="UnknownMediaType"/> for anything unknown): the one function that answers it.</summary>
    public static string MediaType(string? format) => Find(format)?.MediaType ?? UnknownMediaType;

    /// <summary>
    /// The media type an original of this format is served as for a browser to show (the store's
    /// <c>GET /images/{id}/original</c>, the web's link to it), or null when it is served as a download
    /// (<c>application/octet-stream</c>): the formats browsers do not display, and anything unknown.
    /// </summary>
    public static string? ShownMediaType(string? format) => Find(format) is { ShownInline: true } shown ? shown.MediaType : null;

    /// <summary>Whether a media type is one <see cref="ShownMediaType"/> answers: one a browser may show inline.</summary>
    public static bool IsShownMediaType(string? mediaType) => mediaType is not null && ShownMediaTypes.Contains(mediaType);
}
