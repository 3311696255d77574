using System.Net;
using System.Text.Json;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

public sealed class HealthTests
{
    private static readonly (string, int)[] AllServices =
        [("directory", 1), ("catalog", 1), ("enrollment", 2), ("credits", 1), ("mentoring", 1)];

    [Fact]
    public async Task Health_reports_every_service_and_replica()
    {
        await using var platform = await TestPlatform.StartAsync(AllServices);

        var (status, body) = await GetHealthAsync(platform.Client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var services = body.GetProperty("services");
        Assert.Equal(
            ["catalog", "credits", "directory", "enrollment", "mentoring"],
            services.EnumerateObject().Select(p => p.Name).Order());
        var enrollment = services.GetProperty("enrollment");
        Assert.Equal("Healthy", enrollment.GetProperty("status").GetString());
        Assert.Equal("Healthy", enrollment.GetProperty("destinations").GetProperty("enrollment-0").GetString());
        Assert.Equal("Healthy", enrollment.GetProperty("destinations").GetProperty("enrollment-1").GetString());
    }

    [Fact]
    public async Task Health_is_503_when_a_service_has_no_healthy_replica_and_200_while_one_remains()
    {
        await using var platform = await TestPlatform.StartAsync(AllServices);

        platform["enrollment", 0].Healthy = false;
        var (oneLeft, body) = await GetHealthAsync(platform.Client);
        Assert.Equal(HttpStatusCode.OK, oneLeft);
        Assert.Equal("Degraded", body.GetProperty("services").GetProperty("enrollment").GetProperty("status").GetString());
        Assert.Equal(
            "Unhealthy",
            body.GetProperty("services").GetProperty("enrollment").GetProperty("destinations").GetProperty("enrollment-0").GetString());

        await platform["enrollment", 1].StopAsync();
        (var noneLeft, body) = await GetHealthAsync(platform.Client);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, noneLeft);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", body.GetProperty("services").GetProperty("enrollment").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("services").GetProperty("catalog").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_is_503_when_a_service_has_no_replica_configured()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1));

        var (status, body) = await GetHealthAsync(platform.Client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Healthy", body.GetProperty("services").GetProperty("catalog").GetProperty("status").GetString());
        Assert.Equal("Unhealthy", body.GetProperty("services").GetProperty("mentoring").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Alive_answers_without_asking_the_services()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1));
        platform["catalog"].Healthy = false;

        using var response = await platform.Client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetHealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.Clone());
    }
}
