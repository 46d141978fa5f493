using System.Diagnostics;
using System.Globalization;
using System.Net;
using ImageMeta.Contracts;
using ImageMeta.Dapr;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ImageMeta.Web.Service.Calls;

/// <summary>
/// Streams one of the store's binary answers (thumbnail, original) to the browser through this app's sidecar
/// (<c>/v1.0/invoke/store/method/…</c> with <c>dapr-api-token</c>), with YARP's <see cref="IHttpForwarder"/>: the
/// body is never buffered, so a large original costs no memory here.
/// <para>
/// Why <see cref="IHttpForwarder"/> and not <c>MapForwarder</c> (which wraps it): the id is checked before anything
/// leaves (a 400 with a sentence), the store's failures become the statuses the pages explain, and the browser's own
/// headers (cookies, the session) never reach the store. <c>MapForwarder</c> copies the request headers and the
/// answer as they are; its route has no place for the id check.
/// </para>
/// </summary>
public sealed class StoreForwarding(IHttpForwarder forwarder, IConfiguration configuration, IOptions<WebOptions> options) : IDisposable
{
    // The client YARP's direct-forwarding guide sets up: no proxy, no redirects, no decompression, no cookies, and the
    // trace context of this request passed on (so the store's span joins the page's trace).
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });
    private readonly string _sidecar = DaprSidecar.HttpEndpoint(configuration).TrimEnd('/');
    private readonly string? _token = DaprSidecar.ApiToken(configuration);

    /// <summary>
    /// Sends <c>GET {method}</c> to the store; <paramref name="answer"/> writes the status and headers the browser
    /// gets from the store's answer and says whether its body follows. False when the store could not be reached
    /// (the answer is not started: the caller answers 503 for it).
    /// </summary>
    public async Task<bool> ForwardAsync(HttpContext http, string method, IReadOnlyList<string> requestHeaders, Func<HttpContext, HttpResponseMessage, bool> answer)
    {
        ArgumentNullException.ThrowIfNull(http);
        var transformer = new ToStore($"/v1.0/invoke/{DaprTopology.AppIds.Store}/method/{method}", _token, requestHeaders, answer);
        var error = await forwarder.SendAsync(http, _sidecar, _invoker, new ForwarderRequestConfig { ActivityTimeout = options.Value.InvocationTimeout }, transformer);
        return error == ForwarderError.None || http.Response.HasStarted;
    }

    public void Dispose() => _invoker.Dispose();

    /// <summary>Copies the store's <c>Retry-After</c> (seconds, rounded up, as every answer of this app writes it).</summary>
    public static void CopyRetryAfter(HttpResponseMessage from, HttpResponse to)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (from.Headers.RetryAfter?.Delta is { } wait)
        {
            SetRetryAfter(to, wait);
        }
    }

    /// <summary>Writes <c>Retry-After</c> in whole seconds, rounded up so a client never comes back too early.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(0, wait.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the store's answer is a success of an image type.</summary>
    public static bool IsImage(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType is { } type && type.StartsWith("image/", StringComparison.Ordinal);

    /// <summary>
    /// The request goes out with only the named browser headers (If-None-Match for a thumbnail) and the sidecar
    /// token; the answer is what <c>answer</c> makes of the store's.
    /// </summary>
    private sealed class ToStore(string path, string? token, IReadOnlyList<string> requestHeaders, Func<HttpContext, HttpResponseMessage, bool> answer) : HttpTransformer
    {
        public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            proxyRequest.Method = HttpMethod.Get;
            proxyRequest.RequestUri = new Uri(destinationPrefix + path);
            proxyRequest.Headers.Host = null;
            foreach (var name in requestHeaders)
            {
                if (httpContext.Request.Headers.TryGetValue(name, out var values))
                {
                    proxyRequest.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }

            if (token is not null)
            {
                proxyRequest.Headers.TryAddWithoutValidation(DaprSidecar.ApiTokenHeader, token);
            }

            return ValueTask.CompletedTask;
        }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken) =>
            ValueTask.FromResult(proxyResponse is not null && answer(httpContext, proxyResponse));
    }
}
