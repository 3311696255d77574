using System.Net;
using System.Net.Http.Headers;
using Dapper;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// The two security events every service records in its audit trail (shown on Credits; the plumbing is shared): a
/// presented token that fails validation leaves one token-refused record with what it claimed and why it was refused,
/// a signed-in caller answered 403 leaves one access-refused record, and a request without a token leaves nothing.
/// </summary>
public sealed class SecurityEventTests : CreditsTestBase
{
    private sealed record Row(Guid ActorAccountId, string ActorLogin, string ActorRole, string Action, string TargetId, string Summary, string? TraceId);

    private async Task<List<Row>> RecordsAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<Row>("""
            select actor_account_id, actor_login, actor_role, action, target_id, summary, trace_id from audit_records order by seq
            """)];
    }

    private HttpClient WithToken(string token)
    {
        var client = CreditsService.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task Refused_tokens_and_refused_access_are_recorded_once_each_and_a_request_without_a_token_not_at_all()
    {
        // No token: refused, not recorded. Sent first: the events are written in order, so once the later ones are in, it would be too.
        await Send(CreditsService.CreateClient(), HttpMethod.Get, "/api/credits/policies", null, HttpStatusCode.Unauthorized);

        var forger = Guid.NewGuid();
        var forged = new TestTokens().Issue(Roles.PlatformOperator, forger.ToString(), new Dictionary<string, object> { ["name"] = "伪造者" });
        await Send(WithToken(forged), HttpMethod.Put, "/api/credits/policies/forged", new { name = "伪造" }, HttpStatusCode.Unauthorized);

        var late = Guid.NewGuid();
        var expired = Tokens.Issue(Roles.DistrictAdmin, late.ToString(),
            new Dictionary<string, object> { ["name"] = "过期者", ["org_path"] = "37/3716" }, lifetime: TimeSpan.FromMinutes(-10));
        await Send(WithToken(expired), HttpMethod.Get, "/api/credits/policies", null, HttpStatusCode.Unauthorized);

        var teacher = Guid.NewGuid();
        await Send(As(Roles.Teacher, "37/3716/371602/S1", teacher), HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen",
            new { until = Today.AddDays(3), reason = "越权" }, HttpStatusCode.Forbidden);

        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from audit_records") >= 3, TimeSpan.FromSeconds(60),
            "three security events");
        var records = await RecordsAsync();
        Assert.Equal(["token-refused", "token-refused", "access-refused"], records.Select(r => r.Action));

        Assert.Equal((forger, "伪造者（声称）", "platform_operator（声称）", "PUT /api/credits/policies/forged"),
            (records[0].ActorAccountId, records[0].ActorLogin, records[0].ActorRole, records[0].TargetId));
        Assert.Contains("签名", records[0].Summary);
        Assert.DoesNotContain("IDX", records[0].Summary);

        Assert.Equal((late, "过期者（声称）", "district_admin（声称）", "GET /api/credits/policies"),
            (records[1].ActorAccountId, records[1].ActorLogin, records[1].ActorRole, records[1].TargetId));
        Assert.Contains("过期", records[1].Summary);

        Assert.Equal((Roles.Teacher, $"POST /api/credits/years/{Today.Year}/reopen"), (records[2].ActorRole, records[2].TargetId));
        Assert.All(records, r => Assert.False(string.IsNullOrEmpty(r.TraceId)));

        // Security events are links of the same chain.
        var verification = await Send(As(Roles.Auditor), HttpMethod.Get, "/api/credits/operations/audit/verify", null, HttpStatusCode.OK);
        Assert.True(verification.GetProperty("intact").GetBoolean());
    }

    [Fact]
    public async Task An_unreadable_token_is_recorded_without_an_actor()
    {
        await Send(WithToken("not-a-jwt"), HttpMethod.Get, "/api/credits/policies", null, HttpStatusCode.Unauthorized);
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from audit_records") == 1, TimeSpan.FromSeconds(60), "one record");
        var record = Assert.Single(await RecordsAsync());
        Assert.Equal(("token-refused", Guid.Empty, ""), (record.Action, record.ActorAccountId, record.ActorLogin));
    }
}

/// <summary>A burst of forged tokens: one replica records at most its rate, and what it drops is counted into a later record.</summary>
public sealed class SecurityEventFloodTests : CreditsTestBase
{
    public override async Task InitializeAsync() =>
        CreditsService = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName,
            new Dictionary<string, string?> { ["Auditing:SecurityEvents:PerSecond"] = "2", ["Auditing:SecurityEvents:Queue"] = "5" });

    [Fact]
    public async Task A_burst_is_bounded_and_every_refusal_is_accounted_for()
    {
        const int Burst = 100;
        var forged = new TestTokens().Issue(Roles.PlatformOperator, Guid.NewGuid().ToString());
        var client = CreditsService.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);
        await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => Send(client, HttpMethod.Get, "/api/credits/policies", null, HttpStatusCode.Unauthorized)));

        // Every refusal is either a record of its own or counted in a later one (a refusal's, or a count of its own once the burst is over).
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            var records = (await connection.QueryAsync<(string Action, string Summary)>("select action, summary from audit_records")).ToList();
            var counted = records.Count(r => r.Action == "token-refused") + records.Sum(r =>
                System.Text.RegularExpressions.Regex.Match(r.Summary, "另有 (\\d+) 条") is { Success: true } m
                    ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
            Assert.True(counted <= Burst, $"{counted} counted of {Burst}");
            return counted == Burst;
        }, TimeSpan.FromSeconds(120), "every refused token recorded or counted");
        // The queue (5) and the rate bound what was written, whatever the machine's speed: far fewer records than refusals.
        Assert.True(await CountAsync("select count(*) from audit_records") < Burst / 2);
    }
}
