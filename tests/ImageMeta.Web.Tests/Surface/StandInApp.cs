using System.Net;
using ImageMeta.Testing.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ImageMeta.Web.Tests.Surface;

/// <summary>
/// A stand-in for ingest or the store behind its sidecar double: a loopback Kestrel app whose every request is
/// answered by <see cref="Answer"/>, which a test sets, and which records what it was asked.
/// </summary>
public sealed class StandInApp : IAsyncDisposable
{
    private WebApplication? _app;

    private StandInApp(int port) => Port = port;

    public int Port { get; }

    /// <summary>How the app answers; the default is a 404.</summary>
    public Func<HttpContext, Task> Answer { get; set; } = context =>
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    };

    /// <summary>The requests it got: method, path and query, and their headers.</summary>
    public List<(string Target, IHeaderDictionary Headers)> Requests { get; } = [];

    public static async Task<StandInApp> StartAsync()
    {
        var standIn = new StandInApp(LoopbackPorts.Free());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, standIn.Port));
        var app = builder.Build();
        app.Run(async context =>
        {
            lock (standIn.Requests)
            {
                standIn.Requests.Add(($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}", new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value))));
            }

            await standIn.Answer(context);
        });
        await app.StartAsync();
        standIn._app = app;
        return standIn;
    }

    /// <summary>Stops answering: the sidecar then fails to reach the app, as when the app is down.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
