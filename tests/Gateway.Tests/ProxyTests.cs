using TrainingPlatform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

public sealed class ProxyTests
{
    [Fact]
    public async Task A_request_reaches_its_service_with_path_and_query_intact()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1), ("enrollment", 1));

        var echo = await platform.Client.GetEchoAsync("/api/catalog/x/courses?term=2025-autumn&page=2");

        Assert.Equal("catalog", echo.Service);
        Assert.Equal("/api/catalog/x/courses", echo.Path);
        Assert.Equal("?term=2025-autumn&page=2", echo.Query);
        Assert.Empty(platform["enrollment"].Received);
    }

    [Fact]
    public async Task Anonymous_requests_and_bearer_tokens_are_passed_to_the_service_which_decides()
    {
        await using var platform = await TestPlatform.StartAsync(("enrollment", 1));
        var token = TestTokens.Shared.Issue("teacher", "student-1");

        // No token: ServiceDefaults' fallback policy (authenticated user required) must not stop the proxy.
        var anonymous = await platform.Client.GetEchoAsync("/api/enrollment/my-year");
        Assert.Null(anonymous.Authorization);

        var signedIn = await platform.Client.GetEchoAsync("/api/enrollment/my-year", token);
        Assert.Equal($"Bearer {token}", signedIn.Authorization);

        // An invalid token is the service's to refuse, not the gateway's.
        var invalid = await platform.Client.GetEchoAsync("/api/enrollment/my-year", "not-a-jwt");
        Assert.Equal("Bearer not-a-jwt", invalid.Authorization);
    }

    [Fact]
    public async Task A_write_is_forwarded_with_its_method_and_body()
    {
        await using var platform = await TestPlatform.StartAsync(("enrollment", 1));

        using var response = await platform.Client.PostAsJsonAsync("/api/enrollment/selections", new { courseId = 42 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = (await response.Content.ReadFromJsonAsync<Echo>())!;
        Assert.Equal("POST", echo.Method);
        Assert.Equal("/api/enrollment/selections", echo.Path);
        Assert.Equal("""{"courseId":42}""", echo.Body);
    }

    [Fact]
    public async Task Paths_of_services_without_replicas_and_unknown_paths_are_not_found()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1));

        using var unconfigured = await platform.Client.GetAsync("/api/credits/balance");
        using var unknown = await platform.Client.GetAsync("/api/nothing-here/x");

        Assert.Equal(HttpStatusCode.NotFound, unconfigured.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Empty(platform["catalog"].Received);
    }

    [Fact]
    public async Task Every_path_outside_the_API_goes_to_the_portal_and_API_paths_never_do()
    {
        await using var platform = await TestPlatform.StartAsync(("catalog", 1), ("portal", 1));

        var page = await platform.Client.GetEchoAsync("/electives?year=2026");
        var home = await platform.Client.GetEchoAsync("/");
        var api = await platform.Client.GetEchoAsync("/api/catalog/courses");
        using var unknownApi = await platform.Client.GetAsync("/api/nothing-here/x");

        Assert.Equal(("portal", "/electives", "?year=2026"), (page.Service, page.Path, page.Query));
        Assert.Equal("portal", home.Service);
        Assert.Equal("catalog", api.Service);
        // An unknown API path is the gateway's 404, not a portal page.
        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode);
        Assert.Equal("application/problem+json", unknownApi.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, platform["portal"].Received.Count);
    }

    [Fact]
    public async Task A_service_that_cannot_be_reached_gives_502_problem_details()
    {
        await using var platform = await TestPlatform.StartAsync(("credits", 1));
        await platform["credits"].StopAsync();

        using var response = await platform.Client.GetAsync("/api/credits/balance");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())!;
        Assert.StartsWith("后端服务暂时不可用", problem.Detail, StringComparison.Ordinal);
    }
}
