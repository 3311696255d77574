using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Credits' audit trail on a real service: each privileged write leaves exactly one record naming who did what to
/// which record; a refused write leaves none; concurrent writers (parallel requests, and a second replica on the same
/// database) keep the chain gapless and valid; an edit made behind the service's back is found at its seq; and the
/// auditor reads the trail but cannot write.
/// </summary>
public sealed class AuditTrailTests : CreditsTestBase
{
    private const string Audit = "/api/credits/operations/audit";

    private static object Policy(string name) => new
    {
        name, cycleYears = 5, firstCycleYear = Today.Year,
        rules = new[] { new { key = "cycle-total", label = "周期总学时", period = "cycle", minHours = 10, filter = new { }, appliesTo = "all" } },
    };

    private static List<JsonElement> Records(JsonElement page) => [.. page.GetProperty("records").EnumerateArray()];

    private async Task<JsonElement> VerifyAsync() => await Send(As(Roles.Auditor), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.OK);

    [Fact]
    public async Task Each_privileged_write_leaves_one_record_with_its_actor_action_and_target_and_a_refused_one_none()
    {
        var operatorClient = As(Roles.PlatformOperator);
        await Send(operatorClient, HttpMethod.Put, "/api/credits/policies/audit-a", Policy("审计测试政策"), HttpStatusCode.OK);
        await Send(operatorClient, HttpMethod.Put, "/api/credits/policies/audit-a", Policy("审计测试政策（修订）"), HttpStatusCode.OK);
        await Send(operatorClient, HttpMethod.Post, "/api/credits/policies/audit-a/activate", null, HttpStatusCode.OK);
        await Send(operatorClient, HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen",
            new { until = Today.AddDays(3), reason = "系统故障补登" }, HttpStatusCode.Created);

        // Refused: by role, by validation, and for a policy that does not exist.
        await Send(As(Roles.DistrictAdmin, "37/3716"), HttpMethod.Put, "/api/credits/policies/audit-b", Policy("越权"), HttpStatusCode.Forbidden);
        await Send(operatorClient, HttpMethod.Put, "/api/credits/policies/audit-b", new { name = "" }, HttpStatusCode.BadRequest);
        await Send(operatorClient, HttpMethod.Post, "/api/credits/policies/nope/activate", null, HttpStatusCode.NotFound);
        // The 403 is a security event of its own (written in the background, after the response); the 400 and 404 leave nothing.
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from audit_records where action = 'access-refused'") == 1,
            TimeSpan.FromSeconds(60), "the refused request's access-refused record");

        var page = await Send(As(Roles.Auditor), HttpMethod.Get, Audit, null, HttpStatusCode.OK);
        var refusal = Records(page)[0];
        Assert.Equal(("access-refused", 5L, Roles.DistrictAdmin, "PUT /api/credits/policies/audit-b"),
            (refusal.GetProperty("action").GetString(), refusal.GetProperty("seq").GetInt64(), refusal.GetProperty("actorRole").GetString(),
                refusal.GetProperty("targetId").GetString()));
        var records = Records(page).Skip(1).ToList();
        Assert.Equal(
            ["credit-year-reopened", "credit-policy-activated", "credit-policy-changed", "credit-policy-created"],
            records.Select(r => r.GetProperty("action").GetString()));
        Assert.Equal([4L, 3, 2, 1], records.Select(r => r.GetProperty("seq").GetInt64()));
        Assert.All(records, r =>
        {
            Assert.Equal(Roles.PlatformOperator, r.GetProperty("actorLogin").GetString());
            Assert.Equal(Roles.PlatformOperator, r.GetProperty("actorRole").GetString());
            Assert.False(string.IsNullOrEmpty(r.GetProperty("summary").GetString()));
        });
        Assert.Equal(["credit-year", "credit-policy", "credit-policy", "credit-policy"], records.Select(r => r.GetProperty("targetKind").GetString()));
        Assert.Equal([Today.Year.ToString(), "audit-a", "audit-a", "audit-a"], records.Select(r => r.GetProperty("targetId").GetString()));
        Assert.Contains("审计测试政策（修订）", records[2].GetProperty("summary").GetString());
        Assert.Equal(5, await CountAsync("select count(*) from audit_records"));

        // The filters narrow it: by target, by action, and a page after a seq.
        Assert.Single(Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?target={Today.Year}", null, HttpStatusCode.OK)));
        Assert.Single(Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?action=credit-policy-created", null, HttpStatusCode.OK)));
        Assert.Equal([2L, 1], Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?after=3", null, HttpStatusCode.OK))
            .Select(r => r.GetProperty("seq").GetInt64()));
        Assert.Empty(Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?actor=someone-else", null, HttpStatusCode.OK)));
        // Times in Beijing time, as a user would type them.
        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToOffset(TimeSpan.FromHours(8)).ToString("O"));
        Assert.Equal(5, Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?from={since}", null, HttpStatusCode.OK)).Count);
        Assert.Empty(Records(await Send(operatorClient, HttpMethod.Get, $"{Audit}?to={since}", null, HttpStatusCode.OK)));

        var verification = await VerifyAsync();
        Assert.True(verification.GetProperty("intact").GetBoolean());
        Assert.Equal(5, verification.GetProperty("checked").GetInt64());
    }

    [Fact]
    public async Task The_auditor_searches_and_verifies_but_cannot_write_and_others_cannot_read_the_trail()
    {
        var auditor = As(Roles.Auditor);
        await Send(auditor, HttpMethod.Get, Audit, null, HttpStatusCode.OK);
        await Send(auditor, HttpMethod.Put, "/api/credits/policies/audit-c", Policy("审计员不能写"), HttpStatusCode.Forbidden);
        await Send(auditor, HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen", new { until = Today.AddDays(3), reason = "不能" },
            HttpStatusCode.Forbidden);
        await Send(As(Roles.DistrictAdmin, "37/3716"), HttpMethod.Get, Audit, null, HttpStatusCode.Forbidden);
        await Send(As(Roles.Teacher, "37/3716/371602/S1", Guid.NewGuid()), HttpMethod.Get, $"{Audit}/verify", null, HttpStatusCode.Forbidden);
        // Nothing was written but the four refusals themselves, each a security event.
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from audit_records where action = 'access-refused'") == 4,
            TimeSpan.FromSeconds(60), "four access-refused records");
        Assert.Equal(4, await CountAsync("select count(*) from audit_records"));
    }

    [Fact]
    public async Task Parallel_writers_on_two_replicas_of_one_database_keep_the_chain_gapless_and_valid()
    {
        // A second replica of Credits on this test's database.
        var connectionString = CreditsService.Services.GetRequiredService<DatabaseMigrations>().ConnectionString;
        await using var second = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName,
            new Dictionary<string, string?> { [$"ConnectionStrings:{CreditsApi.DatabaseName}"] = connectionString });
        var token = Tokens.For(Roles.PlatformOperator);
        HttpClient Client(bool useSecond)
        {
            var client = useSecond ? second.CreateClient() : CreditsService.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            return client;
        }

        const int Writes = 24;
        await Task.WhenAll(Enumerable.Range(0, Writes).Select(i => Send(Client(i % 2 == 1), HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen",
            new { until = Today.AddDays(1 + i), reason = $"并发补登 {i}" }, HttpStatusCode.Created)));

        var verification = await VerifyAsync();
        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(Enumerable.Range(1, Writes).Select(i => (long)i),
            await connection.QueryAsync<long>("select seq from audit_records order by seq"));
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
        Assert.Equal(Writes, verification.GetProperty("checked").GetInt64());
    }

    [Fact]
    public async Task Records_cannot_be_changed_through_sql_and_one_changed_behind_the_trigger_is_found_at_its_seq()
    {
        var operatorClient = As(Roles.PlatformOperator);
        for (var i = 0; i < 4; i++)
        {
            await Send(operatorClient, HttpMethod.Post, $"/api/credits/years/{Today.Year}/reopen",
                new { until = Today.AddDays(1 + i), reason = $"补登 {i}" }, HttpStatusCode.Created);
        }
        // Records are chained after their actions commit; chain them now, as the trail's readers do.
        await CreditsService.Services.GetRequiredService<AuditSealer>().SealPendingAsync(CancellationToken.None);
        await using var connection = await Db.OpenConnectionAsync();
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            connection.ExecuteAsync("update audit_records set summary = '改' where seq = 3"));
        Assert.Contains("append-only", refused.MessageText);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync("delete from audit_records where seq = 4"));
        Assert.True((await VerifyAsync()).GetProperty("intact").GetBoolean());

        // The owner can still switch the trigger off: the chain is what catches that.
        await connection.ExecuteAsync("""
            alter table audit_records disable trigger audit_records_append_only;
            update audit_records set actor_login = '别人' where seq = 3;
            alter table audit_records enable trigger audit_records_append_only;
            """);
        var verification = await VerifyAsync();
        Assert.False(verification.GetProperty("intact").GetBoolean());
        Assert.Equal(3, verification.GetProperty("brokenAtSeq").GetInt64());
        Assert.Equal(2, verification.GetProperty("checked").GetInt64());
        Assert.Contains("哈希", verification.GetProperty("problem").GetString());

        await connection.ExecuteAsync("""
            alter table audit_records disable trigger audit_records_append_only;
            update audit_records set actor_login = 'platform_operator' where seq = 3;
            delete from audit_records where seq = 2;
            alter table audit_records enable trigger audit_records_append_only;
            """);
        verification = await VerifyAsync();
        Assert.Equal(2, verification.GetProperty("brokenAtSeq").GetInt64());
        Assert.Contains("缺少第 2 条", verification.GetProperty("problem").GetString());
    }
}
