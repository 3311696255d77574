using System.Net;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Mentoring;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A province's platform calls nothing its operators did not configure: while a service starts, answers requests and
/// stops, the process connects to its PostgreSQL and RabbitMQ and nowhere else, and looks up no other name (MassTransit
/// reported usage to its vendor's host on the internet at every start until that was switched off).
/// </summary>
[Collection(nameof(NoCallsOutCollection))]
public sealed class NoCallsOutTests(ITestOutputHelper output)
{
    public static TheoryData<string> ServiceNames => new() { "directory", "catalog", "enrollment", "credits", "mentoring" };

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task A_service_connects_to_its_configured_servers_and_nothing_else(string service)
    {
        var servers = await TestServers.GetAsync(); // started before listening: starting them probes their own ports
        var postgres = new NpgsqlConnectionStringBuilder(servers.PostgresAdmin);
        var broker = BrokerAddress.Parse(servers.Messaging);
        var configuredHosts = new List<string> { postgres.Host!, broker.Host };
        var configuredEndpoints = new List<IPEndPoint>();
        configuredEndpoints.AddRange(await OutboundConnections.EndpointsOfAsync(postgres.Host!, postgres.Port));
        configuredEndpoints.AddRange(await OutboundConnections.EndpointsOfAsync(broker.Host, broker.Port));
        // Run under a collector (OTEL_EXPORTER_OTLP_ENDPOINT set), the services export to it: configured, so allowed.
        // Unset, ServiceDefaults adds no exporter, and the default one (localhost:4317) would be caught.
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } otlp && Uri.TryCreate(otlp, UriKind.Absolute, out var collector))
        {
            configuredHosts.Add(collector.Host);
            configuredEndpoints.AddRange(await OutboundConnections.EndpointsOfAsync(collector.Host, collector.Port));
        }

        using var outbound = new OutboundConnections();
        Uri inMemory;
        await using (var api = await CreateAsync(service, servers))
        {
            using var client = api.CreateClient();
            inMemory = client.BaseAddress!;
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
            // Every GET without route parameters the service documents, as the operator.
            using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
            client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.Shared.Issue(Roles.PlatformOperator));
            foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject()
                         .Where(p => !p.Name.Contains('{') && p.Value.TryGetProperty("get", out _)).Select(p => p.Name))
            {
                using var response = await client.GetAsync(path);
                output.WriteLine($"GET {path} → {(int)response.StatusCode}");
            }
        } // stopped: anything reported at shutdown is seen too

        foreach (var attempt in outbound.Attempts.Distinct())
        {
            output.WriteLine(attempt.ToString());
        }
        var unexpected = outbound.Beyond(configuredEndpoints, configuredHosts, inMemory.Authority);
        Assert.True(unexpected.Count == 0,
            $"{service} reached beyond PostgreSQL ({postgres.Host}:{postgres.Port}) and RabbitMQ ({broker.Host}:{broker.Port}): "
            + string.Join("; ", unexpected));
    }

    private static async Task<IServiceUnderTest> CreateAsync(string service, TestServers servers)
    {
        var tokens = TestTokens.Shared;
        // MassTransit's usage report waits five minutes, or until shutdown if told to: should it ever be switched on
        // again, it is sent while this test watches. This changes when, never whether.
        Action<IServiceCollection> reportAtShutdown = services => services.PostConfigure<UsageTelemetryOptions>(o => o.ReportOnShutdown = true);
        return service switch
        {
            "directory" => await ServiceFactory<DirectoryApi>.CreateAsync(servers, tokens, DirectoryApi.DatabaseName, configureServices: reportAtShutdown),
            "catalog" => await ServiceFactory<CatalogApi>.CreateAsync(servers, tokens, CatalogApi.DatabaseName, configureServices: reportAtShutdown),
            "enrollment" => await ServiceFactory<EnrollmentApi>.CreateAsync(servers, tokens, EnrollmentApi.DatabaseName, configureServices: reportAtShutdown),
            "credits" => await ServiceFactory<CreditsApi>.CreateAsync(servers, tokens, CreditsApi.DatabaseName, configureServices: reportAtShutdown),
            "mentoring" => await ServiceFactory<MentoringApi>.CreateAsync(servers, tokens, MentoringApi.DatabaseName, configureServices: reportAtShutdown),
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };
    }
}

/// <summary>Alone: the listener hears the whole process, and other tests' servers must not be taken for this one's calls.</summary>
[CollectionDefinition(nameof(NoCallsOutCollection), DisableParallelization = true)]
public sealed class NoCallsOutCollection;
