using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// The doubles of one test run: name resolution between app ids (daprd's mDNS in self-hosted mode),
/// the <c>images</c> and <c>thumbnails</c> folders they share, and the log of every invocation. One double per app id.
/// </summary>
public sealed class SidecarNetwork : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SidecarDouble> _sidecars = new(StringComparer.Ordinal);
    private readonly bool _ownsFolder;
    private readonly bool _ownsThumbnailsFolder;

    public SidecarNetwork(string? imagesFolder = null, string? thumbnailsFolder = null)
    {
        _ownsFolder = imagesFolder is null;
        imagesFolder ??= Directory.CreateTempSubdirectory("imagemeta-images-").FullName;
        Directory.CreateDirectory(imagesFolder);
        Images = new LocalStorageBindingDouble(imagesFolder);
        _ownsThumbnailsFolder = thumbnailsFolder is null;
        thumbnailsFolder ??= Directory.CreateTempSubdirectory("imagemeta-thumbnails-").FullName;
        Directory.CreateDirectory(thumbnailsFolder);
        Thumbnails = new LocalStorageBindingDouble(thumbnailsFolder);
        AppClient = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // The doubles forward the caller's traceparent verbatim; the handler must not replace it with
            // whatever activity happens to be current in the test process.
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The shared <c>images</c> output binding (<c>bindings.localstorage</c>).</summary>
    public LocalStorageBindingDouble Images { get; }

    /// <summary>The shared <c>thumbnails</c> output binding (<c>bindings.localstorage</c>, its own folder, as in components/local).</summary>
    public LocalStorageBindingDouble Thumbnails { get; }

    /// <summary>Every service invocation the doubles forwarded.</summary>
    public InvocationLog Invocations { get; } = new();

    /// <summary>The client the doubles use to call their apps (one pool for all).</summary>
    internal HttpClient AppClient { get; }

    /// <summary>Starts the double for one app id; a second double for the same id is refused.</summary>
    public async Task<SidecarDouble> StartSidecarAsync(SidecarOptions options, CancellationToken cancellationToken = default)
    {
        var sidecar = new SidecarDouble(this, options);
        if (!_sidecars.TryAdd(options.AppId, sidecar))
        {
            throw new InvalidOperationException($"A sidecar double for app id '{options.AppId}' is already running.");
        }

        try
        {
            await sidecar.StartAsync(cancellationToken);
            return sidecar;
        }
        catch
        {
            _sidecars.TryRemove(options.AppId, out _);
            await sidecar.DisposeAsync();
            throw;
        }
    }

    /// <summary>The double serving an app id, if one runs (the caller side of name resolution).</summary>
    public SidecarDouble? Find(string appId) => _sidecars.TryGetValue(appId, out var sidecar) ? sidecar : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var sidecar in _sidecars.Values)
        {
            await sidecar.DisposeAsync();
        }

        _sidecars.Clear();
        AppClient.Dispose();
        foreach (var (owned, folder) in new[] { (_ownsFolder, Images.RootPath), (_ownsThumbnailsFolder, Thumbnails.RootPath) })
        {
            if (!owned)
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by an app that is shutting down; the temp folder is cleaned by the OS.
            }
        }
    }
}
