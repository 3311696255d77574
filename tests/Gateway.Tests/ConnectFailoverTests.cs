using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.Gateway.Tests.Support;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>
/// A request whose replica refuses the connection is resent to another replica, whatever its method, and the dead
/// replica leaves rotation at once; a request that reached its replica is never sent twice.
/// </summary>
public sealed class ConnectFailoverTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Active health checks too slow to notice anything during a test: only real requests can.</summary>
    private static readonly Dictionary<string, string?> NoActiveHealthChecks = new()
    {
        ["Gateway:Proxy:HealthCheckInterval"] = "01:00:00",
    };

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    public async Task Requests_that_cannot_connect_to_a_replica_are_served_by_a_live_one(int replicas, int dead)
    {
        await using var platform = await TestPlatform.StartAsync([("catalog", replicas)], NoActiveHealthChecks);
        for (var i = 0; i < dead; i++)
        {
            await platform["catalog", i].StopAsync();
        }

        var live = platform["catalog", replicas - 1];
        for (var i = 0; i < 40; i++)
        {
            using var request = Request(i);
            using var response = await platform.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var echo = (await response.Content.ReadFromJsonAsync<Echo>())!;
            Assert.Equal((live.Replica, request.Method.Method), (echo.Replica, echo.Method));
            Assert.Equal(request.Content is null ? "" : $$"""{"orderId":{{i}}}""", echo.Body);
        }

        // Out of rotation because a request found it dead, not because of a health check.
        for (var i = 0; i < dead; i++)
        {
            Assert.Equal(DestinationHealth.Unhealthy, Destination(platform, $"catalog-{i}").Health.Passive);
        }
    }

    [Fact]
    public async Task A_replica_killed_under_load_fails_at_most_the_requests_it_had_in_flight()
    {
        const int Workers = 8;
        await using var platform = await TestPlatform.StartAsync([("catalog", 2)], NoActiveHealthChecks);
        var (doomed, survivor) = (platform["catalog", 0], platform["catalog", 1]);
        using var stop = new CancellationTokenSource();
        var failed = 0;

        // Each worker has one request in flight at a time, so at most Workers are in flight when the replica dies.
        var load = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                using var request = Request(i);
                try
                {
                    using var response = await platform.Client.SendAsync(request);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();

        await Eventually.HoldsAsync(
            () => Task.FromResult(doomed.Received.Count >= 100 && survivor.Received.Count >= 100), Bound, "both replicas under load");
        await doomed.KillAsync();
        var servedBeforeKill = survivor.Received.Count;
        await Eventually.HoldsAsync(
            () => Task.FromResult(survivor.Received.Count >= servedBeforeKill + 1000), Bound, "the survivor takes the whole load");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.InRange(failed, 0, Workers);
    }

    [Fact]
    public async Task A_POST_that_reached_its_replica_and_failed_there_is_not_resent()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 2));

        for (var i = 1; i <= 10; i++)
        {
            using var response = await platform.Client.PostAsJsonAsync("/api/catalog/orders/crash", new { orderId = i });

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Equal(i, platform.Replicas.Sum(r => r.Received.Count));
        }
    }

    [Fact]
    public async Task A_service_whose_only_replica_refuses_connections_answers_bad_gateway()
    {
        await using var platform = await TestPlatform.StartAsync([("catalog", 1)], NoActiveHealthChecks);
        await platform["catalog"].StopAsync();

        using var response = await platform.Client.PostAsJsonAsync("/api/catalog/orders", new { orderId = 1 });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Alternately a POST with a body and a GET, the two kinds a resend must get right.</summary>
    private static HttpRequestMessage Request(int i) => i % 2 == 0
        ? new HttpRequestMessage(HttpMethod.Post, "/api/catalog/orders") { Content = JsonContent.Create(new { orderId = i }) }
        : new HttpRequestMessage(HttpMethod.Get, $"/api/catalog/orders/{i}");

    private static DestinationState Destination(TestPlatform platform, string destinationId)
    {
        var proxy = platform.Gateway.Services.GetRequiredService<IProxyStateLookup>();
        Assert.True(proxy.TryGetCluster(destinationId[..destinationId.LastIndexOf('-')], out var cluster));
        return cluster.Destinations[destinationId];
    }
}
