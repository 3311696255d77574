using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// Finds unused TCP ports on 127.0.0.1 by letting the kernel choose (bind to port 0).
/// The port is released before the caller binds it, so another program could grab it in between;
/// remembering what we handed out at least stops two of our own servers from getting the same one.
/// </summary>
public static class FreePort
{
    private static readonly ConcurrentDictionary<int, byte> HandedOut = new();

    public static int Next() => Allocate(1)[0];

    /// <summary>Distinct ports; all are held open until the last one is chosen so the kernel cannot repeat itself.</summary>
    public static IReadOnlyList<int> Allocate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var held = new List<TcpListener>();
        var ports = new List<int>(count);
        try
        {
            while (ports.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.TryAdd(port, 0))
                {
                    ports.Add(port);
                }
            }
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }

        return ports;
    }

    public static bool IsAvailable(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
