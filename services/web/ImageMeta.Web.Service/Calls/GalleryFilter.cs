using System.Globalization;
using System.Text;
using ImageMeta.Contracts;

namespace ImageMeta.Web.Service.Calls;

/// <summary>
/// The gallery's filters, bound from the page's query string and mapped one to one onto the store's query API
/// (<c>GET /images?format=&amp;status=&amp;camera=&amp;takenFrom=&amp;takenTo=&amp;minWidth=&amp;minHeight=&amp;hasGps=</c>).
/// </summary>
public sealed class GalleryFilter
{
    public static IReadOnlyList<string> Formats { get; } =
        [ImageFormats.Jpeg, ImageFormats.Png, ImageFormats.Gif, ImageFormats.Webp, ImageFormats.Bmp, ImageFormats.Ico, ImageFormats.Wbmp, ImageFormats.Heif, ImageFormats.Avif, ImageFormats.Dng];

    public static IReadOnlyList<string> Statuses { get; } = [ImageStatus.Succeeded, ImageStatus.Failed];

    public string? Format { get; set; }

    public string? Status { get; set; }

    /// <summary>Case-insensitive part of the camera make or model.</summary>
    public string? Camera { get; set; }

    public DateOnly? TakenFrom { get; set; }

    public DateOnly? TakenTo { get; set; }

    public int? MinWidth { get; set; }

    public int? MinHeight { get; set; }

    /// <summary>True: only images with a GPS position; false: only those without; null: either.</summary>
    public bool? HasGps { get; set; }

    public bool IsEmpty => ToStoreQuery(0, null) == "?limit=0";

    /// <summary>The store's query string for one page, starting with <c>?</c>.</summary>
    public string ToStoreQuery(int limit, string? cursor)
    {
        var query = new StringBuilder("?limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        Add(query, "format", Format);
        Add(query, "status", Status);
        Add(query, "camera", Camera?.Trim());
        Add(query, "takenFrom", TakenFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add(query, "takenTo", TakenTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add(query, "minWidth", MinWidth?.ToString(CultureInfo.InvariantCulture));
        Add(query, "minHeight", MinHeight?.ToString(CultureInfo.InvariantCulture));
        Add(query, "hasGps", HasGpsValue);
        Add(query, "cursor", cursor);
        return query.ToString();
    }

    /// <summary>The page's own query values for a link to the next page (same filters, the store's cursor).</summary>
    public Dictionary<string, string> RouteValues(string? cursor) => new Dictionary<string, string?>
    {
        ["format"] = Format,
        ["status"] = Status,
        ["camera"] = Camera,
        ["takenFrom"] = TakenFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["takenTo"] = TakenTo?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["minWidth"] = MinWidth?.ToString(CultureInfo.InvariantCulture),
        ["minHeight"] = MinHeight?.ToString(CultureInfo.InvariantCulture),
        ["hasGps"] = HasGpsValue,
        ["cursor"] = cursor,
    }.Where(p => !string.IsNullOrEmpty(p.Value)).ToDictionary(p => p.Key, p => p.Value!);

    /// <summary>The query value of <see cref="HasGps"/> as the store and the page's select spell it.</summary>
    public string? HasGpsValue => HasGps switch
    {
        true => "true",
        false => "false",
        null => null,
    };

    private static void Add(StringBuilder query, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
    }
}
