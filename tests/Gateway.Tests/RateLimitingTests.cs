using TrainingPlatform.TestSupport;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>Tiny limits (3 requests, then one more per minute) so a few requests cross them.</summary>
public sealed class RateLimitingTests
{
    private static readonly Dictionary<string, string?> TinyLimits = new()
    {
        ["Gateway:RateLimiting:PerUser:TokenLimit"] = "3",
        ["Gateway:RateLimiting:PerUser:TokensPerPeriod"] = "1",
        ["Gateway:RateLimiting:PerUser:ReplenishmentPeriod"] = "00:01:00",
        ["Gateway:RateLimiting:Anonymous:TokenLimit"] = "3",
        ["Gateway:RateLimiting:Anonymous:TokensPerPeriod"] = "1",
        ["Gateway:RateLimiting:Anonymous:ReplenishmentPeriod"] = "00:01:00",
        ["Gateway:RateLimiting:CourseSelection:TokenLimit"] = "2",
        ["Gateway:RateLimiting:CourseSelection:TokensPerPeriod"] = "1",
        ["Gateway:RateLimiting:CourseSelection:ReplenishmentPeriod"] = "00:01:00",
    };

    [Fact]
    public async Task Exceeding_the_limit_answers_429_problem_details_with_retry_after()
    {
        await using var platform = await TestPlatform.StartAsync([("catalog", 1)], TinyLimits);

        for (var i = 0; i < 3; i++)
        {
            await platform.Client.GetEchoAsync("/api/catalog/courses");
        }

        using var refused = await platform.Client.GetAsync("/api/catalog/courses");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        Assert.StartsWith("请求过于频繁", problem.RootElement.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.True(problem.RootElement.TryGetProperty("traceId", out _));
        Assert.Equal(3, platform["catalog"].Received.Count);

        // Probes are never limited.
        using var alive = await platform.Client.GetAsync("/alive");
        using var health = await platform.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, health.StatusCode);
    }

    [Fact]
    public async Task Signed_in_users_each_have_their_own_bucket()
    {
        await using var platform = await TestPlatform.StartAsync([("catalog", 1)], TinyLimits);
        var alice = TestTokens.Shared.Issue("teacher", "alice");
        var bob = TestTokens.Shared.Issue("teacher", "bob");

        for (var i = 0; i < 3; i++)
        {
            await platform.Client.GetEchoAsync("/api/catalog/courses", alice);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", alice));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", bob));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", bearer: null));
    }

    [Fact]
    public async Task Enrollment_writes_get_the_stricter_course_selection_limit_from_configuration()
    {
        await using var platform = await TestPlatform.StartAsync([("enrollment", 1)], TinyLimits);
        var carol = TestTokens.Shared.Issue("teacher", "carol");

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Post, "/api/enrollment/selections", carol));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Post, "/api/enrollment/selections", carol));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(platform.Client, HttpMethod.Post, "/api/enrollment/selections", carol));

        // Reads of the same service stay on the per-user limit.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Get, "/api/enrollment/my-year", carol));
    }

    [Fact]
    public async Task A_route_can_be_mapped_to_another_policy_in_configuration()
    {
        var settings = new Dictionary<string, string?>(TinyLimits) { ["Gateway:RateLimits:catalog"] = "course-selection" };
        await using var platform = await TestPlatform.StartAsync([("catalog", 1)], settings);
        var dave = TestTokens.Shared.Issue("teacher", "dave");

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", dave));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", dave));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(platform.Client, HttpMethod.Get, "/api/catalog/courses", dave));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, HttpMethod method, string path, string? bearer)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        if (method == HttpMethod.Post)
        {
            request.Content = JsonContent.Create(new { courseId = 1 });
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
