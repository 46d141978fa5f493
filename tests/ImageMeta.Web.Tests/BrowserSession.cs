using System.Text.Json;
using Microsoft.Playwright;

namespace ImageMeta.Web.Tests;

/// <summary>
/// One person at one browser: a fresh context (cookies, viewport), the console errors the web app's pages log, a
/// screenshot per scenario step, and the axe-core accessibility check. Console messages of other origins (the OIDC
/// provider's own pages) are not the web app's and are not counted.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly BrowserPipelineFixture _fixture;
    private readonly IBrowserContext _context;
    private readonly List<string> _consoleErrors = [];
    private volatile bool _auditing;

    private BrowserSession(BrowserPipelineFixture fixture, IBrowserContext context, IPage page, Uri origin)
    {
        _fixture = fixture;
        _context = context;
        Page = page;
        Origin = origin;
        page.Console += (_, message) =>
        {
            // What axe-core itself triggers while it inspects the page (it is injected by the test, not served) is not the page's.
            if (message.Type == "error" && !_auditing && page.Url.StartsWith(origin.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal))
            {
                lock (_consoleErrors)
                {
                    _consoleErrors.Add($"{message.Text} (at {message.Location}, page {page.Url})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_consoleErrors)
            {
                _consoleErrors.Add($"uncaught: {error}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>The web app this session looks at.</summary>
    public Uri Origin { get; }

    /// <summary>A fresh context; <paramref name="hasTouch"/> makes it a touch screen (<c>pointer: coarse</c>), <paramref name="deviceScaleFactor"/> 2 a 2× screen.</summary>
    public static async Task<BrowserSession> OpenAsync(BrowserPipelineFixture fixture, Uri? origin = null, ViewportSize? viewport = null, bool hasTouch = false, float deviceScaleFactor = 1)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 900 },
            HasTouch = hasTouch,
            DeviceScaleFactor = deviceScaleFactor,
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        return new BrowserSession(fixture, context, page, origin ?? fixture.WebAddress);
    }

    public Task<IResponse?> GoAsync(string relative) => Page.GotoAsync(new Uri(Origin, relative).ToString());

    /// <summary>Saves <c>screenshots/{name}.png</c> (full page) for a reviewer.</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserPipelineFixture.ScreenshotFolder, name + ".png"), FullPage = true });

    /// <summary>
    /// Takes one of the pictures services/web/README.md shows, the viewport only so it reads at README width. They are
    /// kept in git, so a test run leaves a clone unchanged: it writes <c>screenshots/readme-{name}.png</c> (ignored), and
    /// replaces <c>screenshots/readme/{name}.png</c> only with <c>IMAGEMETA_UPDATE_README_SCREENSHOTS=1</c>.
    /// </summary>
    public Task ReadmeScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Environment.GetEnvironmentVariable("IMAGEMETA_UPDATE_README_SCREENSHOTS") == "1"
                ? Path.Combine(BrowserPipelineFixture.ScreenshotFolder, "readme", name + ".png")
                : Path.Combine(BrowserPipelineFixture.ScreenshotFolder, "readme-" + name + ".png"),
        });

    /// <summary>Injects axe-core and fails on any serious or critical violation of the current page.</summary>
    public async Task AssertAccessibleAsync()
    {
        // Evaluated through the DevTools protocol, which the page's CSP (no inline scripts) does not govern.
        _auditing = true;
        JsonElement violations;
        try
        {
            await Page.EvaluateAsync(_fixture.AxeScript);
            violations = await Page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const result = await axe.run(document, { resultTypes: ['violations'] });
              return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
            }
            """);
        }
        finally
        {
            // Console events arrive asynchronously; a round trip lets the audit's own messages land first.
            await Page.EvaluateAsync("() => 0");
            _auditing = false;
        }

        var found = violations.EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.True(found.Count == 0, $"axe-core on {Page.Url}:\n{string.Join('\n', found)}");
    }

    /// <summary>Fails when a page of the web app logged an error, except messages containing one of <paramref name="expected"/>.</summary>
    public void AssertNoConsoleErrors(params string[] expected)
    {
        List<string> errors;
        lock (_consoleErrors)
        {
            errors = _consoleErrors.Where(e => !expected.Any(x => e.Contains(x, StringComparison.Ordinal))).ToList();
        }

        Assert.True(errors.Count == 0, "Console errors:\n" + string.Join('\n', errors));
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
