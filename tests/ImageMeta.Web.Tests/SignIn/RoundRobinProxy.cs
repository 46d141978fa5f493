using System.Net;
using ImageMeta.Testing.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace ImageMeta.Web.Tests.SignIn;

/// <summary>
/// A load balancer in front of several web replicas, as an ingress controller is: each request goes to the next replica
/// in turn (YARP's forwarder, with the <c>X-Forwarded-*</c> headers its default transformer adds), and the log says which
/// replica served which request.
/// </summary>
public sealed class RoundRobinProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(string Method, string Path, int Replica)> _log = [];

    private RoundRobinProxy(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://localhost:{Port}/");

    /// <summary>What each request was and which replica (index into the backends) served it, in order.</summary>
    public IReadOnlyList<(string Method, string Path, int Replica)> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Starts the proxy on a free loopback port; <paramref name="backends"/> may be set later (before the first request).</summary>
    public static async Task<RoundRobinProxy> StartAsync(IReadOnlyList<Uri> backends)
    {
        var port = LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var proxy = new RoundRobinProxy(app, port);
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None });
        var next = -1;
        app.Run(async context =>
        {
            var replica = (int)((uint)Interlocked.Increment(ref next) % (uint)backends.Count);
            lock (proxy._log)
            {
                proxy._log.Add((context.Request.Method, context.Request.Path.Value ?? "/", replica));
            }

            var error = await context.RequestServices.GetRequiredService<IHttpForwarder>().SendAsync(context, backends[replica].ToString(), invoker);
            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
            }
        });
        await app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
