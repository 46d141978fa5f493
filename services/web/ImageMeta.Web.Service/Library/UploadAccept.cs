using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The file picker's <c>accept</c> list: every format of <see cref="ImageFormats.All"/> (the extractor's one table) by its
/// media type and its file name extensions, so a person picks among the files the pipeline reads.
/// </summary>
public static class UploadAccept
{
    /// <summary>
    /// Extensions files of a format carry besides <c>.{name}</c>: pickers match by extension where the system has no
    /// media type for the file (camera RAW, Netpbm).
    /// </summary>
    private static readonly Dictionary<string, string[]> OtherExtensions = new(StringComparer.Ordinal)
    {
        [ImageFormats.Jpeg] = [".jpg", ".jpe", ".jfif"],
        [ImageFormats.Heif] = [".heic", ".hif"],
        [ImageFormats.Tiff] = [".tif"],
        [ImageFormats.Jpeg2000] = [".j2k", ".jpf", ".jpx"],
        [ImageFormats.Netpbm] = [".pbm", ".pgm", ".ppm", ".pam"],
    };

    /// <summary>The value of the input's <c>accept</c> attribute, media types then extensions, each once.</summary>
    public static string Value { get; } = string.Join(',', ImageFormats.All
        .Select(f => f.MediaType)
        .Concat(ImageFormats.All.SelectMany(f => OtherExtensions.GetValueOrDefault(f.Name, []).Prepend("." + f.Name)))
        .Distinct(StringComparer.Ordinal));
}
