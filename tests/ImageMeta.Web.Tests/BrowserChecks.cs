using Microsoft.Playwright;

namespace ImageMeta.Web.Tests;

/// <summary>Checks the new page scenarios share: axe-core in light and dark mode and at phone width, and keyboard travel.</summary>
public static class BrowserChecks
{
    /// <summary>The phone viewport of the scenarios (an iPhone SE's CSS width).</summary>
    public static readonly ViewportSize Phone = new() { Width = 375, Height = 740 };

    /// <summary>
    /// axe-core on the current page as it is, then with <c>prefers-color-scheme: dark</c>, then at 375 px (dark
    /// and light); the page is left as it was found (light, the session's viewport).
    /// </summary>
    public static async Task AssertAccessibleEverywhereAsync(this BrowserSession session)
    {
        var page = session.Page;
        var viewport = page.ViewportSize;
        await session.AssertAccessibleAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await session.AssertAccessibleAsync();
        await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await session.AssertAccessibleAsync();
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await session.AssertAccessibleAsync();
        if (viewport is not null)
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        }
    }

    /// <summary>Presses Tab until <paramref name="condition"/> (a script expression) holds; fails after 40 presses.</summary>
    public static async Task TabUntilAsync(IPage page, string condition)
    {
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>(condition))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached: {condition}");
    }
}
