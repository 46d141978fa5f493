using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The map in Chromium with tiles from a loopback stand-in (<see cref="TileStandIn"/>): geotagged records appear as
/// markers or clusters, the tiles are asked of the configured server (which the CSP admits), the detail page shows a
/// small map of the photo's position; a web app with <c>Web:MapTiles:Enabled=false</c> says maps are off, shows no
/// detail map and admits no tile host. axe-core in light and dark mode and at 375 px.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class MapScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    /// <summary>A photo taken in Bergen, uploaded through the pipeline (so it has a thumbnail), plus records near Oslo and Paris.</summary>
    private async Task<ImageId> SeedAsync()
    {
        var taken = new DateTime(1996, 8, 1, 12, 0, 0, DateTimeKind.Unspecified);
        await StoreSeeding.PutAsync(fixture.Client.StoreAddress,
        [
            StoreSeeding.Record("m1-oslo-1.jpg", taken, new GpsPosition(59.9139, 10.7522)),
            StoreSeeding.Record("m1-oslo-2.jpg", taken.AddHours(1), new GpsPosition(59.9170, 10.7270)),
            StoreSeeding.Record("m1-oslo-3.jpg", taken.AddHours(2), new GpsPosition(59.9110, 10.7600)),
            StoreSeeding.Record("m1-paris.jpg", taken.AddDays(3), new GpsPosition(48.8566, 2.3522)),
        ]);
        var content = ImageWriters.WithExif(TestImages.Encode(480, 320, SKColors.CadetBlue, SKEncodedImageFormat.Jpeg, 85),
            new ImageWriters.ExifTags(Make: "MapCam", Model: "M1", DateTimeOriginal: "1996:08:05 10:00:00", Gps: (60.3913, 5.3221, 12.0)));
        var upload = await fixture.Client.UploadAsync("m1-bergen.jpg", content);
        Assert.Single(await fixture.Client.WaitForRecordsAsync([upload.Id], Processing));
        return upload.Id;
    }

    [SkippableFact]
    public async Task The_map_shows_geotagged_images_on_the_stand_in_tiles_and_the_detail_page_its_position()
    {
        SkipUnlessReady();
        var bergen = await SeedAsync();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;

        var answer = await session.GoAsync("/map");
        Assert.Contains(fixture.Tiles.UrlTemplate[..fixture.Tiles.UrlTemplate.IndexOf("/{z}", StringComparison.Ordinal)], (await answer!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        await Expect(page.Locator("#map-status")).ToContainTextAsync("geotagged image");
        // The Oslo three fall in one cluster at the world view; Bergen and Paris have pins or clusters of their own.
        await Expect(page.Locator("#map .leaflet-marker-icon").First).ToBeVisibleAsync();
        await Expect(page.Locator("#map img.leaflet-tile-loaded").First).ToBeAttachedAsync();
        Assert.Contains(fixture.Tiles.Requested, path => Regex.IsMatch(path, @"^/\d+/\d+/\d+\.png$"));
        await Expect(page.Locator("#map .marker-cluster").First).ToBeVisibleAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/map\?lat=.*&z=\d+"));
        await session.ReadmeScreenshotAsync("map");
        await session.AssertAccessibleEverywhereAsync();

        // The detail page: a small map with the photo's pin, on the same tiles.
        await session.GoAsync($"/images/{bergen}");
        await Expect(page.Locator("#photo-map .leaflet-marker-icon")).ToBeVisibleAsync();
        await Expect(page.Locator("#photo-map img.leaflet-tile-loaded").First).ToBeAttachedAsync();
        await Expect(page.Locator("#photo-map-link")).ToHaveAttributeAsync("href", new Regex(@"^/map\?lat=60\.39"));
        await session.ReadmeScreenshotAsync("detail");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task With_map_tiles_off_the_map_page_says_so_and_the_detail_page_has_no_map()
    {
        SkipUnlessReady();
        var bergen = await SeedAsync();
        var origin = await fixture.StartWebAsync("web-nomaps", new Dictionary<string, string> { ["Web__MapTiles__Enabled"] = "false" });
        await using var session = await BrowserSession.OpenAsync(fixture, origin);
        var page = session.Page;
        var before = fixture.Tiles.Requested.Count;

        var answer = await session.GoAsync("/map");
        await Expect(page.Locator("#maps-off")).ToContainTextAsync("Maps are off");
        await Expect(page.Locator("#map")).ToHaveCountAsync(0);
        Assert.DoesNotContain("127.0.0.1", (await answer!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        await session.AssertAccessibleEverywhereAsync();

        await session.GoAsync($"/images/{bergen}");
        await Expect(page.Locator("#gps")).ToBeVisibleAsync();
        await Expect(page.Locator("#photo-map")).ToHaveCountAsync(0);
        Assert.Equal(before, fixture.Tiles.Requested.Count);
        session.AssertNoConsoleErrors();
    }
}
