using System.ComponentModel.DataAnnotations;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// Where the map pages get their tiles (configuration section <c>Web:MapTiles</c>), validated at start. Off, the map
/// page says maps are off and the detail page shows no map; on, the Content-Security-Policy admits the tile host.
/// </summary>
public sealed class MapTilesOptions : IValidatableObject
{
    public const string SectionName = "Web:MapTiles";

    /// <summary>The OpenStreetMap Foundation's tile server, whose usage policy asks for the attribution below.</summary>
    public const string OpenStreetMapTiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

    private static readonly string[] TilePlaceholders = ["{z}", "{x}", "{y}"];

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// An absolute http(s) address with <c>{z}</c>, <c>{x}</c> and <c>{y}</c> in its path or query (Leaflet's template).
    /// The host is literal (no <c>{s}</c> subdomains): it is what the Content-Security-Policy admits.
    /// </summary>
    public string UrlTemplate { get; set; } = OpenStreetMapTiles;

    /// <summary>The credit the tile provider asks for, shown as text on every map.</summary>
    [MaxLength(200)]
    public string Attribution { get; set; } = "© OpenStreetMap contributors";

    /// <summary>Where the credit links to.</summary>
    [Url]
    public string? AttributionUrl { get; set; } = "https://www.openstreetmap.org/copyright";

    /// <summary>The deepest zoom the tile server has.</summary>
    [Range(1, 22)]
    public int MaxZoom { get; set; } = 19;

    /// <summary>The origin (scheme, host, port) tiles come from, for the Content-Security-Policy; null when maps are off.</summary>
    public string? TileOrigin => Enabled && Uri.TryCreate(UrlTemplate, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!Uri.TryCreate(UrlTemplate, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
            || uri.Host.Contains('{', StringComparison.Ordinal) || uri.Host.Contains('%', StringComparison.Ordinal))
        {
            yield return new ValidationResult(
                "Web:MapTiles:UrlTemplate must be an absolute http or https address with a literal host (no {s}).", [nameof(UrlTemplate)]);
        }
        else if (!TilePlaceholders.All(p => UrlTemplate.Contains(p, StringComparison.Ordinal)))
        {
            yield return new ValidationResult("Web:MapTiles:UrlTemplate must contain {z}, {x} and {y}.", [nameof(UrlTemplate)]);
        }

        if (string.IsNullOrWhiteSpace(Attribution))
        {
            yield return new ValidationResult("Web:MapTiles:Attribution is required when maps are on: tile providers ask for their credit.", [nameof(Attribution)]);
        }
    }
}
