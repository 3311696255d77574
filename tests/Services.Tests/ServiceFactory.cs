using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.TestSupport;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// One service, hosted in the test process, wired to the real test PostgreSQL (its own fresh database) and the
/// real test RabbitMQ, validating tokens signed by <see cref="TestTokens"/>.
/// </summary>
public sealed class ServiceFactory<TApi>(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<TApi>, IServiceUnderTest
    where TApi : class
{
    public static async Task<ServiceFactory<TApi>> CreateAsync(TestServers servers, TestTokens tokens, string databaseName,
        IReadOnlyDictionary<string, string?>? extraSettings = null, Action<IServiceCollection>? configureServices = null)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{databaseName}"] = await servers.CreateDatabaseAsync(databaseName),
            ["ConnectionStrings:messaging"] = servers.Messaging,
            ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
            ["Messaging:Outbox:PollInterval"] = "00:00:00.250",
            // Each copy of a service under test has its own queues, so parallel tests never take each other's messages.
            ["Messaging:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8],
        };
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var factory = new ServiceFactory<TApi>(settings, configureServices);
        // Ready means migrated and connected to the broker with its queues bound, so nothing a test publishes
        // afterwards can miss this service.
        using var client = factory.CreateClient();
        await Eventually.HoldsAsync(async () => (await client.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60),
            $"{typeof(TApi).Name} to report healthy");
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, JsonNamingGuard>());
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }
}

/// <summary>A started service, whichever it is.</summary>
public interface IServiceUnderTest : IAsyncDisposable
{
    HttpClient CreateClient();

    IServiceProvider Services { get; }
}
