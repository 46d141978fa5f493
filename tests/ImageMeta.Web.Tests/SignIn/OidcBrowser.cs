using System.Net;
using System.Text.RegularExpressions;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// What a browser does during an OpenID Connect sign-in, over plain HTTP: follows redirects between the web app and the
/// provider, fills the development provider's login and consent forms, and posts the provider's <c>form_post</c>
/// answer back to the web app's callback. The web app's cookies are kept by hand (<see cref="WebCookies"/>) so a test
/// can copy them; the provider's by a cookie container.
/// </summary>
public sealed partial class OidcBrowser(HttpMessageInvoker web, Uri webBase, Uri authority) : IDisposable
{
    private readonly HttpClient _provider = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, CookieContainer = new CookieContainer() }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The web app's cookies by name.</summary>
    public Dictionary<string, string> WebCookies { get; } = new(StringComparer.Ordinal);

    /// <summary>Opens <paramref name="path"/> on the web app, signs in as <paramref name="login"/> wherever the provider asks, and answers the page reached at the end.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string path, string login)
    {
        var answer = await SendWebAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(webBase, path)));
        for (var step = 0; step < 20; step++)
        {
            if (answer.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(answer.RequestMessage!.RequestUri!, location);
                answer.Dispose();
                answer = await GetAsync(next);
                continue;
            }

            if (answer.StatusCode != HttpStatusCode.OK || answer.RequestMessage!.RequestUri!.Authority != authority.Authority)
            {
                return answer;
            }

            var html = await answer.Content.ReadAsStringAsync();
            var form = FormPattern().Match(html);
            if (!form.Success)
            {
                return answer;
            }

            var action = new Uri(answer.RequestMessage.RequestUri, WebUtility.HtmlDecode(form.Groups["action"].Value));
            var fields = InputPattern().Matches(form.Groups["body"].Value)
                .Select(m => (Name: Attribute(m.Value, "name"), Value: Attribute(m.Value, "value") ?? string.Empty))
                .Where(f => f.Name is not null)
                .ToDictionary(f => f.Name!, f => f.Value);
            if (fields.ContainsKey("login"))
            {
                fields["login"] = login;
                fields["password"] = "any password";
            }

            answer.Dispose();
            answer = await PostAsync(action, fields);
        }

        throw new InvalidOperationException("The sign-in did not end within 20 steps.");
    }

    /// <summary>A request to the web app with its cookies; the cookies it sets are kept.</summary>
    public async Task<HttpResponseMessage> SendWebAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (WebCookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", WebCookies.Select(c => $"{c.Key}={c.Value}")));
        }

        var answer = await web.SendAsync(request, CancellationToken.None);
        if (answer.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            foreach (var cookie in cookies)
            {
                var pair = cookie.Split(';', 2)[0];
                var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                var value = pair[(name.Length + 1)..];
                if (value.Length == 0 || cookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    WebCookies.Remove(name);
                }
                else
                {
                    WebCookies[name] = value;
                }
            }
        }

        return answer;
    }

    public void Dispose() => _provider.Dispose();

    private bool IsWeb(Uri uri) => uri.Authority == webBase.Authority;

    private Task<HttpResponseMessage> GetAsync(Uri uri) =>
        IsWeb(uri) ? SendWebAsync(new HttpRequestMessage(HttpMethod.Get, uri)) : _provider.GetAsync(uri);

    private Task<HttpResponseMessage> PostAsync(Uri uri, Dictionary<string, string> fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(fields) };
        return IsWeb(uri) ? SendWebAsync(request) : _provider.SendAsync(request);
    }

    private static string? Attribute(string tag, string name) =>
        Regex.Match(tag, $"\\b{name}=\"([^\"]*)\"", RegexOptions.CultureInvariant) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("<form[^>]*action=\"(?<action>[^\"]*)\"[^>]*>(?<body>.*?)</form>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex InputPattern();
}
