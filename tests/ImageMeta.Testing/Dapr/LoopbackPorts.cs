using System.Net;
using System.Net.Sockets;

namespace ImageMeta.Testing.Dapr;

/// <summary>Free TCP ports on loopback, for apps and sidecars that must know their ports before they start.</summary>
public static class LoopbackPorts
{
    /// <summary>A port the OS just handed out; free unless another process grabs it in the next instant.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
