namespace TrainingPlatform.Gateway.Tests.Support;

/// <summary>Stand-in replicas for some services and the gateway in front of them; disposes all of it.</summary>
public sealed class TestPlatform : IAsyncDisposable
{
    private TestPlatform(IReadOnlyList<StubService> replicas, GatewayFactory gateway)
    {
        Replicas = replicas;
        Gateway = gateway;
        Client = gateway.CreateGatewayClient();
    }

    public IReadOnlyList<StubService> Replicas { get; }

    public GatewayFactory Gateway { get; }

    public HttpClient Client { get; }

    public StubService this[string service, int replica = 0] => Replicas.Where(r => r.Service == service).ElementAt(replica);

    /// <summary>Starts <paramref name="replicas"/> replicas of each service named, then the gateway.</summary>
    public static async Task<TestPlatform> StartAsync(
        IEnumerable<(string Service, int Replicas)> services, IDictionary<string, string?>? settings = null)
    {
        var started = new List<StubService>();
        foreach (var (service, count) in services)
        {
            for (var i = 0; i < count; i++)
            {
                started.Add(await StubService.StartAsync(service, $"{service}-{i}"));
            }
        }

        return new TestPlatform(started, new GatewayFactory(started, settings));
    }

    public static Task<TestPlatform> StartAsync(params (string Service, int Replicas)[] services) => StartAsync(services, null);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Gateway.DisposeAsync();
        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync();
        }
    }
}
