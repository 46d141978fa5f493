using System.Net;
using System.Text.RegularExpressions;
using ImageMeta.Web.Service.SignIn;
using ImageMeta.Web.Tests.Surface;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// Sign-in over plain HTTP (no browser) against the real <c>oidc-provider</c>, with the web app in the test process on
/// its sidecar double and the sessions in a state store behind it: what a copied cookie opens after sign-out, how long
/// a session lasts, what a forged callback answers, and who reads <c>/metrics</c>.
/// </summary>
public sealed partial class SignInHttpTests : IAsyncLifetime
{
    private static readonly Uri WebBase = new("http://localhost/");
    private readonly SettableClock _clock = new();
    private OidcProvider? _provider;
    private WebOnStandIns _web = null!;

    public async Task InitializeAsync()
    {
        if (OidcProvider.SkipReason is not null)
        {
            return;
        }

        _provider = await OidcProvider.StartAsync(WebBase);
        _web = await WebOnStandIns.StartAsync([.. _provider.WebSettings(), new("Web:StateStore", WebOnStandIns.StateStore)]);
        _web.Host.WithServices(s => s.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _web.DisposeAsync();
            await _provider.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_copied_session_cookie_opens_nothing_after_sign_out()
    {
        Skip.If(_provider is null, OidcProvider.SkipReason);
        using var browser = Browser();
        using (var page = await browser.SignInAsync("/", "ada"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Test person ada", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var copied = browser.WebCookies[SignInRegistration.SessionCookie];
        using (var before = await OpenWithAsync(copied))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var signOut = await SignOutAsync(browser))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.False(browser.WebCookies.ContainsKey(SignInRegistration.SessionCookie));
        using var after = await OpenWithAsync(copied);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith(_provider!.Authority.ToString(), after.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_session_ends_at_its_lifetime_however_often_it_is_used()
    {
        Skip.If(_provider is null, OidcProvider.SkipReason);
        using var browser = Browser();
        (await browser.SignInAsync("/", "ada")).Dispose();

        // Used every 45 minutes (within the hour it may sit idle), it lasts until 8 hours after sign-in, and no longer.
        var elapsed = TimeSpan.Zero;
        while (elapsed + TimeSpan.FromMinutes(45) < TimeSpan.FromHours(8))
        {
            _clock.Advance(TimeSpan.FromMinutes(45));
            elapsed += TimeSpan.FromMinutes(45);
            using var page = await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, "/")));
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"signed out after {elapsed}");
        }

        _clock.Advance(TimeSpan.FromMinutes(45));
        using var late = await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, "/")));
        Assert.Equal(HttpStatusCode.Redirect, late.StatusCode);
        Assert.StartsWith(_provider!.Authority.ToString(), late.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("POST")]
    [InlineData("GET")]
    public async Task A_forged_callback_is_a_400_page_with_a_sentence(string method)
    {
        Skip.If(_provider is null, OidcProvider.SkipReason);
        using var browser = Browser();
        var forged = "state=CfDJ8forged&code=forged-code&iss=" + Uri.EscapeDataString(_provider!.Authority.ToString());
        using var request = method == "POST"
            ? new HttpRequestMessage(HttpMethod.Post, new Uri(WebBase, SignInRegistration.CallbackPath)) { Content = new StringContent(forged, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded") }
            : new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, SignInRegistration.CallbackPath + "?" + forged));

        using var answer = await browser.SendWebAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("The sign-in could not be completed", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Metrics_need_a_sign_in()
    {
        Skip.If(_provider is null, OidcProvider.SkipReason);
        using var browser = Browser();
        using (var anonymous = await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, "/metrics"))))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith(_provider!.Authority.ToString(), anonymous.Headers.Location!.ToString(), StringComparison.Ordinal);
        }

        (await browser.SignInAsync("/", "ada")).Dispose();
        using var signedIn = await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, "/metrics")));
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Contains("# TYPE", await signedIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private OidcBrowser Browser() =>
        new(_web.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = WebBase }), WebBase, _provider!.Authority);

    /// <summary>A request that carries only the given session cookie, as someone who copied it would send it.</summary>
    private async Task<HttpResponseMessage> OpenWithAsync(string sessionCookie)
    {
        using var client = _web.Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = WebBase });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"{SignInRegistration.SessionCookie}={sessionCookie}");
        return await client.SendAsync(request);
    }

    /// <summary>The page's sign-out form: a POST with its antiforgery token.</summary>
    private static async Task<HttpResponseMessage> SignOutAsync(OidcBrowser browser)
    {
        using var page = await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(WebBase, "/")));
        var html = await page.Content.ReadAsStringAsync();
        var token = SignOutTokenPattern().Match(html);
        Assert.True(token.Success, "the page has no sign-out form with a token");
        return await browser.SendWebAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(WebBase, "/SignOut"))
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value))]),
        });
    }

    [GeneratedRegex("action=\"/SignOut\".*?name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"", RegexOptions.Singleline)]
    private static partial Regex SignOutTokenPattern();
}
