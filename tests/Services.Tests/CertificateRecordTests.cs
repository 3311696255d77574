using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Certificates are records, not a mirror of the active policy (issue 16, item 7): switching policies never revokes
/// or re-issues, teachers not yet certified are judged by the newly active policy, only a correction that breaks a
/// certificate takes it back (saying which), and one teacher never holds two valid certificates for a cycle.
/// </summary>
public sealed class CertificateRecordTests : CreditsTestBase
{
    private const string School = "37/3716/371602/S1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);


    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreditsDirect.KeepThisYearOpenAsync(CreditsService.Services, Today);
        var operatorClient = As(Roles.PlatformOperator);
        // Two policies of the current cycle: one a few hours meet, one they do not.
        foreach (var (code, hours) in new[] { ("test-low", 10), ("test-high", 40) })
        {
            await Send(operatorClient, HttpMethod.Put, $"/api/credits/policies/{code}", new
            {
                name = $"测试：五年 {hours} 学时", cycleYears = 5, firstCycleYear = Today.Year,
                rules = new[] { new { key = "cycle-total", label = "周期总学时", period = "cycle", minHours = hours, filter = new { }, appliesTo = "all" } },
            }, HttpStatusCode.OK);
        }
    }

    private async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? default!;
    }

    private async Task<IReadOnlyList<(string Number, bool Valid, string? Reason)>> CertificatesAsync(Guid teacher)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(string, bool, string?)>(
            "select number, revoked_at is null, revoked_reason from certificates where teacher_id = @Teacher order by issued_at", new { Teacher = teacher })];
    }

    private Task ActivateAsync(string code) => Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/policies/{code}/activate", null, HttpStatusCode.OK);

    /// <summary>Waits until the background evaluator has judged everyone, the teacher as meeting the active policy or not.</summary>
    private Task EvaluatedAsync(Guid teacher, bool met, string what) =>
        Eventually.HoldsAsync(async () =>
            await ScalarAsync<long>("select count(*) from compliance_dirty") == 0
            && await ScalarAsync<string?>("select overall from compliance where teacher_id = @Teacher", new { Teacher = teacher }) is { } overall
            && (overall == ComplianceStatuses.Met) == met,
            Patience, what);

    private Task<long> OutboxAsync(string type) =>
        ScalarAsync<long>("select count(*) from outbox_messages where message_type like @Type", new { Type = $"%{type}%" });

    private async Task<Guid> TeacherWithHoursAsync(string name, params decimal[] hours)
    {
        var teacher = await CreditsDirect.TeacherAsync(CreditsService.Services, School, name);
        var school = As(Roles.SchoolAdmin, School);
        for (var i = 0; i < hours.Length; i++)
        {
            await Send(school, HttpMethod.Post, "/api/credits/school-based", new
            {
                batchId = $"{teacher:N}-{i}", title = $"校本研修第 {i + 1} 次", hours = hours[i], occurredOn = Today, teacherIds = new[] { teacher },
            }, HttpStatusCode.OK);
        }
        return teacher;
    }

    [Fact]
    public async Task Switching_the_policy_away_and_back_keeps_the_certificate_and_certifies_those_the_new_policy_finds_met()
    {
        await ActivateAsync("test-high");
        var teacher = await TeacherWithHoursAsync("吴晓燕", 12);
        await EvaluatedAsync(teacher, met: false, "12 of 40 hours to be judged");
        Assert.Empty(await CertificatesAsync(teacher));

        // Not yet certified: the policy now active, which they meet, certifies them.
        await ActivateAsync("test-low");
        await EvaluatedAsync(teacher, met: true, "12 of 10 hours to be judged met");
        var (number, valid, _) = Assert.Single(await CertificatesAsync(teacher));
        Assert.True(valid);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            Assert.Equal(("test-low", 1), await connection.QuerySingleAsync<(string, int)>(
                "select policy_code, policy_version from certificates where teacher_id = @Teacher", new { Teacher = teacher }));
        }

        // Away and back: the record stays as it was.
        await ActivateAsync("test-high");
        await EvaluatedAsync(teacher, met: false, "the switch away to be judged");
        Assert.Equal((number, true, null), Assert.Single(await CertificatesAsync(teacher)));
        await ActivateAsync("test-low");
        await EvaluatedAsync(teacher, met: true, "the switch back to be judged");
        Assert.Equal((number, true, null), Assert.Single(await CertificatesAsync(teacher)));
        Assert.Equal((1L, 0L), (await OutboxAsync("CertificateIssued"), await OutboxAsync("CertificateRevoked")));
        var verified = await Send(CreditsService.CreateClient(), HttpMethod.Get, $"/api/credits/certificates/{number}/verify", null, HttpStatusCode.OK);
        Assert.True(verified.GetProperty("valid").GetBoolean());
        Assert.Equal("测试：五年 10 学时", verified.GetProperty("policyName").GetString());
        var mine = Assert.Single((await Send(As(Roles.Teacher, teacher: teacher), HttpMethod.Get, "/api/credits/me/certificates", null, HttpStatusCode.OK))
            .EnumerateArray());
        Assert.Equal(("test-low", 1), (mine.GetProperty("policyCode").GetString(), mine.GetProperty("policyVersion").GetInt32()));
    }

    [Fact]
    public async Task A_reversal_that_breaks_the_policy_the_certificate_was_issued_under_revokes_it_naming_the_correction_and_a_new_one_may_follow()
    {
        await ActivateAsync("test-low");
        var teacher = await TeacherWithHoursAsync("郑秋实", 6, 6);
        await Eventually.HoldsAsync(async () => (await CertificatesAsync(teacher)).Count == 1, Patience, "the certificate to be issued");
        var first = (await CertificatesAsync(teacher))[0].Number;

        // Under the 40 h policy now active the teacher falls short, but that was never the measure of their certificate.
        await ActivateAsync("test-high");
        await EvaluatedAsync(teacher, met: false, "the new policy to be judged");
        var entries = (await Send(As(Roles.Teacher, teacher: teacher), HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK))
            .GetProperty("entries").EnumerateArray().ToList();
        var reversed = entries.Single(e => e.GetProperty("title").GetString() == "校本研修第 1 次").GetProperty("id").GetGuid();
        await Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/entries/{reversed}/reverse", new { reason = "该次活动未实际开展" },
            HttpStatusCode.Created);
        await Eventually.HoldsAsync(async () => !(await CertificatesAsync(teacher))[0].Valid, Patience, "the certificate to be revoked");

        var reason = (await CertificatesAsync(teacher))[0].Reason!;
        var postedBy = await ScalarAsync<string>("select posted_by from ledger_entries where reverses_id = @Id", new { Id = reversed });
        Assert.Contains("学时记录更正", reason);
        Assert.Contains("冲销", reason);
        Assert.Contains("“校本研修第 1 次” 6 学时", reason);
        Assert.Contains("该次活动未实际开展", reason);
        Assert.Contains(postedBy, reason);
        Assert.Contains("test-low", reason); // judged by the policy it was issued under, not the one active now
        var verified = await Send(CreditsService.CreateClient(), HttpMethod.Get, $"/api/credits/certificates/{first}/verify", null, HttpStatusCode.OK);
        Assert.Equal(reason, verified.GetProperty("revokedReason").GetString());

        // Meeting the active policy later certifies again, under a new number; the revoked one stays revoked.
        await Send(As(Roles.SchoolAdmin, School), HttpMethod.Post, "/api/credits/school-based", new
        {
            batchId = $"{teacher:N}-more", title = "暑期集中研修", hours = 40, occurredOn = Today, teacherIds = new[] { teacher },
        }, HttpStatusCode.OK);
        await Eventually.HoldsAsync(async () => (await CertificatesAsync(teacher)).Count == 2, Patience, "a new certificate to be issued");
        var certificates = await CertificatesAsync(teacher);
        Assert.Equal(new[] { (first, false), (certificates[1].Number, true) }, certificates.Select(c => (c.Number, c.Valid)));
        Assert.NotEqual(first, certificates[1].Number);
    }

    [Fact]
    public async Task Concurrent_evaluations_of_the_same_teacher_issue_one_certificate_and_the_database_refuses_a_second()
    {
        await ActivateAsync("test-low");
        var teacher = await CreditsDirect.TeacherAsync(CreditsService.Services, School, "冯一凡");
        await EvaluatedAsync(teacher, met: false, "the new teacher to be judged");
        // Hours straight into the balances, without marking the teacher: the evaluations below are the only triggers.
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into balances (teacher_id, year, category, mode, level, source, hours)
                values (@Teacher, @Year, 'school_based', 'school_based', 'school', 'school_based', 12)
                """, new { Teacher = teacher, Today.Year });
        }

        var start = new TaskCompletionSource();
        var evaluations = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            await using var unitOfWork = await UnitOfWork.BeginAsync(Db, CancellationToken.None);
            var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, CancellationToken.None);
            var now = DateTimeOffset.UtcNow;
            var standings = await ComplianceStore.StandingsAsync(unitOfWork.Connection, unitOfWork.Transaction, [teacher], policy,
                ProvinceCalendar.DayOf(now), null, CancellationToken.None);
            await ComplianceStore.SaveAllAsync(unitOfWork, standings, policy, now, CancellationToken.None);
            await unitOfWork.CommitAsync(CancellationToken.None);
        })).ToList();
        start.SetResult();
        await Task.WhenAll(evaluations);

        var certificate = Assert.Single(await CertificatesAsync(teacher));
        Assert.True(certificate.Valid);
        Assert.Equal(1, await OutboxAsync("CertificateIssued"));

        // Whatever the code does, the database keeps one valid certificate per teacher and cycle.
        var second = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            await connection.ExecuteAsync("""
                insert into certificates (id, number, teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, issued_at)
                select gen_random_uuid(), 'JXJY-TEST-2', teacher_id, teacher_name, school_path, cycle_start, cycle_end, total_hours, now()
                from certificates where teacher_id = @Teacher
                """, new { Teacher = teacher });
        });
        Assert.Equal(PostgresErrorCodes.UniqueViolation, second.SqlState);
    }
}
