using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using ImageMeta.Testing.Dapr;
using ImageMeta.Testing.Dapr.Pipeline;
using SkiaSharp;

namespace ImageMeta.Web.Tests;

/// <summary>
/// A map tile server on loopback for the map scenarios (<c>Web:MapTiles:UrlTemplate</c> points here), so no test
/// reaches the internet: any <c>/{z}/{x}/{y}.png</c> is one generated 256 px PNG, and every path asked is kept.
/// </summary>
public sealed class TileStandIn : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly byte[] _tile = TestImages.Encode(256, 256, new SKColor(0xCF, 0xE3, 0xD0), SKEncodedImageFormat.Png, 100);
    private readonly Task _serving;

    private TileStandIn(int port)
    {
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The template the web app is configured with.</summary>
    public string UrlTemplate => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{{z}}/{{x}}/{{y}}.png";

    /// <summary>Every path a browser asked for, in order.</summary>
    public ConcurrentQueue<string> Requested { get; } = new();

    public static TileStandIn Start() => new(LoopbackPorts.Free());

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Requested.Enqueue(context.Request.Url!.AbsolutePath);
            var isTile = context.Request.Url.Segments.Length == 4 && context.Request.Url.AbsolutePath.EndsWith(".png", StringComparison.Ordinal);
            context.Response.StatusCode = isTile ? 200 : 404;
            if (isTile)
            {
                context.Response.ContentType = "image/png";
                context.Response.ContentLength64 = _tile.Length;
                await context.Response.OutputStream.WriteAsync(_tile);
            }

            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
