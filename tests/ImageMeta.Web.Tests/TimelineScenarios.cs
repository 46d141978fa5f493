using System.Text.RegularExpressions;
using ImageMeta.Contracts;
using ImageMeta.Testing.Dapr.Pipeline;
using ImageMeta.Testing.Images;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// The gallery as a timeline in Chromium: cards by date taken (JPEGs whose DateTimeOriginal is known), newest first,
/// under month headers and with their date; a keyboard-only jump to a month that puts focus on its first card; Back
/// from a detail page and reload return to that card; after paging through many pages (records seeded through the
/// store's API) the document holds a bounded number of cards and nodes, and new cards do not take focus. axe-core in
/// light and dark mode and at 375 px.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TimelineScenarios(BrowserPipelineFixture fixture)
{
    private static readonly TimeSpan Processing = TimeSpan.FromSeconds(90);

    private void SkipUnlessReady() => Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

    /// <summary>Four photos of one camera, taken in three months of 1992–1994, uploaded oldest last.</summary>
    private static readonly (string Name, string Taken, SKColor Color)[] Photos =
    [
        ("t1-1994-03-10.jpg", "1994:03:10 10:00:00", SKColors.SteelBlue),
        ("t1-1994-03-02.jpg", "1994:03:02 09:30:00", SKColors.Goldenrod),
        ("t1-1993-11-20.jpg", "1993:11:20 16:45:00", SKColors.IndianRed),
        ("t1-1992-06-05.jpg", "1992:06:05 12:00:00", SKColors.SeaGreen),
    ];

    private async Task UploadPhotosAsync()
    {
        var ids = new List<ImageId>();
        foreach (var (name, taken, color) in Photos.Reverse())
        {
            var content = ImageWriters.WithExif(TestImages.Encode(480, 320, color, SKEncodedImageFormat.Jpeg, 85),
                new ImageWriters.ExifTags(Make: "Timeline", Model: "T1", DateTimeOriginal: taken));
            ids.Add((await fixture.Client.UploadAsync(name, content)).Id);
        }

        Assert.Equal(ids.Count, (await fixture.Client.WaitForRecordsAsync(ids, Processing)).Count);
    }

    [SkippableFact]
    public async Task Cards_go_by_date_taken_under_month_headers_and_a_keyboard_jump_and_back_keep_the_place()
    {
        SkipUnlessReady();
        await UploadPhotosAsync();
        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;

        // Newest taken first, whatever the upload order; a header per month; the date on each card.
        await session.GoAsync("/?camera=Timeline");
        var names = await page.Locator("#gallery > li.card").EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.name)");
        Assert.Equal(Photos.Select(p => p.Name), names);
        var headers = await page.Locator("#gallery > li.month-header").AllInnerTextsAsync();
        Assert.Equal(["March 1994", "November 1993", "June 1992"], headers.Select(h => h.Split(" · ")[0]));
        await Expect(page.Locator("#gallery > li.card").First.Locator("time")).ToHaveTextAsync("10 Mar 1994");
        await Expect(page.Locator("#gallery > li.card").First.Locator("img")).ToHaveAttributeAsync("loading", "lazy");
        // For the README: the jump control and the first month at the top, every thumbnail in.
        await page.EvaluateAsync("() => document.getElementById('jump').scrollIntoView()");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#gallery img')].every(i => i.complete && i.naturalWidth > 0)");
        await session.ReadmeScreenshotAsync("gallery");
        await session.AssertAccessibleEverywhereAsync();

        // The viewer over the timeline, for the README.
        await page.Locator("#gallery > li.card .card-link").First.ClickAsync();
        await Expect(page.Locator("#viewer")).ToBeVisibleAsync();
        await Expect(page.Locator("#viewer-image")).ToHaveJSPropertyAsync("complete", true);
        await session.ReadmeScreenshotAsync("viewer");
        await page.Keyboard.PressAsync("Escape");

        // Keyboard only, on the whole gallery: Tab to the month list, choose June 1992, Tab to Go, Enter.
        await session.GoAsync("/");
        await BrowserChecks.TabUntilAsync(page, "() => document.activeElement.id === 'jump-month'");
        await ChooseByKeysAsync(page, "1992-06");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("jump-go", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new Regex(@"[?&]month=1992-06"));
        await page.WaitForFunctionAsync("() => document.activeElement.closest('li.card') !== null");
        Assert.Equal("t1-1992-06-05.jpg", await FocusedCardAsync(page));
        Assert.StartsWith("June 1992", await page.Locator("#gallery > li.month-header").First.InnerTextAsync());
        await session.AssertAccessibleEverywhereAsync();

        // Open it (Enter opens the viewer; its Details link opens the page), then Back: the same card, focused.
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#viewer-details").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/images/"));
        await page.GoBackAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"[?&]month=1992-06"));
        await page.WaitForFunctionAsync("() => document.activeElement.closest('li.card') !== null");
        Assert.Equal("t1-1992-06-05.jpg", await FocusedCardAsync(page));

        // Reload keeps it too.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.activeElement.closest('li.card') !== null");
        Assert.Equal("t1-1992-06-05.jpg", await FocusedCardAsync(page));
        session.AssertNoConsoleErrors();
    }

    [SkippableFact]
    public async Task Paging_through_many_pages_keeps_the_document_bounded_and_focus_in_place()
    {
        SkipUnlessReady();
        // 300 records, one a day from 1 January 1971, straight into the store.
        var start = new DateTime(1971, 1, 1, 12, 0, 0, DateTimeKind.Unspecified);
        var records = Enumerable.Range(0, 300).Select(i => StoreSeeding.Record($"dom-{i:D3}.jpg", start.AddDays(i))).ToList();
        await StoreSeeding.PutAsync(fixture.Client.StoreAddress, records);

        await using var session = await BrowserSession.OpenAsync(fixture);
        var page = session.Page;
        await session.GoAsync("/?takenFrom=1971-01-01&takenTo=1971-12-31");
        var cards = page.Locator("#gallery > li.card");
        await Expect(cards).ToHaveCountAsync(6);
        var more = page.Locator("#load-more");
        await more.FocusAsync();

        // 30 pages (180 images): the link is pressed with the keyboard each time, as a person without a mouse would.
        for (var i = 1; i <= 30; i++)
        {
            await page.Keyboard.PressAsync("Enter");
            // The newest of the page just asked for is the (i*6+1)th record from the end.
            await Expect(page.Locator($"#gallery > li.card[data-name='dom-{299 - (i * 6):D3}.jpg']")).ToHaveCountAsync(1);
            Assert.Equal("load-more", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        }

        var shown = await cards.CountAsync();
        var nodes = await page.EvaluateAsync<int>("() => document.getElementsByTagName('*').length");
        Assert.InRange(shown, 6, 8 * 6);
        Assert.InRange(nodes, 1, 5000);
        // What stayed is the last pages: the oldest card shown is the 186th newest, and the newest pages were unloaded.
        Assert.Equal("dom-114.jpg", await cards.Last.GetAttributeAsync("data-name"));
        await Expect(page.Locator("#gallery > li.card[data-name='dom-299.jpg']")).ToHaveCountAsync(0);

        // "Show newer images" brings back the page just above, exactly.
        var firstBefore = await cards.First.GetAttributeAsync("data-name");
        await page.Locator("#load-newer").ClickAsync();
        var newest = int.Parse(firstBefore!.AsSpan(4, 3), System.Globalization.CultureInfo.InvariantCulture) + 6;
        await Expect(cards.First).ToHaveAttributeAsync("data-name", $"dom-{newest:D3}.jpg");
        Assert.InRange(await cards.CountAsync(), 6, 8 * 6);
        session.AssertNoConsoleErrors();
    }

    /// <summary>Moves a focused closed &lt;select&gt; with the arrow keys until it shows <paramref name="value"/>.</summary>
    private static async Task ChooseByKeysAsync(IPage page, string value)
    {
        foreach (var key in new[] { "ArrowDown", "ArrowUp" })
        {
            for (var i = 0; i < 400; i++)
            {
                var current = await page.EvaluateAsync<string>("() => document.activeElement.value");
                if (current == value)
                {
                    return;
                }

                await page.Keyboard.PressAsync(key);
                if (await page.EvaluateAsync<string>("() => document.activeElement.value") == current)
                {
                    break;
                }
            }
        }

        Assert.Fail($"The arrow keys never reached {value} in the month list.");
    }

    private static Task<string> FocusedCardAsync(IPage page) =>
        page.EvaluateAsync<string>("() => document.activeElement.closest('li.card').dataset.name");
}
