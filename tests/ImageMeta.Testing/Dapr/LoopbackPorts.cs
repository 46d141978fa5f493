using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImageMeta.Testing.Dapr;

/// <summary>
/// Free TCP ports on loopback, for apps and sidecars that must know their ports before they start.
/// A port the OS hands out for <c>bind(0)</c> comes from the ephemeral range, which every outgoing
/// connection draws its source port from too: in a busy test run one of them can take the port between
/// choosing it and binding it, or while a service killed by an outage test is down. So ports come from
/// below that range, are never handed out twice by one process, and each process starts at its own
/// offset so test assemblies running side by side rarely meet (a port found in use is skipped).
/// </summary>
public static class LoopbackPorts
{
    // Above Azurite's 10000-10002 and the common developer ports; below Linux's default ephemeral start.
    private const int LowestPort = 20000;

    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int HighestPort = EphemeralRangeStart() - 1;
    private static int _next = HighestPort > LowestPort
        ? LowestPort + (int)((uint)(Environment.ProcessId * 7919) % (uint)(HighestPort - LowestPort + 1))
        : 0;

    /// <summary>A port nobody listened on a moment ago and that this process has not handed out before.</summary>
    public static int Free()
    {
        lock (Gate)
        {
            if (HighestPort <= LowestPort)
            {
                return FromKernel();
            }

            for (var tried = 0; tried <= HighestPort - LowestPort; tried++)
            {
                var port = _next;
                _next = _next >= HighestPort ? LowestPort : _next + 1;
                if (HandedOut.Add(port) && CanBind(port))
                {
                    return port;
                }
            }

            return FromKernel();
        }
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FromKernel()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Linux publishes its ephemeral range; elsewhere the IANA range (49152+) is the usual one.</summary>
    private static int EphemeralRangeStart()
    {
        const string RangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            if (File.Exists(RangeFile))
            {
                var first = File.ReadAllText(RangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0];
                return int.Parse(first, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Unreadable: assume the IANA range below.
        }

        return 49152;
    }
}
