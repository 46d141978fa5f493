using System.Globalization;
using System.Text.RegularExpressions;
using ImageMeta.Testing.Dapr;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace ImageMeta.Web.Tests;

/// <summary>
/// Sign-in against a real OpenID Connect provider (the npm <c>oidc-provider</c>, run by node from tools/browser-tests):
/// a second web app with <c>Auth:*</c> set shares the pipeline. Anonymous → challenged; signed in → the page and an
/// upload work; the API answers 401 instead of a redirect; sign-out → challenged again.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class SignInScenarios(BrowserPipelineFixture fixture)
{
    [SkippableFact]
    public async Task Anonymous_is_challenged_signed_in_works_signed_out_is_challenged_again()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var webPort = LoopbackPorts.Free();
        var providerPort = LoopbackPorts.Free();
        var webBase = new Uri($"http://localhost:{webPort.ToString(CultureInfo.InvariantCulture)}/");
        var authority = new Uri($"http://localhost:{providerPort.ToString(CultureInfo.InvariantCulture)}/");
        var provider = await NodeProcess.StartAsync(BrowserPipelineFixture.ToolsFolder, "oidc-provider.mjs", "oidc-provider listening", new Dictionary<string, string>
        {
            ["OIDC_PORT"] = providerPort.ToString(CultureInfo.InvariantCulture),
            ["OIDC_CLIENT_ID"] = "imagemeta-web",
            ["OIDC_CLIENT_SECRET"] = "browser-test-secret",
            ["OIDC_WEB_BASE"] = webBase.ToString(),
        });
        fixture.Own(provider);
        await fixture.StartSignedInWebAsync(webPort, authority, "imagemeta-web", "browser-test-secret");

        await using var session = await BrowserSession.OpenAsync(fixture, webBase);

        // Anonymous: the page sends the browser to the provider's sign-in.
        await session.GoAsync("/");
        await Expect(session.Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(authority.ToString())));
        await Expect(session.Page.Locator("input[name=login]")).ToBeVisibleAsync();
        await session.ScreenshotAsync("20-signin-challenged");

        // Sign in (the development provider accepts any login) and consent.
        await session.Page.Locator("input[name=login]").FillAsync("ada");
        await session.Page.Locator("input[name=password]").FillAsync("any password");
        await session.Page.Locator("button[type=submit]").ClickAsync();

        // The provider asks for consent the first time; after it, the browser is back on the web app.
        var consent = session.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" });
        var signedIn = session.Page.Locator("#signed-in-as");
        await Expect(consent.Or(signedIn)).ToBeVisibleAsync(new() { Timeout = 30_000 });
        if (await consent.IsVisibleAsync())
        {
            await consent.ClickAsync();
        }

        await Expect(session.Page.Locator("#signed-in-as")).ToContainTextAsync("Test person ada");
        Assert.Equal(0, await session.Page.Locator("#open-notice").CountAsync());
        await Expect(session.Page.Locator("#gallery-heading")).ToBeVisibleAsync();

        // Signed in, an upload works (antiforgery and the session cookie together).
        await session.Page.Locator("#file-input").SetInputFilesAsync(new FilePayload
        {
            Name = "a10-signed-in.png",
            MimeType = "image/png",
            Buffer = ImageMeta.Testing.Dapr.Pipeline.TestImages.Encode(80, 60, SKColors.DarkGreen, SKEncodedImageFormat.Png, 100),
        });
        await Expect(session.Page.Locator("#upload-list > li[data-stage=stored]")).ToHaveCountAsync(1, new() { Timeout = 90_000 });
        await session.ScreenshotAsync("21-signed-in");
        await session.AssertAccessibleAsync();

        // The API never redirects a script to the provider: anonymous calls get 401.
        using (var anonymous = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }))
        {
            using var answer = await anonymous.GetAsync(new Uri(webBase, "api/uploads/0123456789abcdef0123456789abcdef"));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, answer.StatusCode);
            // An original is a link people open: like a page, it sends an anonymous caller to sign in.
            using var original = await anonymous.GetAsync(new Uri(webBase, "originals/0123456789abcdef0123456789abcdef"));
            Assert.Equal(System.Net.HttpStatusCode.Redirect, original.StatusCode);
            Assert.StartsWith(authority.ToString(), original.Headers.Location!.ToString(), StringComparison.Ordinal);
            using var page = await anonymous.GetAsync(webBase);
            Assert.Equal(System.Net.HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith(authority.ToString(), page.Headers.Location!.ToString(), StringComparison.Ordinal);
            // The jobs page and every act on images sit behind sign-in too: challenged before anything reaches ingest.
            using var jobs = await anonymous.GetAsync(new Uri(webBase, "jobs"));
            Assert.StartsWith(authority.ToString(), jobs.Headers.Location!.ToString(), StringComparison.Ordinal);
            foreach (var act in new[] { "images/0123456789abcdef0123456789abcdef?handler=Delete", "images/0123456789abcdef0123456789abcdef?handler=Reprocess", "selection", "jobs?handler=Start" })
            {
                using var form = new FormUrlEncodedContent([new("ids", "0123456789abcdef0123456789abcdef"), new("act", "delete"), new("confirmed", "true"), new("kind", "failed")]);
                using var posted = await anonymous.PostAsync(new Uri(webBase, act), form);
                Assert.Equal(System.Net.HttpStatusCode.Redirect, posted.StatusCode);
                Assert.StartsWith(authority.ToString(), posted.Headers.Location!.ToString(), StringComparison.Ordinal);
            }

        }

        // Sign out: the provider asks to confirm, then the web app says so; the next visit is challenged again.
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await session.Page.Locator("button[name=logout]").ClickAsync();
        await Expect(session.Page.Locator("#signed-out")).ToBeVisibleAsync();
        await session.ScreenshotAsync("22-signed-out");
        await session.GoAsync("/");
        await Expect(session.Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(authority.ToString())));
        session.AssertNoConsoleErrors();
    }
}
