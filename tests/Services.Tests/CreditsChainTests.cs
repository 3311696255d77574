using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Credits.Copies;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// What CreditsFlowTests leaves open about the approval chain and exactly-once posting: rejections at the first and
/// the last step, what an amended resubmission registers, approving twice (one after the other and at the same
/// moment), a closed year at the last step, and the same completion delivered many times at once.
/// </summary>
public sealed class CreditsChainTests : CreditsTestBase
{
    private const string School = "37/3716/371602/S1";


    private async Task<Guid> TeacherAsync()
    {
        var id = await CreditsDirect.TeacherAsync(CreditsService.Services, School, "陈老师");
        await CreditsDirect.KeepThisYearOpenAsync(CreditsService.Services, Today);
        return id;
    }

    private async Task<decimal> SumAsync(string sql)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<decimal>(sql);
    }

    private static string? Rule(JsonElement problem) => problem.GetProperty("rule").GetString();

    private static IEnumerable<string> Steps(JsonElement view) =>
        view.GetProperty("steps").EnumerateArray().Select(s => $"{s.GetProperty("step").GetString()}:{s.GetProperty("decision").GetString()}");

    [Fact]
    public async Task Rejected_at_the_school_and_at_registration_the_teacher_amends_resubmits_from_the_start_and_one_entry_of_the_amended_hours_is_posted()
    {
        var teacherId = await TeacherAsync();
        var teacher = As(Roles.Teacher, School, teacherId);
        var school = As(Roles.SchoolAdmin, School);
        var research = As(Roles.ResearchOffice, "37/3716/371602");
        var training = As(Roles.TrainingInstitution, "37/3716");
        var application = new
        {
            title = "市级班主任能力提升集中培训", hours = 24m, category = "class_teacher", mode = "concentrated", level = "city", source = "external_training",
            occurredOn = Today.AddDays(-7), attachmentRef = "结业证书-001",
        };
        var id = (await Send(teacher, HttpMethod.Post, "/api/credits/applications", application, HttpStatusCode.Created)).GetProperty("application")
            .GetProperty("id").GetGuid();
        var path = $"/api/credits/applications/{id}";
        var approve = new { decision = "approve" };

        // The school sends it back; nobody can act on it until the teacher resubmits.
        var rejected = await Send(school, HttpMethod.Post, $"{path}/decisions", new { decision = "reject", reason = "请补充培训通知" }, HttpStatusCode.OK);
        Assert.Equal("已退回", rejected.GetProperty("statusName").GetString());
        Assert.Equal("no-pending-step", Rule(await Send(school, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Conflict)));
        Assert.Equal("no-pending-step", Rule(await Send(research, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Conflict)));
        await Send(teacher, HttpMethod.Put, path, application with { hours = 20m }, HttpStatusCode.OK);
        await Send(teacher, HttpMethod.Post, $"{path}/resubmit", null, HttpStatusCode.OK);
        Assert.Equal("not-returned", Rule(await Send(teacher, HttpMethod.Post, $"{path}/resubmit", null, HttpStatusCode.Conflict))); // already back in the chain

        // Approving twice: the second click finds the step is now the research office's.
        await Send(school, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.OK);
        var twice = await Send(school, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Forbidden);
        Assert.Contains("教研室认定", twice.GetProperty("detail").GetString());
        // Once the school has approved, the teacher can no longer change it.
        Assert.Equal("application-in-review", Rule(await Send(teacher, HttpMethod.Put, path, application with { hours = 200m }, HttpStatusCode.Conflict)));
        await Send(research, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.OK);

        // The training institution refuses to register: nothing is posted.
        await Send(training, HttpMethod.Post, $"{path}/decisions", new { decision = "reject", reason = "学时与培训通知不符，应为 16 学时" },
            HttpStatusCode.OK);
        Assert.Equal(0, await CountAsync($"select count(*) from ledger_entries where teacher_id = '{teacherId}'"));
        await Send(teacher, HttpMethod.Put, path, application with { hours = 16m }, HttpStatusCode.OK);
        var resubmitted = await Send(teacher, HttpMethod.Post, $"{path}/resubmit", null, HttpStatusCode.OK);
        // A resubmission starts again at the school, whichever step had rejected it.
        Assert.Equal(("submitted", "学校管理员"), (resubmitted.GetProperty("application").GetProperty("status").GetString(),
            resubmitted.GetProperty("waitingFor").GetString()));
        await Send(training, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Forbidden);
        await Send(research, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Forbidden);
        await Send(school, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.OK);
        await Send(research, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.OK);

        // Two registrations at the same moment (a double click, two clerks): one registers, the other is refused.
        var clicks = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            using var response = await training.PostAsJsonAsync($"{path}/decisions", approve);
            return response.StatusCode;
        }));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], clicks.Order());
        await Send(training, HttpMethod.Post, $"{path}/decisions", approve, HttpStatusCode.Conflict);

        var view = await Send(teacher, HttpMethod.Get, path, null, HttpStatusCode.OK);
        Assert.Equal("registered", view.GetProperty("application").GetProperty("status").GetString());
        Assert.Equal(["apply:submitted", "review:rejected", "amend:amended", "apply:resubmitted", "review:approved", "certify:approved",
            "register:rejected", "amend:amended", "apply:resubmitted", "review:approved", "certify:approved", "register:approved"], Steps(view));
        var reasons = view.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("reason").GetString()).OfType<string>();
        Assert.Equal(["请补充培训通知", "学时与培训通知不符，应为 16 学时"], reasons);

        var transcript = await Send(teacher, HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK);
        var entry = Assert.Single(transcript.GetProperty("entries").EnumerateArray());
        Assert.Equal((16m, "外出培训"), (entry.GetProperty("hours").GetDecimal(), entry.GetProperty("sourceName").GetString()));
        Assert.Equal(16m, await SumAsync($"select coalesce(sum(hours), 0) from balances where teacher_id = '{teacherId}'"));
        Assert.Equal(1, await CountAsync($"select count(*) from outbox_messages where message_type like '%CreditPosted%' and body::text like '%{teacherId}%'"));
        Assert.Equal(7, await CountAsync(
            $"select count(*) from outbox_messages where message_type like '%CreditApplicationDecided%' and body::text like '%{teacherId}%'"));
    }

    [Fact]
    public async Task A_registration_after_the_year_closed_is_refused_and_leaves_the_application_waiting_until_an_operator_reopens_the_year()
    {
        var teacherId = await TeacherAsync();
        var teacher = As(Roles.Teacher, School, teacherId);
        // Two years back: no other test's program year touches that year.
        var occurred = Today.AddYears(-2);
        var id = (await Send(teacher, HttpMethod.Post, "/api/credits/applications", new
        {
            title = "县级师德专题培训", hours = 6m, category = "ethics", mode = "concentrated", level = "county", source = "external_training",
            occurredOn = occurred, attachmentRef = "签到表-07",
        }, HttpStatusCode.Created)).GetProperty("application").GetProperty("id").GetGuid();
        var path = $"/api/credits/applications/{id}/decisions";
        var approve = new { decision = "approve" };
        await Send(As(Roles.SchoolAdmin, School), HttpMethod.Post, path, approve, HttpStatusCode.OK);
        await Send(As(Roles.ResearchOffice, "37/3716/371602"), HttpMethod.Post, path, approve, HttpStatusCode.OK);

        // Its program year closed registration at the end of that year.
        var start = new DateOnly(occurred.Year, 1, 1);
        await CreditsDirect.ProgramYearAsync(CreditsService.Services, new ProgramYearScheduled(Guid.NewGuid(), $"closed-{occurred.Year}", "已截止的年度", 36, 14,
            new ProgramYearWindows(start, start, start, start, start, new(occurred.Year, 10, 30), new(occurred.Year, 12, 31)), 1, DateTimeOffset.UtcNow));

        var training = As(Roles.TrainingInstitution, "37/3716");
        var refused = await Send(training, HttpMethod.Post, path, approve, HttpStatusCode.Conflict);
        Assert.Contains("截止", refused.GetProperty("detail").GetString());
        Assert.Equal("registration-closed", Rule(refused));
        var waiting = await Send(teacher, HttpMethod.Get, $"/api/credits/applications/{id}", null, HttpStatusCode.OK);
        Assert.Equal("certified", waiting.GetProperty("application").GetProperty("status").GetString());
        Assert.DoesNotContain("register:approved", Steps(waiting));
        Assert.Equal(0, await CountAsync($"select count(*) from ledger_entries where teacher_id = '{teacherId}'"));

        await Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/years/{occurred.Year}/reopen",
            new { until = Today.AddDays(3), reason = "培训机构系统故障，补登三天" }, HttpStatusCode.Created);
        await Send(training, HttpMethod.Post, path, approve, HttpStatusCode.OK);
        Assert.Equal(6m, await SumAsync($"select coalesce(sum(hours), 0) from ledger_entries where teacher_id = '{teacherId}'"));
    }

    [Fact]
    public async Task The_same_completion_delivered_many_times_at_once_posts_one_entry_one_balance_and_one_event()
    {
        var teacherId = await TeacherAsync();
        var completion = new CourseCompleted(Guid.NewGuid(), teacherId, Guid.NewGuid(), Guid.NewGuid(), "学生心理健康教育", 6m, "subject", "online",
            "provincial", Guid.NewGuid(), Today.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), "elective", DateTimeOffset.UtcNow);
        // Ten redeliveries of one message (the same message id) and ten re-sends of the same completion (new ids), all at once.
        var messageId = Guid.NewGuid();
        var messageIds = Enumerable.Range(0, 20).Select(i => i < 10 ? messageId : Guid.NewGuid()).ToList();
        await Task.WhenAll(messageIds.Select(id => CreditsDirect.SendAsync<CourseCompletedConsumer, CourseCompleted>(CreditsService.Services, completion, id)));
        var distinct = string.Join(",", messageIds.Distinct().Select(id => $"'{id}'"));
        await Eventually.HoldsAsync(
            async () => await CountAsync($"select count(*) from inbox_messages where consumer = 'CourseCompletedConsumer' and message_id in ({distinct})") == 11,
            TimeSpan.FromSeconds(90), "every distinct message to be consumed");

        Assert.Equal(1, await CountAsync($"select count(*) from ledger_entries where teacher_id = '{teacherId}'"));
        Assert.Equal(6m, await SumAsync($"select coalesce(sum(hours), 0) from balances where teacher_id = '{teacherId}'"));
        Assert.Equal(1, await CountAsync($"select count(*) from outbox_messages where message_type like '%CreditPosted%' and body::text like '%{teacherId}%'"));
        Assert.Equal(0, await CountAsync($"select count(*) from ledger_refusals where teacher_id = '{teacherId}'")); // a re-send is not 重复参训
        var transcript = await Send(As(Roles.Teacher, School, teacherId), HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK);
        Assert.Equal(6m, transcript.GetProperty("totalHours").GetDecimal());
    }
}
