using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Web.Service.Acting;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// Acting on photos in Chromium, against the real services: process again and delete (after its confirmation step)
/// from the detail page, a second delete that is harmless, selecting cards in the gallery by click, shift-click and
/// keyboard and deleting them, and a blob name uploaded again showing as one card, the new one. Each ends with
/// axe-core in light and dark mode and at 375 px.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ActScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    private static byte[] Png(int width, SKColor color) => TestImages.Encode(width, 60, color, SKEncodedImageFormat.Png, 100);

    /// <summary>Polls <paramref name="condition"/> until it holds; false after <paramref name="bound"/> (a bound against hangs, not a timed assertion).</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(250);
        }

        return true;
    }

    /// <summary>The store answers 404 or 410 (its tombstone) for the record, or the thumbnail (<paramref name="part"/> "/thumbnail").</summary>
    private async Task<bool> GoneAsync(ImageId id, string part = "")
    {
        using var answer = await fixture.Client.GetFromStoreAsync($"images/{id}{part}");
        return answer.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone;
    }

    [SkippableFact]
    public async Task Process_again_then_delete_from_the_detail_page_and_a_second_delete_is_harmless()
    {
        SkipUnlessReady();
        var upload = await fixture.Client.UploadAsync("a1-to-delete.png", Png(90, SKColors.IndianRed));
        var first = (await fixture.Client.WaitForRecordsAsync([upload.Id], Processing))[upload.Id];
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync($"/images/{upload.Id}");

        // Process again: the sentence, then a newer record for the same image.
        await page.GetByRole(AriaRole.Button, new() { Name = "Process again" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync(ActSentences.Reprocessing);
        Assert.EndsWith($"/images/{upload.Id}", page.Url, StringComparison.Ordinal);
        Assert.True(
            await EventuallyAsync(async () => (await fixture.Client.GetRecordAsync(upload.Id))?.ProcessedAt > first.ProcessedAt, Processing),
            "Process again wrote no newer record.");

        // A second tab on the same page, to delete again once the first delete is done.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(page.Url);

        // Delete needs its confirmation step; the question names the image.
        await Expect(page.Locator("#confirm-delete")).ToBeHiddenAsync();
        await page.Locator("#delete").ClickAsync();
        await Expect(page.Locator("#delete-question")).ToContainTextAsync("Delete a1-to-delete.png for good?");
        await session.ScreenshotAsync("50-detail-delete-confirmation");
        await session.AssertAccessibleEverywhereAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete it" }).ClickAsync();

        // Back in the gallery with the sentence; the record, the thumbnail and the card go.
        await Expect(page.Locator("#notice")).ToHaveTextAsync(ActSentences.Deleted);
        Assert.Equal(session.Origin.ToString(), page.Url);
        Assert.True(await EventuallyAsync(() => GoneAsync(upload.Id), Processing), "The record is still there.");
        Assert.True(await EventuallyAsync(() => GoneAsync(upload.Id, "/thumbnail"), Processing), "The thumbnail is still there.");
        await Expect(page.Locator($"#gallery li[data-id='{upload.Id}']")).ToHaveCountAsync(0);
        await session.ScreenshotAsync("51-deleted-back-in-the-gallery");

        // The stale tab deletes again: a sentence, no error page, and the image stays gone.
        await other.Locator("#delete").ClickAsync();
        await other.GetByRole(AriaRole.Button, new() { Name = "Yes, delete it" }).ClickAsync();
        await Expect(other.Locator("#notice")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(Deleted\\.|This image is already deleted)"));
        Assert.True(await GoneAsync(upload.Id));
        await session.GoAsync($"/images/{upload.Id}");
        await Expect(page.Locator("#deleted")).ToHaveTextAsync("This image was deleted. Back to the gallery");
        await session.AssertAccessibleEverywhereAsync();
        // The deleted image's page answers 410 on purpose; Chromium logs every 4xx document.
        session.AssertNoConsoleErrors("status of 410");
    }

    [SkippableFact]
    public async Task Three_cards_selected_by_click_shift_click_and_keyboard_are_deleted_together()
    {
        SkipUnlessReady();
        var uploads = new List<UploadResult>();
        foreach (var (i, color) in new[] { SKColors.SteelBlue, SKColors.Goldenrod, SKColors.SeaGreen, SKColors.Orchid }.Index())
        {
            uploads.Add(await fixture.Client.UploadAsync($"a2-select-{i}.png", Png(70 + i, color)));
        }

        var ids = uploads.Select(u => u.Id).ToList();
        Assert.Equal(4, (await fixture.Client.WaitForRecordsAsync(ids, Processing)).Count);
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/");
        ILocator Box(ImageId id) => page.Locator($"#gallery li[data-id='{id}'] .card-select input");
        foreach (var id in ids)
        {
            await Expect(Box(id)).ToBeVisibleAsync();
        }

        // The four in gallery order, whatever that order is.
        var order = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#gallery li[data-id]')).map(li => li.dataset.id)");
        var mine = order.Where(o => ids.Any(i => i.Value == o)).Select(ImageId.Parse).ToList();
        Assert.Equal(4, mine.Count);
        var bar = page.Locator("#selection");
        await Expect(bar).ToBeHiddenAsync();

        // Click the first, shift-click the third: three selected, the bar says so.
        await Box(mine[0]).ClickAsync();
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("1 selected");
        await Box(mine[2]).ClickAsync(new() { Modifiers = [KeyboardModifier.Shift] });
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("3 selected");
        await Expect(Box(mine[1])).ToBeCheckedAsync();
        await Expect(Box(mine[3])).Not.ToBeCheckedAsync();

        // Keyboard: Space on the fourth selects it, Enter unselects it.
        await Box(mine[3]).FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("4 selected");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("3 selected");
        await Expect(Box(mine[3])).Not.ToBeCheckedAsync();

        // Clear, then the same three by keyboard alone: Space on the first, Shift+Space on the third.
        await page.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
        await Expect(bar).ToBeHiddenAsync();
        await Box(mine[0]).FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Box(mine[2]).FocusAsync();
        await page.Keyboard.PressAsync("Shift+Space");
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("3 selected");
        await Expect(Box(mine[0])).ToHaveAccessibleNameAsync($"Select {(await fixture.Client.GetRecordAsync(mine[0]))!.Blob.Name}");
        await session.ScreenshotAsync("52-gallery-three-selected");
        await session.AssertAccessibleEverywhereAsync();

        // Delete asks first, naming the three; yes deletes them and only them.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete…" }).ClickAsync();
        await Expect(page.Locator("#confirm-heading")).ToHaveTextAsync("Delete these 3 images?");
        await Expect(page.Locator("#confirm-list li")).ToHaveCountAsync(3);
        await session.ScreenshotAsync("53-selection-delete-confirmation");
        await session.AssertAccessibleEverywhereAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete 3 images" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync("Deleted 3 images. They may take a moment to leave the gallery.");
        foreach (var id in mine.Take(3))
        {
            await Expect(page.Locator($"#gallery li[data-id='{id}']")).ToHaveCountAsync(0);
            Assert.True(await EventuallyAsync(() => GoneAsync(id), Processing), $"{id} is still stored.");
        }

        await Expect(page.Locator($"#gallery li[data-id='{mine[3]}']")).ToHaveCountAsync(1);
        Assert.NotNull(await fixture.Client.GetRecordAsync(mine[3]));
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task On_a_touch_screen_the_select_controls_and_the_bar_are_44_px()
    {
        SkipUnlessReady();
        var upload = await fixture.Client.UploadAsync("a3-touch.png", Png(80, SKColors.Peru));
        await fixture.Client.WaitForRecordsAsync([upload.Id], Processing);
        await using var session = await BrowserSession.OpenAsync(fixture, viewport: BrowserChecks.Phone, hasTouch: true);
        var page = session.Page;
        await session.GoAsync("/");
        var box = page.Locator($"#gallery li[data-id='{upload.Id}'] .card-select");
        await box.TapAsync();
        await Expect(page.Locator("#selection-count")).ToHaveTextAsync("1 selected");

        var small = await page.EvaluateAsync<string[]>(
            """
            () => Array.from(document.querySelectorAll('#gallery .card-select, #selection button'))
              .filter(e => e.offsetParent !== null)
              .map(e => [e, e.getBoundingClientRect()])
              .filter(([e, r]) => r.height < 44 || r.width < 44)
              .map(([e, r]) => `${e.tagName} ${e.id || e.className}: ${Math.round(r.width)} × ${Math.round(r.height)}`)
            """);
        Assert.True(small.Length == 0, "Tap targets under 44 px:\n" + string.Join('\n', small));
        await session.ScreenshotAsync("54-phone-selection");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task A_name_uploaded_again_with_new_content_shows_as_one_card_the_new_one()
    {
        SkipUnlessReady();
        var old = await fixture.Client.UploadAsync("a4-overwritten.png", Png(64, SKColors.Black));
        await fixture.Client.WaitForRecordsAsync([old.Id], Processing);
        var replacement = await fixture.Client.UploadAsync("a4-overwritten.png", Png(96, SKColors.White));
        Assert.NotEqual(old.Id, replacement.Id);
        Assert.Equal(96, (await fixture.Client.WaitForRecordsAsync([replacement.Id], Processing))[replacement.Id].Metadata?.Width);

        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/");
        var cards = page.Locator("#gallery li", new() { Has = page.Locator(".card-name", new() { HasTextString = "a4-overwritten.png" }) });
        await Expect(cards).ToHaveCountAsync(1);
        await Expect(cards).ToHaveAttributeAsync("data-id", replacement.Id.Value);
        await Expect(cards.Locator(".badge")).ToContainTextAsync("96 × 60");
        session.AssertNoConsoleErrors();
    }
}
