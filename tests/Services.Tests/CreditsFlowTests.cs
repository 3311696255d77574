using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>The Credits service on the real servers, fed with the other services' events through the real broker.</summary>
public sealed class CreditsFlowTests : CreditsTestBase
{

    private Task PublishAsync<T>(T message) where T : class => CreditsService.Services.GetRequiredService<IBus>().Publish(message);

    private async Task<Guid> TeacherAsync(string school = "37/3716/371602/S1", string name = "李老师")
    {
        var id = Guid.NewGuid();
        await PublishAsync(new TeacherProfileChanged(id, 1, "371602199001010011", name, new(1990, 1, 1), "female", Guid.NewGuid(), school, "primary",
            "语文", new(2012, 9, 1), true, false, null, "backbone", true, TeacherChanges.Registered, DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () => await CountAsync($"select count(*) from teachers where id = '{id}'") == 1, TimeSpan.FromSeconds(90),
            "the teacher to reach credits");
        return id;
    }

    private static CourseCompleted Completion(Guid teacher, Guid enrollment, Guid content, decimal hours = 4) =>
        new(enrollment, teacher, Guid.NewGuid(), content, "班级管理的理念与方法", hours, "class_teacher", "online", "provincial", Guid.NewGuid(),
            Today.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), "elective", DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_completed_course_posts_exactly_one_entry_and_the_same_content_never_earns_twice_in_a_cycle()
    {
        var teacher = await TeacherAsync();
        var content = Guid.NewGuid();
        var enrollment = Guid.NewGuid();
        await PublishAsync(Completion(teacher, enrollment, content));
        await PublishAsync(Completion(teacher, enrollment, content)); // the same completion again, as a new message
        await PublishAsync(Completion(teacher, Guid.NewGuid(), content)); // the same content through another enrollment
        await Eventually.HoldsAsync(async () => await CountAsync($"select count(*) from ledger_refusals where teacher_id = '{teacher}'") == 1,
            TimeSpan.FromSeconds(90), "the repeated content to be refused");

        var transcript = await Send(As(Roles.Teacher, teacher: teacher), HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK);
        Assert.Equal(4m, transcript.GetProperty("totalHours").GetDecimal());
        var entry = Assert.Single(transcript.GetProperty("entries").EnumerateArray());
        Assert.Equal("课程完成", entry.GetProperty("sourceName").GetString());
        Assert.Contains("重复参训", transcript.GetProperty("notCounted")[0].GetProperty("reason").GetString());

        // Another teacher sees none of it; the school above does.
        await Send(As(Roles.Teacher, teacher: Guid.NewGuid()), HttpMethod.Get, $"/api/credits/teachers/{teacher}/transcript", null, HttpStatusCode.NotFound);
        await Send(As(Roles.SchoolAdmin, "37/3716/371602/S1"), HttpMethod.Get, $"/api/credits/teachers/{teacher}/transcript", null, HttpStatusCode.OK);
        await Send(As(Roles.SchoolAdmin, "37/3716/371602/S2"), HttpMethod.Get, $"/api/credits/teachers/{teacher}/transcript", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_offline_credit_goes_through_all_four_steps_with_a_rejection_and_a_resubmission()
    {
        var teacherId = await TeacherAsync();
        var teacher = As(Roles.Teacher, teacher: teacherId);
        var application = new
        {
            title = "省级骨干教师集中培训", hours = 24, category = "subject", mode = "concentrated", level = "provincial", source = "external_training",
            occurredOn = Today.AddDays(-10), attachmentRef = "附件-2026-001",
        };
        await Send(teacher, HttpMethod.Post, "/api/credits/applications", application, HttpStatusCode.Created);
        var bad = await Send(teacher, HttpMethod.Post, "/api/credits/applications", new { title = "", hours = -1 }, HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("attachmentRef", out _));
        var id = (await Send(teacher, HttpMethod.Get, "/api/credits/applications", null, HttpStatusCode.OK))[0].GetProperty("id").GetGuid();

        var school = As(Roles.SchoolAdmin, "37/3716/371602/S1");
        var research = As(Roles.ResearchOffice, "37/3716/371602");
        var otherResearch = As(Roles.ResearchOffice, "37/3704/370402");
        var training = As(Roles.TrainingInstitution, "37/3716");

        // Out of order or out of scope is refused and changes nothing.
        await Send(research, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.Forbidden);
        await Send(school, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.OK);
        await Send(otherResearch, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.NotFound);
        await Send(research, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "reject" }, HttpStatusCode.BadRequest);
        var rejected = await Send(research, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "reject", reason = "证明材料不清晰" },
            HttpStatusCode.OK);
        Assert.Equal("rejected", rejected.GetProperty("application").GetProperty("status").GetString());

        await Send(teacher, HttpMethod.Put, $"/api/credits/applications/{id}", application, HttpStatusCode.OK);
        await Send(teacher, HttpMethod.Post, $"/api/credits/applications/{id}/resubmit", null, HttpStatusCode.OK);
        await Send(school, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.OK);
        Assert.Equal(1, (await Send(research, HttpMethod.Get, "/api/credits/applications", null, HttpStatusCode.OK)).GetArrayLength());
        await Send(research, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.OK);
        var registered = await Send(training, HttpMethod.Post, $"/api/credits/applications/{id}/decisions", new { decision = "approve" }, HttpStatusCode.OK);
        Assert.Equal("已登记", registered.GetProperty("statusName").GetString());
        var steps = registered.GetProperty("steps").EnumerateArray().Select(s => $"{s.GetProperty("step").GetString()}:{s.GetProperty("decision").GetString()}");
        Assert.Equal(["apply:submitted", "review:approved", "certify:rejected", "amend:amended", "apply:resubmitted", "review:approved", "certify:approved",
            "register:approved"], steps);

        var transcript = await Send(teacher, HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK);
        Assert.Equal(24m, transcript.GetProperty("totalHours").GetDecimal());
        Assert.Equal(8, await CountAsync($"select count(*) from credit_application_steps where application_id = '{id}'"));
        Assert.Equal(5, await CountAsync("select count(*) from outbox_messages where message_type like '%CreditApplicationDecided%'"));
    }

    [Fact]
    public async Task Meeting_the_policy_issues_a_certificate_anyone_can_verify_and_a_correction_revokes_it()
    {
        var operatorClient = As(Roles.PlatformOperator);
        await Send(operatorClient, HttpMethod.Put, "/api/credits/policies/test-10", new
        {
            name = "测试：五年 10 学时", cycleYears = 5, firstCycleYear = 2026,
            rules = new[] { new { key = "cycle-total", label = "周期总学时", period = "cycle", minHours = 10, filter = new { }, appliesTo = "all" } },
        }, HttpStatusCode.OK);
        await Send(operatorClient, HttpMethod.Post, "/api/credits/policies/test-10/activate", null, HttpStatusCode.OK);

        var teacherId = await TeacherAsync(name: "王小明");
        var teacher = As(Roles.Teacher, teacher: teacherId);
        var school = As(Roles.SchoolAdmin, "37/3716/371602/S1");
        var registration = new { batchId = "2026-校本-01", title = "校本研修：同课异构", hours = 12, occurredOn = Today, teacherIds = new[] { teacherId } };
        var posted = await Send(school, HttpMethod.Post, "/api/credits/school-based", registration, HttpStatusCode.OK);
        Assert.Equal(1, posted.GetProperty("posted").GetInt32());
        var again = await Send(school, HttpMethod.Post, "/api/credits/school-based", registration, HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("posted").GetInt32());
        await Send(As(Roles.SchoolAdmin, "37/3716/371602/S2"), HttpMethod.Post, "/api/credits/school-based",
            registration with { batchId = "x" }, HttpStatusCode.BadRequest);

        JsonElement certificates = default;
        await Eventually.HoldsAsync(async () =>
        {
            certificates = await Send(teacher, HttpMethod.Get, "/api/credits/me/certificates", null, HttpStatusCode.OK);
            return certificates.GetArrayLength() == 1;
        }, TimeSpan.FromSeconds(90), "the certificate to be issued");
        var number = certificates[0].GetProperty("number").GetString()!;
        var anonymous = CreditsService.CreateClient();
        var verified = await Send(anonymous, HttpMethod.Get, $"/api/credits/certificates/{number}/verify", null, HttpStatusCode.OK);
        Assert.Equal(("王**", true), (verified.GetProperty("holder").GetString(), verified.GetProperty("valid").GetBoolean()));
        var page = await teacher.GetStringAsync($"/api/credits/certificates/{number}/print");
        Assert.Contains("继续教育合格证", page);
        Assert.Contains(number, page);
        var compliance = await Send(teacher, HttpMethod.Get, "/api/credits/me/compliance", null, HttpStatusCode.OK);
        Assert.Equal("met", compliance.GetProperty("overall").GetString());

        var entryId = (await Send(teacher, HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK)).GetProperty("entries")[0]
            .GetProperty("id").GetGuid();
        await Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/entries/{entryId}/reverse", new { reason = "活动未实际开展" },
            HttpStatusCode.Created);
        var reversedTwice = await Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/entries/{entryId}/reverse", new { reason = "again" },
            HttpStatusCode.Conflict);
        Assert.Equal("already-reversed", reversedTwice.GetProperty("rule").GetString());
        await Eventually.HoldsAsync(async () =>
            !(await Send(anonymous, HttpMethod.Get, $"/api/credits/certificates/{number}/verify", null, HttpStatusCode.OK)).GetProperty("valid").GetBoolean(),
            TimeSpan.FromSeconds(90), "the certificate to be revoked");
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%CertificateRevoked%'"));
        Assert.Equal(0m, (await Send(teacher, HttpMethod.Get, "/api/credits/me/transcript", null, HttpStatusCode.OK)).GetProperty("totalHours").GetDecimal());
    }

    [Fact]
    public async Task A_closed_year_refuses_late_registration_until_an_operator_reopens_it()
    {
        var teacherId = await TeacherAsync();
        // A year some years back: the tests running beside this one announce program years around today on the same
        // broker, and a later deadline of the same calendar year would keep its registration open.
        var past = Today.AddYears(-3);
        await PublishAsync(new ProgramYearScheduled(Guid.NewGuid(), "closed", "已结束的年度", 36, 14,
            new ProgramYearWindows(past.AddDays(-60), past.AddDays(-50), past.AddDays(-45), past.AddDays(-44), past.AddDays(-30), past.AddDays(-5),
                past.AddDays(-1)), 1, DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from program_years where code = 'closed'") == 1,
            TimeSpan.FromSeconds(90), "the year");
        var school = As(Roles.SchoolAdmin, "37/3716/371602/S1");
        var registration = new { batchId = "late-1", title = "补登校本研修", hours = 3, occurredOn = past.AddDays(-20), teacherIds = new[] { teacherId } };
        var refused = await Send(school, HttpMethod.Post, "/api/credits/school-based", registration, HttpStatusCode.Conflict);
        Assert.Contains("截止", refused.GetProperty("detail").GetString());
        Assert.Equal("registration-closed", refused.GetProperty("rule").GetString());
        // This teacher's only: a mentoring activity another test class publishes reaches every Credits on the broker.
        Assert.Equal(0, await CountAsync($"select count(*) from ledger_entries where teacher_id = '{teacherId}'"));

        await Send(As(Roles.PlatformOperator), HttpMethod.Post, $"/api/credits/years/{past.AddDays(-30).Year}/reopen",
            new { until = Today.AddDays(7), reason = "暴雨停电，补登一周" }, HttpStatusCode.Created);
        await Send(school, HttpMethod.Post, "/api/credits/school-based", registration, HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_district_issues_its_certificates_in_bulk_and_sees_completion_by_school_and_as_a_spreadsheet()
    {
        var operatorClient = As(Roles.PlatformOperator);
        await Send(operatorClient, HttpMethod.Put, "/api/credits/policies/test-bulk", new
        {
            name = "测试：五年 10 学时", cycleYears = 5, firstCycleYear = 2026,
            rules = new[] { new { key = "cycle-total", label = "周期总学时", period = "cycle", minHours = 10, filter = new { }, appliesTo = "all" } },
        }, HttpStatusCode.OK);
        await Send(operatorClient, HttpMethod.Post, "/api/credits/policies/test-bulk/activate", null, HttpStatusCode.OK);
        // A county of this test's own: the broker is shared with the test classes running beside it, whose teachers in
        // the usual demo schools reach this Credits too and would count in the district's roll-up.
        var county = $"37/3716/{Guid.NewGuid():N}";
        var done = await TeacherAsync(school: $"{county}/S1", name: "赵一");
        var behind = await TeacherAsync(school: $"{county}/S2", name: "钱二");
        await TeacherAsync(school: "37/3704/370402/S9", name: "孙三"); // another city: outside the district
        await Send(As(Roles.SchoolAdmin, $"{county}/S1"), HttpMethod.Post, "/api/credits/school-based",
            new { batchId = "b1", title = "校本研修", hours = 12, occurredOn = Today, teacherIds = new[] { done } }, HttpStatusCode.OK);
        await Send(As(Roles.SchoolAdmin, $"{county}/S2"), HttpMethod.Post, "/api/credits/school-based",
            new { batchId = "b2", title = "校本研修", hours = 2, occurredOn = Today, teacherIds = new[] { behind } }, HttpStatusCode.OK);

        var district = As(Roles.DistrictAdmin, county);
        var job = await Send(district, HttpMethod.Post, "/api/credits/certificates/bulk", new { }, HttpStatusCode.Accepted);
        var id = job.GetProperty("id").GetGuid();
        JsonElement status = default;
        await Eventually.HoldsAsync(async () =>
        {
            status = await Send(district, HttpMethod.Get, $"/api/credits/certificates/bulk/{id}", null, HttpStatusCode.OK);
            return status.GetProperty("status").GetString() == "succeeded";
        }, TimeSpan.FromSeconds(90), "the bulk job to finish");
        Assert.Equal((2, 2, 1), (status.GetProperty("total").GetInt32(), status.GetProperty("done").GetInt32(), status.GetProperty("certificates").GetInt32()));
        var file = await district.GetStringAsync($"/api/credits/certificates/bulk/{id}/download");
        Assert.Contains("赵一", file);
        Assert.DoesNotContain("钱二", file);
        await Send(As(Roles.DistrictAdmin, "37/3704"), HttpMethod.Get, $"/api/credits/certificates/bulk/{id}", null, HttpStatusCode.NotFound);

        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from compliance") >= 3, TimeSpan.FromSeconds(90), "standings to be kept");
        var rollup = await Send(district, HttpMethod.Get, "/api/credits/reports/compliance", null, HttpStatusCode.OK);
        var units = rollup.GetProperty("units").EnumerateArray().ToDictionary(u => u.GetProperty("unit").GetString()!);
        Assert.Equal([$"{county}/S1", $"{county}/S2"], units.Keys.Order());
        Assert.Equal((1, 1), (units[$"{county}/S1"].GetProperty("met").GetInt64(), units[$"{county}/S1"].GetProperty("certificates").GetInt64()));
        using var export = await district.GetAsync("/api/credits/reports/teachers/export");
        using var workbook = new ClosedXML.Excel.XLWorkbook(await export.Content.ReadAsStreamAsync());
        var sheet = workbook.Worksheet(1);
        Assert.Equal("达标情况", sheet.Cell(1, 6).GetString());
        Assert.Equal(3, sheet.LastRowUsed()!.RowNumber()); // header + the district's two teachers
        await Send(district, HttpMethod.Get, "/api/credits/reports/compliance?under=37/3704", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Two_evaluations_of_a_teachers_first_standing_at_once_count_them_once_in_their_schools_roll_up()
    {
        // The evaluator and a district's bulk issue can evaluate a new teacher at the same moment; neither finds a
        // standing before its own, and each used to count the teacher into the school (a school of one showed 2 met).
        var school = $"37/3716/{Guid.NewGuid():N}/S1";
        var teacher = Guid.NewGuid();
        var standing = new Standing(new ComplianceResult(2026, 2030, "on_track", [], [], false, "进度正常"), school, InPost: true, Hours: 12m);
        await using var first = await UnitOfWork.BeginAsync(Db, CancellationToken.None);
        var policy = await PolicyStore.ActiveAsync(first.Connection, first.Transaction, CancellationToken.None);
        await ComplianceStore.SaveAllAsync(first, [(teacher, standing)], policy, DateTimeOffset.UtcNow, CancellationToken.None);

        var secondBackend = new TaskCompletionSource<int>();
        var second = Task.Run(async () =>
        {
            await using var unitOfWork = await UnitOfWork.BeginAsync(Db, CancellationToken.None);
            secondBackend.SetResult(unitOfWork.Connection.ProcessID);
            await ComplianceStore.SaveAllAsync(unitOfWork, [(teacher, standing)], policy, DateTimeOffset.UtcNow, CancellationToken.None);
            await unitOfWork.CommitAsync(CancellationToken.None);
        });
        var pid = await secondBackend.Task;
        await Eventually.HoldsAsync(async () => await CountAsync($"select count(*) from pg_stat_activity where pid = {pid} and wait_event_type = 'Lock'") == 1,
            TimeSpan.FromSeconds(60), "the second evaluation to wait for the first");
        await first.CommitAsync(CancellationToken.None);
        await second;

        var rollup = await Db.OpenConnectionAsync();
        await using (rollup)
        {
            Assert.Equal((1, 1), await rollup.QuerySingleAsync<(int, int)>(
                "select teachers, on_track from school_rollups where school_path = @School and cycle_start = 2026", new { School = school }));
        }
    }
}
