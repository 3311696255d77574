using System.Net;
using TrainingPlatform.Gateway.Tests.Support;
using TrainingPlatform.TestSupport;
using Xunit.Abstractions;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>
/// The gateway calls its configured replicas and nothing else: no telemetry exporter without
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, no lookups, no vendor hosts, while it starts, probes, proxies, merges the API
/// reference and stops.
/// </summary>
[Collection(nameof(NoCallsOutCollection))]
public sealed class NoCallsOutTests(ITestOutputHelper output)
{
    private static readonly string[] Services = ["directory", "catalog", "enrollment", "credits", "mentoring"];

    [Fact]
    public async Task The_gateway_connects_to_its_configured_replicas_and_nothing_else()
    {
        using var outbound = new OutboundConnections();
        var allowedEndpoints = new List<IPEndPoint>();
        var allowedHosts = new List<string>();
        await using (var platform = await TestPlatform.StartAsync(Services.Select(s => (s, 1)).ToArray()))
        {
            // The test's own client talks to the gateway's address; the gateway must talk only to the replicas'.
            foreach (var address in platform.Replicas.Select(r => new Uri(r.Url)).Append(platform.Client.BaseAddress!))
            {
                allowedHosts.Add(address.Host);
                allowedEndpoints.AddRange(await OutboundConnections.EndpointsOfAsync(address.Host, address.Port));
            }
            if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp && Uri.TryCreate(otlp, UriKind.Absolute, out var collector))
            {
                allowedHosts.Add(collector.Host);
                allowedEndpoints.AddRange(await OutboundConnections.EndpointsOfAsync(collector.Host, collector.Port));
            }

            foreach (var service in Services)
            {
                var echo = await platform.Client.GetEchoAsync($"/api/{service}/anything", TestTokens.Shared.Issue("teacher"));
                Assert.Equal(service, echo.Service);
            }
            Assert.Equal(HttpStatusCode.OK, (await platform.Client.GetAsync("/health")).StatusCode);
            // The API reference asks the replicas for their documents (these stand-ins have none), and its page is the gateway's own.
            Assert.Equal(HttpStatusCode.OK, (await platform.Client.GetAsync("/openapi/platform.json")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await platform.Client.GetAsync("/api-reference/")).StatusCode);
        }

        foreach (var attempt in outbound.Attempts.Distinct())
        {
            output.WriteLine(attempt.ToString());
        }
        var unexpected = outbound.Beyond(allowedEndpoints, allowedHosts);
        Assert.True(unexpected.Count == 0, "the gateway reached beyond its replicas: " + string.Join("; ", unexpected));
    }
}

/// <summary>Alone: the listener hears the whole process, and other tests' stand-ins must not be taken for this one's calls.</summary>
[CollectionDefinition(nameof(NoCallsOutCollection), DisableParallelization = true)]
public sealed class NoCallsOutCollection;
