using System.Net;
using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ImageMeta.Dapr;

/// <summary>
/// Calls to another app through Dapr service invocation, the way Dapr's .NET SDK recommends for HTTP: a named
/// <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> whose base address is <c>http://{appId}/</c> and whose
/// <see cref="InvocationHandler"/> rewrites each request to the sidecar's <c>/v1.0/invoke/{appId}/method/…</c>.
/// Around it, one handler gives every call the same rules:
/// <list type="bullet">
/// <item>a deadline (<see cref="AppCallOptions.Deadline"/>) over the call and its answer's body, which is read into memory
/// (at most <see cref="AppCallOptions.MaxAnswerBytes"/>) so callers never wait on a stalled body;</item>
/// <item>the sidecar token (<c>DAPR_API_TOKEN</c>) from configuration, so in-process hosts set it like the other settings
/// (the handler's own copy comes only from the process environment);</item>
/// <item>no answer (sidecar unreachable, deadline passed) becomes <see cref="AppUnavailableException"/> with a sentence that
/// names the app, never the address; the raw error, and the body of every non-success answer, go to the log.</item>
/// </list>
/// Non-success answers are returned, not thrown: read them with <see cref="AppProblem.ReadAsync"/>.
/// </summary>
/// <example>
/// <code>
/// services.AddAppCalls(DaprTopology.AppIds.Store, o => o.Configure(c => c.Deadline = TimeSpan.FromSeconds(10)));
/// // later: factory.CreateClient(DaprTopology.AppIds.Store).GetAsync("images/abc", ct)
/// </code>
/// </example>
public static partial class AppCalls
{
    /// <summary>
    /// Registers the named client <paramref name="appId"/> (resolve it with <c>IHttpClientFactory.CreateClient(appId)</c>)
    /// and its <see cref="AppCallOptions"/>, named after the app; <paramref name="configure"/> sets them (deadline, size).
    /// </summary>
    public static IHttpClientBuilder AddAppCalls(this IServiceCollection services, string appId, Action<OptionsBuilder<AppCallOptions>>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        var options = services.AddOptions<AppCallOptions>(appId).ValidateDataAnnotations().ValidateOnStart();
        configure?.Invoke(options);
        return services.AddHttpClient(appId, client =>
            {
                client.BaseAddress = new Uri($"http://{appId}/");
                // The handler below keeps the deadline, with a sentence of its own; HttpClient's timeout would only race it.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler(provider => new AppCallHandler(
                appId,
                provider.GetRequiredService<IOptionsMonitor<AppCallOptions>>().Get(appId),
                provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AppCalls))))
            .AddHttpMessageHandler(provider => new InvocationHandler
            {
                DaprEndpoint = DaprSidecar.HttpEndpoint(provider.GetRequiredService<IConfiguration>()),
                DefaultAppId = appId,
            })
            .AddHttpMessageHandler(provider => new SidecarTokenHandler(DaprSidecar.ApiToken(provider.GetRequiredService<IConfiguration>())));
    }

    /// <summary>Deadline, buffered answer, and one sentence for an app that cannot be reached.</summary>
    private sealed partial class AppCallHandler(string appId, AppCallOptions options, ILogger logger) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Deadline);
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, deadline.Token);
                await response.Content.LoadIntoBufferAsync(options.MaxAnswerBytes, deadline.Token);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                LogNoAnswer(logger, appId, request.Method.Method, request.RequestUri?.AbsolutePath, $"no answer within {options.Deadline}", e);
                throw new AppUnavailableException(appId, $"The {appId} app did not answer within {options.Deadline.TotalSeconds:0.#} s.");
            }
            catch (HttpRequestException e)
            {
                response?.Dispose();
                LogNoAnswer(logger, appId, request.Method.Method, request.RequestUri?.AbsolutePath, e.Message, e);
                throw new AppUnavailableException(appId, e.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded
                    ? $"The {appId} app answered more than {options.MaxAnswerBytes} bytes."
                    : $"The {appId} app could not be reached through the sidecar.");
            }

            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            {
                // The body is buffered: reading it here leaves it readable for the caller.
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                LogAnswer(logger, appId, request.Method.Method, request.RequestUri?.AbsolutePath, (int)response.StatusCode, body.Length <= 2000 ? body : body[..2000] + "…");
            }

            return response;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Call to {AppId} ({Method} {Path}) got no answer: {Reason}")]
        private static partial void LogNoAnswer(ILogger logger, string appId, string method, string? path, string reason, Exception e);

        [LoggerMessage(Level = LogLevel.Information, Message = "Call to {AppId} ({Method} {Path}) answered {Status}: {Body}")]
        private static partial void LogAnswer(ILogger logger, string appId, string method, string? path, int status, string body);
    }

    /// <summary>
    /// Puts the configured sidecar token on the request, replacing any the SDK's handler took from the environment:
    /// <see cref="InvocationHandler"/> sets its token only from <c>DAPR_API_TOKEN</c> in the process environment.
    /// </summary>
    private sealed class SidecarTokenHandler(string? token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (token is not null)
            {
                request.Headers.Remove(DaprSidecar.ApiTokenHeader);
                request.Headers.Add(DaprSidecar.ApiTokenHeader, token);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
