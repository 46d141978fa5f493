using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// The largest rendition an image has for the viewer and the detail page: the 1600 px preview, else the 640 px large
/// thumbnail, else the thumbnail (records made before renditions existed); null when it has no picture at all.
/// </summary>
public sealed record ViewerImage(string Url, int Width, int Height)
{
    public static ViewerImage? For(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Thumbnail switch
        {
            { Preview: { } preview } => new($"/previews/{record.Id}", preview.Width, preview.Height),
            { Large: { } large } => new($"/thumbnails/{record.Id}/large", large.Width, large.Height),
            { } thumbnail => new($"/thumbnails/{record.Id}", thumbnail.Width, thumbnail.Height),
            null => null,
        };
    }
}
