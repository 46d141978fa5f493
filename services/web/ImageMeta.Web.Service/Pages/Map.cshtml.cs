using ImageMeta.Web.Service.Library;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace ImageMeta.Web.Service.Pages;

/// <summary>
/// Every geotagged image on a map (Leaflet, served from wwwroot/lib), clustered; the script asks <c>/api/positions</c>
/// for the box in view as the map moves. With <c>Web:MapTiles:Enabled=false</c> the page says maps are off.
/// </summary>
public sealed class MapModel(IOptions<MapTilesOptions> tiles) : PageModel
{
    public MapTilesOptions Tiles => tiles.Value;

    /// <summary>The sentence in place of the map when maps are off.</summary>
    public const string MapsOffSentence = "Maps are off: this installation shows no map tiles (Web:MapTiles:Enabled is false), so positions are listed on each image's page instead.";
}
