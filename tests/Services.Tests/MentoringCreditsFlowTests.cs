using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Mentoring and Credits side by side on the real servers: a mentoring activity confirmed by the school travels
/// Mentoring's outbox → RabbitMQ → Credits' inbox and becomes one ledger entry, however often it is delivered.
/// </summary>
public sealed class MentoringCreditsFlowTests : MentoringTestBase
{
    private ServiceFactory<CreditsApi> _credits = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _credits = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CreditsApi.DatabaseName);
        // Other tests announce program years on the shared broker, some with this calendar year's registration already
        // closed; this test's Credits keeps the year open whatever arrives, as an operator's reopening would.
        await using var connection = await CreditsDb.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into year_reopenings (year, reopened_to, reason, reopened_by, reopened_at) values (@Year, @Until, '测试：本年度登记开放', 'test', now())
            """, new { Today.Year, Until = Today.AddDays(30) });
    }

    public override async Task DisposeAsync()
    {
        await _credits.DisposeAsync();
        await base.DisposeAsync();
    }

    private NpgsqlDataSource CreditsDb => _credits.Services.GetRequiredService<NpgsqlDataSource>();

    private async Task<long> CreditsCountAsync(string sql, object parameters)
    {
        await using var connection = await CreditsDb.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    [Fact]
    public async Task A_confirmed_mentoring_session_reaches_the_Credits_transcript_exactly_once_even_when_delivered_twice()
    {
        var mentor = await TeacherAsync("S1", "数学", new DateOnly(2003, 9, 1), Tiers.Backbone, "导师甲");
        var mentee = await TeacherAsync("S1", "数学", Today.AddMonths(-2), Tiers.NewTeacher, "新教师乙");
        await TeachersArrivedAsync();
        await Eventually.HoldsAsync(async () => await CreditsCountAsync("select count(*) from teachers where id = @Id", new { Id = mentor }) == 1,
            TimeSpan.FromSeconds(90), "the mentor to reach credits");

        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 3 });
        var pairing = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/mentor-pairings", new { mentorId = mentor, menteeId = mentee },
            HttpStatusCode.Created);
        var pairingId = pairing.GetProperty("pairingId").GetGuid();

        // Only the mentor logs, only what has happened, hours within a day; the same session twice is one.
        var session = new { title = "课堂教学诊断：一次函数", heldOn = Today, hours = 2, description = "听课一节，课后交流改进意见" };
        await SendOk(Teacher(mentee), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities", session, HttpStatusCode.NotFound);
        var invalid = await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities",
            new { title = "", heldOn = Today, hours = 9 }, HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("hours", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("title", out _));
        var future = await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities",
            session with { heldOn = Today.AddDays(1) }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("activity-date", future.GetProperty("rule").GetString());
        var logged = await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities", session,
            HttpStatusCode.Created);
        await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities", session, HttpStatusCode.Conflict);
        var activityId = logged.GetProperty("id").GetGuid();

        // The mentee's school confirms it, once; another school cannot see it; nothing is announced before.
        await SendOk(SchoolAdmin("S2"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" },
            HttpStatusCode.NotFound);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "maybe" },
            HttpStatusCode.BadRequest);
        Assert.Equal(0, await CountAsync("select count(*) from outbox_messages where message_type like '%MentoringActivityCredited%'"));
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" });
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" },
            HttpStatusCode.Conflict);

        var sourceRef = $"mentoring:{activityId}";
        await Eventually.HoldsAsync(async () => await CreditsCountAsync("select count(*) from ledger_entries where source_ref = @Ref", new { Ref = sourceRef }) == 1,
            TimeSpan.FromSeconds(90), "the confirmed activity to reach the ledger");

        // Delivered again: the outbox sends the same row once more, as after a crash between publishing and marking it
        // sent (same message id: the inbox drops it) …
        (Guid MessageId, string Body) sent;
        await using (var connection = await Db.OpenConnectionAsync())
        {
            sent = await connection.QuerySingleAsync<(Guid, string)>(
                "select message_id, body::text from outbox_messages where message_type like '%MentoringActivityCredited%'");
            await connection.ExecuteAsync("update outbox_messages set sent_at = null where message_id = @Id", new { Id = sent.MessageId });
        }
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from outbox_messages where message_id = @Id and sent_at is not null",
            new { Id = sent.MessageId }) == 1, TimeSpan.FromSeconds(60), "the outbox to send the activity again");
        // … and a copy under a new message id (the activity as source reference posts it once).
        var copyId = Guid.NewGuid();
        var copy = JsonSerializer.Deserialize<MentoringActivityCredited>(sent.Body, MessageTypes.JsonOptions)!;
        await Mentoring.Services.GetRequiredService<IBus>().Publish(copy, context => context.MessageId = copyId);
        await Eventually.HoldsAsync(async () => await CreditsCountAsync("select count(*) from inbox_messages where message_id = @Id", new { Id = copyId }) == 1,
            TimeSpan.FromSeconds(90), "the copy to be handled by credits");

        Assert.Equal(1, await CreditsCountAsync("select count(*) from ledger_entries where source_ref = @Ref", new { Ref = sourceRef }));
        Assert.Equal(0, await CreditsCountAsync("select count(*) from ledger_refusals where source_ref = @Ref", new { Ref = sourceRef }));
        using var transcriptClient = _credits.CreateClient();
        transcriptClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            Tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object> { ["teacher"] = mentor.ToString(), ["name"] = "导师甲" }));
        var transcript = await SendOk(transcriptClient, HttpMethod.Get, "/api/credits/me/transcript");
        Assert.Equal(2m, transcript.GetProperty("totalHours").GetDecimal());
        var entry = Assert.Single(transcript.GetProperty("entries").EnumerateArray());
        Assert.Equal("mentoring", entry.GetProperty("source").GetString());
        Assert.Equal("指导带教", entry.GetProperty("sourceName").GetString());
        Assert.Equal("导师带教：课堂教学诊断：一次函数（徒弟新教师乙）", entry.GetProperty("title").GetString());
        Assert.Equal(TrainingLevels.School, entry.GetProperty("level").GetString());
        Assert.Equal(CourseCategories.SchoolBased, entry.GetProperty("category").GetString());
        Assert.Equal(Today.Year, entry.GetProperty("year").GetInt32());
    }

    [Fact]
    public async Task An_activity_confirmed_after_its_years_registration_closed_is_refused_with_the_reason()
    {
        // A year long closed, known only to this test's Credits (no test announces 2020), and never reopened.
        await using (var connection = await CreditsDb.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                insert into program_years (id, code, year, credit_registration_closes, version) values (@Id, 'mentoring-2020', 2020, '2020-12-31', 1)
                """, new { Id = Guid.NewGuid() });
        }
        var teacher = Guid.NewGuid();
        var activity = new MentoringActivityCredited(Guid.NewGuid(), teacher, MentoringActivityKinds.SchoolSupport, "对口帮扶：送教下乡（S2校）", 4,
            CourseCategories.SchoolBased, DeliveryModes.SchoolBased, TrainingLevels.County, 2020, new DateOnly(2020, 11, 2), "S2校管理员",
            DateTimeOffset.UtcNow);
        await Mentoring.Services.GetRequiredService<IBus>().Publish(activity);

        var sourceRef = $"mentoring:{activity.ActivityId}";
        await Eventually.HoldsAsync(async () => await CreditsCountAsync("select count(*) from ledger_refusals where source_ref = @Ref", new { Ref = sourceRef }) == 1,
            TimeSpan.FromSeconds(90), "the late activity to be refused");
        Assert.Equal(0, await CreditsCountAsync("select count(*) from ledger_entries where teacher_id = @Id", new { Id = teacher }));
        await using var check = await CreditsDb.OpenConnectionAsync();
        Assert.Contains("2020 年度学分登记已于 2020-12-31 截止", await check.ExecuteScalarAsync<string>(
            "select reason from ledger_refusals where source_ref = @Ref", new { Ref = sourceRef }));
    }
}
