using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The viewer in Chromium: opened by keyboard from the gallery, it walks the gallery's order with ← and →, the buttons
/// and a swipe, keeps Tab inside, zooms to the original, and Escape gives focus back; it opens from the detail page too.
/// Cards are crisp on a 2× screen (the 640 px rendition through srcset) and the viewer shows the 1600 px preview.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ViewerScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    private static byte[] Photo(SKColor color) => TestImages.Encode(2000, 1500, color, SKEncodedImageFormat.Jpeg, 80);

    private async Task<IReadOnlyList<ImageId>> UploadThreeAsync(string prefix)
    {
        var ids = new List<ImageId>();
        foreach (var (suffix, color) in new[] { ("a", SKColors.IndianRed), ("b", SKColors.SeaGreen), ("c", SKColors.RoyalBlue) })
        {
            ids.Add((await fixture.Client.UploadAsync($"{prefix}-{suffix}.jpg", Photo(color))).Id);
        }

        var records = await fixture.Client.WaitForRecordsAsync(ids, Processing);
        Assert.All(ids, id => Assert.NotNull(records[id].Thumbnail?.Preview));
        Assert.All(ids, id => Assert.NotNull(records[id].Thumbnail?.Large));

        // The renditions are written by the extractor's analyze call; a workflow that still calls its older thumbnail
        // call names them in the record but writes only the thumbnail. Then there is nothing for the viewer to show.
        using var preview = await fixture.Client.GetFromStoreAsync($"images/{ids[0]}/preview");
        Skip.If(preview.StatusCode == System.Net.HttpStatusCode.NotFound, "The pipeline wrote no preview blob (ingest's workflow does not call the extractor's analyze yet), so the viewer has nothing to show.");
        return ids;
    }

    /// <summary>
    /// The names of the gallery's first three cards, in its order: the three just stored, in the order the store
    /// wrote them (their workflows may finish in any order).
    /// </summary>
    private static async Task<string[]> LeadingNamesAsync(IPage page, string prefix)
    {
        var names = await page.Locator("#gallery > li.card").EvaluateAllAsync<string[]>("cards => cards.slice(0, 3).map(c => c.dataset.name)");
        Assert.All(names, n => Assert.StartsWith(prefix + "-", n, StringComparison.Ordinal));
        return names;
    }

    private static ImageId IdOf(IReadOnlyList<ImageId> ids, string name) => ids["abc".IndexOf(name[^5], StringComparison.Ordinal)];

    [SkippableFact]
    public async Task Keyboard_opens_the_viewer_from_the_gallery_walks_it_in_order_zooms_and_gives_focus_back()
    {
        SkipUnlessReady();
        var ids = await UploadThreeAsync("v1");
        await using var session = await BrowserSession.OpenAsync(fixture, deviceScaleFactor: 2);
        var page = session.Page;
        await session.GoAsync("/");

        // The three lead the gallery; on a 2× screen each card shows the 640 px rendition.
        var order = await LeadingNamesAsync(page, "v1");
        var (one, two, three) = (IdOf(ids, order[0]), IdOf(ids, order[1]), IdOf(ids, order[2]));
        var thumb = page.Locator("#gallery > li.card").First.Locator("img");
        await Expect(thumb).ToHaveAttributeAsync("srcset", new Regex("/large 2x$"));
        Assert.EndsWith($"/thumbnails/{one}/large", await thumb.EvaluateAsync<string>("img => img.decode().then(() => img.currentSrc)"), StringComparison.Ordinal);

        await BrowserChecks.TabUntilAsync(page, $"document.activeElement && document.activeElement.closest('li.card') && document.activeElement.closest('li.card').dataset.id === '{one}'");
        await page.Keyboard.PressAsync("Enter");
        var viewer = page.Locator("#viewer");
        await Expect(viewer).ToBeVisibleAsync();
        await Expect(page.Locator("#viewer-title")).ToHaveTextAsync(order[0]);
        await Expect(page.Locator("#viewer-position")).ToHaveTextAsync(new Regex("^1 of \\d+$"));
        await Expect(page.Locator("#viewer-prev")).ToBeDisabledAsync();
        var image = page.Locator("#viewer-image");
        Assert.Equal(ImageThumbnail.PreviewEdge, await image.EvaluateAsync<int>("img => img.decode().then(() => img.naturalWidth)"));
        await Expect(image).ToHaveAttributeAsync("src", $"/previews/{one}");
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.closest('#viewer') !== null"));

        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#viewer-title")).ToHaveTextAsync(order[1]);
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(page.Locator("#viewer-title")).ToHaveTextAsync(order[0]);
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#viewer-title")).ToHaveTextAsync(order[2]);
        await Expect(page.Locator("#viewer-position")).ToHaveTextAsync(new Regex("^3 of \\d+$"));

        // Tab goes round the viewer's own controls, never back to the page below.
        for (var i = 0; i < 12; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.closest('#viewer') !== null"), $"Tab {i + 1} left the viewer.");
        }

        // A JPEG shows in the browser: zoom puts the original itself in, at its own size.
        await page.Locator("#viewer-zoom").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(image).ToHaveAttributeAsync("src", $"/originals/{three}");
        Assert.Equal(2000, await image.EvaluateAsync<int>("img => img.decode().then(() => img.naturalWidth)"));
        await Expect(page.Locator("#viewer-zoom")).ToHaveAttributeAsync("aria-pressed", "true");
        await session.ScreenshotAsync("30-viewer-zoomed");
        await page.Keyboard.PressAsync("Enter");
        await Expect(image).ToHaveAttributeAsync("src", $"/previews/{three}");
        await session.ScreenshotAsync("31-viewer");
        await session.AssertAccessibleEverywhereAsync();

        await page.Keyboard.PressAsync("Escape");
        await Expect(viewer).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>($"() => document.activeElement.closest('li.card').dataset.id === '{one}'"), "Focus did not go back to the card that opened the viewer.");
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Buttons_and_swipes_walk_the_viewer_and_the_detail_page_opens_it_too()
    {
        SkipUnlessReady();
        var ids = await UploadThreeAsync("v2");
        await using var session = await BrowserSession.OpenAsync(fixture, hasTouch: true);
        var page = session.Page;
        await session.GoAsync("/");
        var order = await LeadingNamesAsync(page, "v2");
        var title = page.Locator("#viewer-title");
        await page.Locator($"#gallery > li[data-id='{IdOf(ids, order[1])}'] .card-link").ClickAsync();
        await Expect(title).ToHaveTextAsync(order[1]);
        await page.Locator("#viewer-next").ClickAsync();
        await Expect(title).ToHaveTextAsync(order[2]);
        await page.Locator("#viewer-prev").ClickAsync();
        await Expect(title).ToHaveTextAsync(order[1]);

        // A finger moving left shows the next image; moving right, the previous one; a short move, nothing.
        await SwipeAsync(page, -200);
        await Expect(title).ToHaveTextAsync(order[2]);
        await SwipeAsync(page, 200);
        await SwipeAsync(page, 200);
        await Expect(title).ToHaveTextAsync(order[0]);
        await Expect(page.Locator("#viewer-prev")).ToBeDisabledAsync();
        await SwipeAsync(page, -20);
        // Had the short move counted, Next would now land two on.
        await page.Locator("#viewer-next").ClickAsync();
        await Expect(title).ToHaveTextAsync(order[1]);
        await page.Locator("#viewer-details").ClickAsync();
        await Expect(page.Locator("#image-name")).ToHaveTextAsync(order[1]);

        // From the detail page: that image alone, and Close gives focus back to its button.
        await page.GetByRole(AriaRole.Button, new() { Name = "View larger" }).ClickAsync();
        await Expect(title).ToHaveTextAsync(order[1]);
        await Expect(page.Locator("#viewer-next")).ToBeHiddenAsync();
        await Expect(page.Locator("#viewer-image")).ToHaveAttributeAsync("src", $"/previews/{IdOf(ids, order[1])}");
        await session.AssertAccessibleEverywhereAsync();
        await page.Locator("#viewer-close").ClickAsync();
        await Expect(page.Locator("#viewer")).ToBeHiddenAsync();
        Assert.Equal("open-viewer", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        session.AssertNoConsoleErrors();
    }

    /// <summary>A touch pointer going down in the viewer's middle and up <paramref name="dx"/> px sideways.</summary>
    private static async Task SwipeAsync(IPage page, int dx)
    {
        var stage = page.Locator("#viewer-stage");
        await stage.DispatchEventAsync("pointerdown", new { pointerType = "touch", clientX = 300, clientY = 300, isPrimary = true, bubbles = true });
        await stage.DispatchEventAsync("pointerup", new { pointerType = "touch", clientX = 300 + dx, clientY = 310, isPrimary = true, bubbles = true });
    }
}
