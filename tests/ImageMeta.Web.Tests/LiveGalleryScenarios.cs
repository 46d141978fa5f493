using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The live gallery and the upload list in Chromium: new records appear without a reload, a long batch folds into
/// one summary line, a file in flight warns before leaving and can be canceled and sent again, the same file again
/// says it is already in the library, the picker offers the extractor's formats; at 375 px on a touch screen the
/// first photos are in the first screen and every control is at least 44 px. Each ends with axe-core in light and
/// dark mode and at 375 px.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveGalleryScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private static LocatorAssertionsToHaveCountOptions Within(TimeSpan timeout) => new() { Timeout = (float)timeout.TotalMilliseconds };

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    private static FilePayload Png(string name, int width, int height, SKColor color) =>
        new() { Name = name, MimeType = "image/png", Buffer = TestImages.Encode(width, height, color, SKEncodedImageFormat.Png, 100) };

    [SkippableFact]
    public async Task New_records_reach_the_gallery_and_stats_without_a_reload_and_a_long_batch_folds_into_its_summary()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("data-changes-token", new Regex("."));
        // Set once: a reload would lose it.
        await page.EvaluateAsync("() => { window.sameDocument = 'yes'; }");

        var files = Enumerable.Range(0, 5).Select(i => Png($"l1-live-{i}.png", 60 + i, 40, SKColors.MediumSeaGreen)).ToList();
        files.Add(new FilePayload { Name = "l1-notes.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("Not an image.\n") });
        await page.Locator("#file-input").SetInputFilesAsync(files);

        // Six files: the list folds under its one summary line and counts them all.
        await Expect(page.Locator("#upload-summary")).ToHaveTextAsync("5 of 6 stored, 1 failed", new() { Timeout = (float)Processing.TotalMilliseconds });
        await Expect(page.Locator("#upload-list")).ToBeHiddenAsync();
        await Expect(page.Locator("#upload-overall")).ToHaveJSPropertyAsync("value", 100);

        // An image that arrives by another way (the API) shows too.
        var other = await fixture.Client.UploadAsync("l1-by-api.png", TestImages.Encode(70, 50, SKColors.Tomato, SKEncodedImageFormat.Png, 100));
        await fixture.Client.WaitForRecordsAsync([other.Id], Processing);
        foreach (var name in files.Select(f => f.Name).Append("l1-by-api.png"))
        {
            await Expect(page.Locator("#gallery .card-name", new() { HasText = name })).ToHaveCountAsync(1, Within(Processing));
        }

        Assert.Equal("l1-by-api.png", await page.Locator("#gallery .card-name").First.InnerTextAsync());
        await Expect(page.Locator("#gallery-news")).ToContainTextAsync("new image");
        using var statsAnswer = await fixture.Client.GetFromStoreAsync("images/stats");
        var total = JsonDocument.Parse(await statsAnswer.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt64();
        await Expect(page.Locator("#stats strong").First).ToHaveTextAsync(total.ToString(CultureInfo.InvariantCulture));
        Assert.Equal("yes", await page.EvaluateAsync<string>("() => window.sameDocument"));

        // The summary opens on demand; the failed file's bar is red, the stored ones' green.
        await page.Locator("#uploads > summary").ClickAsync();
        await Expect(page.Locator("#upload-list")).ToBeVisibleAsync();
        var failed = page.Locator("#upload-list > li[data-stage=failed]");
        await Expect(failed).ToContainTextAsync("l1-notes.txt");
        Assert.Equal("rgb(164, 0, 15)", await failed.Locator("progress").EvaluateAsync<string>("p => getComputedStyle(p).accentColor"));
        Assert.Equal("rgb(29, 107, 42)", await page.Locator("#upload-list > li[data-stage=stored] progress").First.EvaluateAsync<string>("p => getComputedStyle(p).accentColor"));
        await session.ScreenshotAsync("20-live-gallery-and-upload-summary");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task A_file_in_flight_warns_before_leaving_and_can_be_canceled_then_sent_again()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        var dialogs = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Type);
            await dialog.DismissAsync();
        };
        await session.GoAsync("/");

        // The upload request is held until the scenario lets it go: its bytes are in flight meanwhile.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/uploads", async route =>
        {
            held.TrySetResult();
            await release.Task;
            try
            {
                await route.ContinueAsync();
            }
            catch (PlaywrightException)
            {
                // The page canceled the request meanwhile.
            }
        });

        // A click first: Chromium asks before leaving only a page the person has used.
        await page.Locator("h1").ClickAsync();
        await page.Locator("#file-input").SetInputFilesAsync(Png("l2-held.png", 80, 60, SKColors.SteelBlue));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var entry = page.Locator("#upload-list > li", new() { HasText = "l2-held.png" });
        await Expect(entry).ToHaveAttributeAsync("data-stage", "uploading");
        await Expect(page.Locator("#upload-summary")).ToHaveTextAsync("0 of 1 stored, 1 in progress");

        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Dialog += (_, dialog) => asked.TrySetResult();
        await page.CloseAsync(new() { RunBeforeUnload = true });
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["beforeunload"], dialogs);
        Assert.False(page.IsClosed);

        await entry.GetByRole(AriaRole.Button, new() { Name = "Cancel the upload of l2-held.png" }).ClickAsync();
        await Expect(entry).ToHaveAttributeAsync("data-stage", "canceled");
        await Expect(entry.Locator(".stage")).ToHaveTextAsync("Canceled: l2-held.png was not stored.");
        await Expect(page.Locator("#upload-summary")).ToHaveTextAsync("0 of 1 stored, 1 canceled");
        release.TrySetResult();
        await page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });
        await session.ScreenshotAsync("21-upload-canceled");
        await session.AssertAccessibleEverywhereAsync();

        await entry.GetByRole(AriaRole.Button, new() { Name = "Retry l2-held.png" }).ClickAsync();
        await Expect(entry).ToHaveAttributeAsync("data-stage", "stored", new() { Timeout = (float)Processing.TotalMilliseconds });
        await Expect(entry.GetByRole(AriaRole.Link, new() { Name = "Details of l2-held.png" })).ToBeVisibleAsync();
        await Expect(page.Locator("#upload-summary")).ToHaveTextAsync("1 of 1 stored");
        session.AssertNoConsoleErrors();

        // Nothing in flight: leaving asks nothing, and the page closes.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Close += (_, _) => closed.TrySetResult();
        await page.CloseAsync(new() { RunBeforeUnload = true });
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["beforeunload"], dialogs);
    }

    [SkippableFact]
    public async Task The_same_file_again_is_already_in_the_library_and_the_picker_offers_the_extractors_formats()
    {
        SkipUnlessReady();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/");

        var accept = (await page.Locator("#file-input").GetAttributeAsync("accept"))!.Split(',');
        foreach (var format in ImageFormats.All)
        {
            Assert.Contains(format.MediaType, accept);
            Assert.Contains("." + format.Name, accept);
        }

        Assert.Contains(".jpg", accept);
        Assert.Contains(".heic", accept);
        Assert.DoesNotContain("text/plain", accept);

        var photo = Png("l3-twice.png", 90, 70, SKColors.Orchid);
        await page.Locator("#file-input").SetInputFilesAsync(photo);
        var first = page.Locator("#upload-list > li").Nth(0);
        await Expect(first).ToHaveAttributeAsync("data-stage", "stored", new() { Timeout = (float)Processing.TotalMilliseconds });
        var id = await first.GetAttributeAsync("data-id");

        await page.Locator("#file-input").SetInputFilesAsync(photo);
        var again = page.Locator("#upload-list > li").Nth(1);
        await Expect(again).ToHaveAttributeAsync("data-stage", "stored", new() { Timeout = (float)Processing.TotalMilliseconds });
        await Expect(again).ToHaveAttributeAsync("data-known", "true");
        await Expect(again.Locator(".stage")).ToContainTextAsync("Already in the library");
        Assert.Equal(id, await again.GetAttributeAsync("data-id"));
        await Expect(again.GetByRole(AriaRole.Link, new() { Name = "Details of l3-twice.png" })).ToHaveAttributeAsync("href", new Regex($"^/images/{id}"));
        await Expect(first.Locator(".stage")).Not.ToContainTextAsync("Already");
        await session.ScreenshotAsync("22-already-in-the-library");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task On_a_375_px_touch_screen_photos_are_in_the_first_screen_and_controls_are_44_px()
    {
        SkipUnlessReady();
        var upload = await fixture.Client.UploadAsync("l4-phone.png", TestImages.Encode(300, 200, SKColors.DarkKhaki, SKEncodedImageFormat.Png, 100));
        await fixture.Client.WaitForRecordsAsync([upload.Id], Processing);
        await using var session = await BrowserSession.OpenAsync(fixture, viewport: BrowserChecks.Phone, hasTouch: true);
        var page = session.Page;
        await session.GoAsync("/");

        var firstPhoto = page.Locator("#gallery .card img").First;
        await Expect(firstPhoto).ToBeVisibleAsync();
        var top = await firstPhoto.EvaluateAsync<double>("img => img.getBoundingClientRect().top");
        Assert.True(top < BrowserChecks.Phone.Height, $"The first photo starts {top} px down, below the first screen ({BrowserChecks.Phone.Height} px).");
        await Expect(page.Locator("#filter-box")).Not.ToHaveAttributeAsync("open", string.Empty);

        var small = await page.EvaluateAsync<string[]>(
            """
            () => Array.from(document.querySelectorAll('a, button, select, input, summary'))
              .filter(e => e.offsetParent !== null && !e.closest('.card') && !e.classList.contains('skip-link'))
              .map(e => [e, e.getBoundingClientRect()])
              .filter(([e, r]) => r.height < 44 || r.width < 44)
              .map(([e, r]) => `${e.tagName} ${e.id || e.textContent.trim()}: ${Math.round(r.width)} × ${Math.round(r.height)}`)
            """);
        Assert.True(small.Length == 0, "Tap targets under 44 px:\n" + string.Join('\n', small));

        // The focus ring sits on the card, whole, not clipped to a line by the card's rounded corners.
        await page.Locator("#gallery .card-link").First.FocusAsync();
        Assert.Equal("solid 3px", await page.Locator("#gallery .card").First.EvaluateAsync<string>("c => getComputedStyle(c).outlineStyle + ' ' + getComputedStyle(c).outlineWidth"));
        Assert.Equal("visible", await page.Locator("#gallery .card").First.EvaluateAsync<string>("c => getComputedStyle(c).overflow"));
        await session.ScreenshotAsync("23-phone-first-screen");
        await session.AssertAccessibleEverywhereAsync();
        session.AssertNoConsoleErrors();
    }
}
