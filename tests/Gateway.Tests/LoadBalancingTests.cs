using System.Net;
using System.Net.Http.Json;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>Replicas share the traffic, and a replica that fails its health check or dies stops getting any.</summary>
public sealed class LoadBalancingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Requests_are_spread_across_both_replicas()
    {
        await using var platform = await TestPlatform.StartAsync(("enrollment", 2));

        var replicas = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            replicas.Add((await platform.Client.GetEchoAsync("/api/enrollment/my-year")).Replica);
        }

        Assert.Equal(["enrollment-0", "enrollment-1"], replicas.Order());
    }

    [Fact]
    public async Task A_replica_whose_health_check_fails_stops_getting_traffic_and_gets_it_back_when_healthy()
    {
        await using var platform = await TestPlatform.StartAsync(("enrollment", 2));
        var sick = platform["enrollment", 1];

        sick.Healthy = false;
        await Eventually.HoldsAsync(
            () => NextRequestsAllGoToAsync(platform.Client, "enrollment-0", 20), Bound, "traffic only to enrollment-0");

        sick.Healthy = true;
        await Eventually.HoldsAsync(
            async () => (await platform.Client.GetEchoAsync("/api/enrollment/my-year")).Replica == "enrollment-1",
            Bound, "enrollment-1 back in rotation");
    }

    [Fact]
    public async Task A_stopped_replica_stops_getting_traffic()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 2));

        await platform["catalog", 0].StopAsync();

        // Until the gateway notices, a request sent to the dead replica fails (502); after that, none does.
        await Eventually.HoldsAsync(
            () => NextRequestsAllGoToAsync(platform.Client, "catalog-1", 20), Bound, "traffic only to catalog-1");
    }

    /// <summary>The next <paramref name="count"/> requests all succeed on <paramref name="replica"/>.</summary>
    private static async Task<bool> NextRequestsAllGoToAsync(HttpClient client, string replica, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var service = replica[..replica.LastIndexOf('-')];
            using var response = await client.GetAsync($"/api/{service}/probe");
            if (response.StatusCode != HttpStatusCode.OK
                || (await response.Content.ReadFromJsonAsync<Echo>())!.Replica != replica)
            {
                return false;
            }
        }

        return true;
    }
}
