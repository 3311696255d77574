using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TrainingPlatform.TestSupport;

/// <summary>One attempt of this process to reach something: an HTTP request, a name lookup or a socket connect.</summary>
public sealed record OutboundAttempt(string Kind, string Target, IPEndPoint? Endpoint)
{
    public override string ToString() => Endpoint is null ? $"{Kind} {Target}" : $"{Kind} {Endpoint}";
}

/// <summary>
/// Records every outbound attempt of the test process from .NET's own networking events, at the first step each takes:
/// an HTTP request names its host before any lookup, a lookup names the host before any packet, a connect names the
/// address before the network answers. So a call out is seen even on a machine without internet, where it fails.
/// </summary>
public sealed class OutboundConnections : EventListener
{
    // Filled from the base constructor (OnEventSourceCreated runs before ours), hence initialised inline.
    private readonly ConcurrentQueue<OutboundAttempt> _attempts = new();

    public IReadOnlyCollection<OutboundAttempt> Attempts => _attempts;

    /// <summary>
    /// The attempts that went beyond <paramref name="endpoints"/> (connects) and <paramref name="hosts"/> (lookups,
    /// HTTP requests). <paramref name="inMemoryAuthority"/>: the test's own in-memory requests (TestServer), which
    /// HttpClient reports like any other; a real request there would still show as a connect.
    /// A connect to a Unix socket cannot leave the machine and passes.
    /// </summary>
    public IReadOnlyList<OutboundAttempt> Beyond(IReadOnlyCollection<IPEndPoint> endpoints, IReadOnlyCollection<string> hosts,
        string? inMemoryAuthority = null) =>
        _attempts.Where(attempt => attempt.Kind switch
        {
            "connect" => attempt.Endpoint is null
                ? !attempt.Target.StartsWith("Unix:", StringComparison.Ordinal)
                : !endpoints.Contains(attempt.Endpoint),
            "resolve" => !hosts.Contains(attempt.Target, StringComparer.OrdinalIgnoreCase),
            _ => new Uri(attempt.Target) is var uri && !hosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase)
                                                     && uri.Authority != inMemoryAuthority,
        }).Distinct().ToList();

    /// <summary>The addresses a configured host and port stand for, in both IPv4 and IPv4-mapped IPv6 form.</summary>
    public static async Task<IReadOnlyList<IPEndPoint>> EndpointsOfAsync(string host, int port) =>
        (IPAddress.TryParse(host, out var address) ? [address] : await Dns.GetHostAddressesAsync(host))
        .SelectMany(a => a.IsIPv4MappedToIPv6 ? [a, a.MapToIPv4()] : new[] { a, a.MapToIPv6() })
        .Select(a => new IPEndPoint(a, port))
        .ToList();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name is "System.Net.Sockets" or "System.Net.NameResolution" or "System.Net.Http")
        {
            EnableEvents(eventSource, EventLevel.Informational);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        var payload = e.Payload;
        if (payload is null || payload.Count == 0)
        {
            return;
        }
        switch (e.EventSource.Name, e.EventName)
        {
            case ("System.Net.Sockets", "ConnectStart"):
                var address = Convert.ToString(payload[0], CultureInfo.InvariantCulture) ?? "";
                _attempts.Enqueue(new OutboundAttempt("connect", address, ParseSocketAddress(address)));
                break;
            case ("System.Net.NameResolution", "ResolutionStart"):
                _attempts.Enqueue(new OutboundAttempt("resolve", Convert.ToString(payload[0], CultureInfo.InvariantCulture) ?? "", null));
                break;
            case ("System.Net.Http", "RequestStart") when payload.Count >= 3:
                _attempts.Enqueue(new OutboundAttempt("http", $"{payload[0]}://{payload[1]}:{payload[2]}", null));
                break;
        }
    }

    /// <summary>
    /// <see cref="SocketAddress.ToString"/> as the sockets event carries it: <c>Family:Size:{b0,b1,…}</c>, the bytes
    /// after the family field: the port (big-endian), then for IPv4 the address, for IPv6 the flow info and the address.
    /// Null for anything else (a Unix socket), which cannot leave the machine.
    /// </summary>
    public static IPEndPoint? ParseSocketAddress(string text)
    {
        var parts = text.Split(':', 3);
        if (parts.Length < 3)
        {
            return null;
        }
        var bytes = parts[2].Trim('{', '}').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(b => byte.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        return parts[0] switch
        {
            nameof(AddressFamily.InterNetwork) when bytes.Length >= 6 =>
                new IPEndPoint(new IPAddress(bytes.AsSpan(2, 4)), bytes[0] << 8 | bytes[1]),
            nameof(AddressFamily.InterNetworkV6) when bytes.Length >= 22 =>
                new IPEndPoint(new IPAddress(bytes.AsSpan(6, 16)), bytes[0] << 8 | bytes[1]),
            _ => null,
        };
    }
}
