using System.Net.Http.Headers;

namespace ImageMeta.Testing.Dapr;

/// <summary>A call on its way to an app: verb, method path, query, body and the caller's headers.</summary>
internal sealed record AppCall(
    string Verb,
    string Method,
    string Query,
    byte[] Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>What the app answered.</summary>
internal sealed record AppResponse(int StatusCode, byte[] Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>The target could not be reached (unknown app id, app down); daprd reports ERR_DIRECT_INVOKE.</summary>
internal sealed class InvocationFailedException(string message, Exception? inner = null) : Exception(message, inner);

public sealed partial class SidecarDouble
{
    /// <summary>
    /// Caller side of service invocation: resolve the target's sidecar (self-hosted: mDNS; here, the
    /// network's registry) and hand the call over. An unknown app id fails like a failed name resolution.
    /// </summary>
    internal async Task<AppResponse> InvokeAppAsync(string targetAppId, AppCall call, CancellationToken cancellationToken)
    {
        var target = _network.Find(targetAppId);
        string? traceParent = call.Headers.FirstOrDefault(h => h.Key.Equals("traceparent", StringComparison.OrdinalIgnoreCase)).Value;
        if (target is null)
        {
            _network.Invocations.Add(new(AppId, targetAppId, call.Verb, call.Method, 500, traceParent, DateTimeOffset.UtcNow));
            throw new InvocationFailedException($"couldn't find service: {targetAppId}");
        }

        try
        {
            var response = await target.DeliverToAppAsync(AppId, call, cancellationToken);
            _network.Invocations.Add(new(AppId, targetAppId, call.Verb, call.Method, response.StatusCode, traceParent, DateTimeOffset.UtcNow));
            return response;
        }
        catch (InvocationFailedException)
        {
            _network.Invocations.Add(new(AppId, targetAppId, call.Verb, call.Method, 500, traceParent, DateTimeOffset.UtcNow));
            throw;
        }
    }

    /// <summary>
    /// Callee side: the call goes to the app on loopback, with the caller's headers (trace context
    /// included), the app token when configured (docs: "Authenticate requests from Dapr using token
    /// authentication", header <c>dapr-api-token</c>) and the caller/callee ids daprd adds
    /// (<c>dapr-caller-app-id</c>, <c>dapr-callee-app-id</c>).
    /// </summary>
    internal async Task<AppResponse> DeliverToAppAsync(string callerAppId, AppCall call, CancellationToken cancellationToken)
    {
        var uri = $"http://127.0.0.1:{Options.AppPort}/{call.Method}{(call.Query.Length > 0 ? "?" + call.Query : string.Empty)}";
        using var request = new HttpRequestMessage(new HttpMethod(call.Verb), uri);
        if (call.Body.Length > 0 || call.Verb is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent(call.Body);
            if (call.ContentType is { Length: > 0 } contentType && MediaTypeHeaderValue.TryParse(contentType, out var parsed))
            {
                request.Content.Headers.ContentType = parsed;
            }
        }

        foreach (var (name, value) in call.Headers)
        {
            if (IsHopByHop(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase) ||
                name.Equals(ApiTokenHeader, StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("dapr-caller-app-id", callerAppId);
        request.Headers.TryAddWithoutValidation("dapr-callee-app-id", AppId);
        if (Options.AppApiToken is { } token)
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, token);
        }

        try
        {
            using var response = await _network.AppClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            // dapr/dapr pkg/channel/http/http_channel.go parseChannelResponse keeps every header of the app's answer
            // (WithHTTPHeaders(resp.Header)); .NET keeps Content-Disposition and the like apart, as content headers.
            var headers = response.Headers.Concat(response.Content.Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)))
                .ToList();
            return new AppResponse((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), headers);
        }
        catch (HttpRequestException e)
        {
            throw new InvocationFailedException($"error invoking app channel: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvocationFailedException("error invoking app channel: timeout", e);
        }
    }

    private static bool IsHopByHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("TE", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Trailer", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) ||
        name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase);
}
