using System.Net;
using System.Text.Json;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Mentoring;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>What every service offers from its first day: health, liveness, an OpenAPI document, and no anonymous access.</summary>
public sealed class ServiceBasicsTests
{
    public static TheoryData<string> ServiceNames => new() { "directory", "catalog", "enrollment", "credits", "mentoring" };

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public async Task Each_service_migrates_its_own_database_and_reports_database_and_broker_health(string service)
    {
        await using var factory = await CreateAsync(service);
        using var client = factory.CreateClient();

        using var health = await client.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();
        Assert.True(health.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        var checks = report.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Contains(checks.EnumerateObject(), c => c.Name.StartsWith("masstransit", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);

        using var openApi = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        using var document = JsonDocument.Parse(await openApi.Content.ReadAsStringAsync());
        Assert.True(document.RootElement.TryGetProperty("openapi", out _));
    }

    private static async Task<IServiceUnderTest> CreateAsync(string service)
    {
        var servers = await TestServers.GetAsync();
        var tokens = new TestTokens();
        return service switch
        {
            "directory" => await ServiceFactory<DirectoryApi>.CreateAsync(servers, tokens, DirectoryApi.DatabaseName),
            "catalog" => await ServiceFactory<CatalogApi>.CreateAsync(servers, tokens, CatalogApi.DatabaseName),
            "enrollment" => await ServiceFactory<EnrollmentApi>.CreateAsync(servers, tokens, EnrollmentApi.DatabaseName),
            "credits" => await ServiceFactory<CreditsApi>.CreateAsync(servers, tokens, CreditsApi.DatabaseName),
            "mentoring" => await ServiceFactory<MentoringApi>.CreateAsync(servers, tokens, MentoringApi.DatabaseName),
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };
    }
}
