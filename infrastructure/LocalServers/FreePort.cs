using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TrainingPlatform.LocalServers;

/// <summary>
/// Finds unused TCP ports on 127.0.0.1 below the kernel's ephemeral range. A port is released before its server binds
/// it, which under the AppHost can be half a minute later (the services start one after another); a port from the
/// ephemeral range could meanwhile become the local end of any outgoing connection (a connection pool, a health
/// probe) and the server would fail to bind. Below that range only programs that ask for a port by number get one;
/// remembering what we handed out stops two of ours from getting the same one.
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
                var port = Random.Shared.Next(LowestPort, EphemeralRangeStart);
                if (HandedOut.ContainsKey(port) || TryHold(port) is not { } listener)
                {
                    continue;
                }

                held.Add(listener);
                HandedOut.TryAdd(port, 0);
                ports.Add(port);
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

    private const int LowestPort = 10000;

    /// <summary>The first port the kernel hands out by itself (Linux: <c>ip_local_port_range</c>, usually 32768).</summary>
    private static readonly int EphemeralRangeStart = ReadEphemeralRangeStart();

    private static int ReadEphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(range[0], out var start) && start > LowestPort + 1000 ? start : 32768;
        }
        catch (IOException)
        {
            return 32768;
        }
    }

    private static TcpListener? TryHold(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException)
        {
            listener.Dispose();
            return null;
        }
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
