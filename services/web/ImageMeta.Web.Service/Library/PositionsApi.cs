using System.Globalization;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageMeta.Web.Service.Library;

/// <summary>
/// <c>GET /api/positions?bbox=minLon,minLat,maxLon,maxLat</c>: the map page's question as the view moves, answered from
/// the store's <c>/images/positions</c> (points up to <see cref="LibraryCalls.PositionsLimit"/>, else the store's
/// clusters, and the total). A box beyond the world's edges is clipped to it; anything else unreadable is a 400, and
/// the store not answering a 503 naming it.
/// </summary>
public static class PositionsApi
{
    public static RouteHandlerBuilder MapPositions(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/api/positions", PositionsAsync);

    private static async Task<Results<Ok<ImagePositions>, ProblemHttpResult>> PositionsAsync(string? bbox, LibraryCalls library, HttpContext http, CancellationToken cancellationToken)
    {
        var parts = (bbox ?? string.Empty).Split(',');
        var values = new double[4];
        if (bbox is not { Length: <= 128 } || parts.Length != 4
            || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) && double.IsFinite(values[i])).All(ok => ok))
        {
            return WebProblems.Of(StatusCodes.Status400BadRequest, FailureClass.InvalidRequest, "bbox is minLon,minLat,maxLon,maxLat in degrees.");
        }

        // A map scrolled past the antimeridian or zoomed out reports a box larger than the world: clip it.
        var (minLon, minLat, maxLon, maxLat) = (Math.Clamp(values[0], -180, 180), Math.Clamp(values[1], -90, 90), Math.Clamp(values[2], -180, 180), Math.Clamp(values[3], -90, 90));
        if (minLon > maxLon || minLat > maxLat)
        {
            return WebProblems.Of(StatusCodes.Status400BadRequest, FailureClass.InvalidRequest, "Each minimum of bbox must be at most its maximum.");
        }

        try
        {
            var answer = await library.PositionsAsync(minLon, minLat, maxLon, maxLat, cancellationToken);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(answer);
        }
        catch (AppUnavailableException)
        {
            return WebProblems.Of(StatusCodes.Status503ServiceUnavailable, FailureClass.Unavailable, "The image store is not answering, so the map cannot show positions right now.");
        }
    }
}
