using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Directory registers an organisation and announces it through its outbox; Catalog's idempotent consumer keeps
/// its local copy — over real RabbitMQ, in one trace.
/// </summary>
public sealed class OrganisationFlowTests : IAsyncLifetime
{
    private readonly TestTokens _tokens = new();
    private readonly ConcurrentBag<Activity> _activities = [];
    private ActivityListener? _listener;
    private ServiceFactory<DirectoryApi> _directory = null!;
    private ServiceFactory<CatalogApi> _catalog = null!;

    public async Task InitializeAsync()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                                       || source.Name.StartsWith("TrainingPlatform", StringComparison.Ordinal)
                                       || source.Name.StartsWith("MassTransit", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Add,
        };
        ActivitySource.AddActivityListener(_listener);

        var servers = await TestServers.GetAsync();
        _directory = await ServiceFactory<DirectoryApi>.CreateAsync(servers, _tokens, DirectoryApi.DatabaseName);
        _catalog = await ServiceFactory<CatalogApi>.CreateAsync(servers, _tokens, CatalogApi.DatabaseName);
    }

    public async Task DisposeAsync()
    {
        await _directory.DisposeAsync();
        await _catalog.DisposeAsync();
        _listener?.Dispose();
    }

    [Fact]
    public async Task A_registered_school_reaches_the_catalog_copy_in_one_trace_from_the_HTTP_request_to_the_consumer()
    {
        var code = Unique("P");
        using var client = ClientAs(Roles.PlatformOperator);
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/directory/organisations")
        {
            Content = JsonContent.Create(new { code, name = "测试省", kind = "province" }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await WaitForCatalogCopyAsync(code);

        // One trace id connects the request, the outbox dispatch and the consumer in the other service.
        // Each span is seen when it stops, and the outbox dispatch's and the publish's may stop after the consumer's.
        await Eventually.HoldsAsync(() => Task.FromResult(
                _activities.Any(a => a.TraceId == traceId && a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Consumer)
                && _activities.Any(a => a.TraceId == traceId && a.Source.Name == "TrainingPlatform.Outbox")
                && _activities.Any(a => a.TraceId == traceId && a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Producer)),
            TimeSpan.FromSeconds(60), "the dispatch's, the publish's and the consumer's spans in the request's trace");
        var trace = _activities.Where(a => a.TraceId == traceId).ToList();
        Assert.Contains(trace, a => a.Source.Name == "Microsoft.AspNetCore" && a.Kind == ActivityKind.Server);
        Assert.Contains(trace, a => a.Source.Name == "TrainingPlatform.Outbox" && a.OperationName == "outbox dispatch");
        Assert.Contains(trace, a => a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Producer);
    }

    [Fact]
    public async Task A_school_must_sit_under_a_county_or_township_and_names_its_stages()
    {
        using var client = ClientAs(Roles.PlatformOperator);
        var province = Unique("P");
        var city = Unique("C");
        var county = Unique("X");
        await PostOk(client, new { code = province, name = "省", kind = "province" });
        await PostOk(client, new { code = city, name = "市", kind = "city", parentCode = province });
        await PostOk(client, new { code = county, name = "县", kind = "county", parentCode = city });

        // A school directly under a city breaks the tree's shape: 422, naming the rule.
        using var misplaced = await client.PostAsJsonAsync("/api/directory/organisations",
            new { code = Unique("S"), name = "学校", kind = "school", parentCode = city, stages = new[] { "primary" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, misplaced.StatusCode);
        Assert.Equal("application/problem+json", misplaced.Content.Headers.ContentType?.MediaType);

        var school = Unique("S");
        await PostOk(client, new { code = school, name = "第一小学", kind = "school", parentCode = county, stages = new[] { "primary", "junior" } });
        var view = await client.GetFromJsonAsync<JsonElement>($"/api/directory/organisations/{school}");
        Assert.Equal(county, view.GetProperty("parentCode").GetString());
        Assert.Equal(["primary", "junior"], view.GetProperty("stages").EnumerateArray().Select(s => s.GetString()));
        await WaitForCatalogCopyAsync(school);
    }

    [Fact]
    public async Task An_operator_renames_a_school_and_the_catalog_copy_follows_while_a_district_lists_only_its_subtree()
    {
        using var client = ClientAs(Roles.PlatformOperator);
        var (province, city, county, otherCounty, school) = (Unique("P"), Unique("C"), Unique("X"), Unique("X"), Unique("S"));
        await PostOk(client, new { code = province, name = "省", kind = "province" });
        await PostOk(client, new { code = city, name = "市", kind = "city", parentCode = province });
        await PostOk(client, new { code = county, name = "县", kind = "county", parentCode = city });
        await PostOk(client, new { code = otherCounty, name = "邻县", kind = "county", parentCode = city });
        await PostOk(client, new { code = school, name = "第一小学", kind = "school", parentCode = county, stages = new[] { "primary" } });
        await WaitForCatalogCopyAsync(school);

        using var renamed = await client.PutAsJsonAsync($"/api/directory/organisations/{school}", new { name = "实验小学", stages = new[] { "primary", "junior" } });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var db = _catalog.Services.GetRequiredService<NpgsqlDataSource>();
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<string>("select name from organisations where code = @school", new { school }) == "实验小学";
        }, TimeSpan.FromSeconds(90), "the rename to reach the catalog's copy");

        using var district = _directory.CreateClient();
        district.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.Issue(Roles.DistrictAdmin,
            claims: new Dictionary<string, object> { [PlatformClaims.OrganisationPath] = $"{province}/{city}/{county}" }));
        var visible = await district.GetFromJsonAsync<JsonElement>("/api/directory/organisations");
        Assert.Equal([county, school], visible.EnumerateArray().Select(o => o.GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await district.GetAsync($"/api/directory/organisations?under={otherCounty}")).StatusCode);
        using var notAllowed = await district.PutAsJsonAsync($"/api/directory/organisations/{school}", new { name = "改名", stages = new[] { "primary" } });
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.StatusCode);
    }

    [Fact]
    public async Task Invalid_input_is_refused_with_problem_details_naming_each_field_and_nothing_is_saved()
    {
        using var client = ClientAs(Roles.PlatformOperator);
        using var response = await client.PostAsJsonAsync("/api/directory/organisations",
            new { code = "", name = "学校", kind = "school", stages = new[] { "university" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("code", out _));
        Assert.True(errors.TryGetProperty("stages", out _));
        Assert.True(errors.TryGetProperty("parentCode", out _));
        Assert.Equal(0, await CountDirectoryAsync("select count(*) from organisations where name = '学校'"));
        Assert.Equal(0, await CountDirectoryAsync("select count(*) from outbox_messages where body->>'name' = '学校'"));
    }

    [Fact]
    public async Task A_duplicate_code_is_a_conflict_and_announces_nothing_twice()
    {
        using var client = ClientAs(Roles.PlatformOperator);
        var code = Unique("P");
        await PostOk(client, new { code, name = "省", kind = "province" });

        using var again = await client.PostAsJsonAsync("/api/directory/organisations", new { code, name = "另一个省", kind = "province" });

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(1, await CountDirectoryAsync($"select count(*) from outbox_messages where body->>'code' = '{code}'"));
    }

    [Fact]
    public async Task Only_a_platform_operator_may_register_organisations()
    {
        using var anonymous = _directory.CreateClient();
        using var noToken = await anonymous.PostAsJsonAsync("/api/directory/organisations", new { code = Unique("P"), name = "省", kind = "province" });
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("application/problem+json", noToken.Content.Headers.ContentType?.MediaType);

        using var teacher = ClientAs(Roles.Teacher);
        using var forbidden = await teacher.PostAsJsonAsync("/api/directory/organisations", new { code = Unique("P"), name = "省", kind = "province" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);

        using var forged = _directory.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", new TestTokens().Issue(Roles.PlatformOperator));
        using var badSignature = await forged.PostAsJsonAsync("/api/directory/organisations", new { code = Unique("P"), name = "省", kind = "province" });
        Assert.Equal(HttpStatusCode.Unauthorized, badSignature.StatusCode);
    }

    private HttpClient ClientAs(string role)
    {
        var client = _directory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.Issue(role));
        return client;
    }

    private static async Task PostOk(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/directory/organisations", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task WaitForCatalogCopyAsync(string code)
    {
        var db = _catalog.Services.GetRequiredService<NpgsqlDataSource>();
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>("select count(*) from organisations where code = @code", new { code }) == 1;
        }, TimeSpan.FromSeconds(90), $"organisation {code} to reach the catalog's copy");
    }

    private async Task<long> CountDirectoryAsync(string sql)
    {
        var db = _directory.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..12];
}
