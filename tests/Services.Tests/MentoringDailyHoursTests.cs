using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using TrainingPlatform.Contracts.Reference;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A person's day has limited credited hours across every activity they log (mentor sessions, support days, guidance),
/// also when two logs arrive at once; rejected activities give their hours back.
/// </summary>
public sealed class MentoringDailyHoursTests : MentoringTestBase
{
    [Fact]
    public async Task A_day_holds_at_most_the_cap_across_all_activities_even_when_two_arrive_at_once()
    {
        var backbone = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "骨干甲");
        var mentee = await TeacherAsync("S1", "数学", Today.AddMonths(-2), Tiers.NewTeacher, "新教师乙");
        await TeachersArrivedAsync();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{backbone}", new { capacity = 3 });
        var mentorPairing = (await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/mentor-pairings",
            new { mentorId = backbone, menteeId = mentee }, HttpStatusCode.Created)).GetProperty("pairingId").GetGuid();
        var county = DistrictAdmin("371602");
        await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/S2/support-target", new { reason = "青年教师多、骨干少" });
        var supportPairing = (await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" },
            HttpStatusCode.Created)).GetProperty("pairingId").GetGuid();

        // Two sessions of 5 hours at once: the day holds 8, so exactly one is logged.
        var responses = await Task.WhenAll(new[] { "听课诊断", "教案指导" }.Select(async title =>
        {
            using var client = Teacher(backbone);
            using var response = await client.PostAsJsonAsync($"/api/mentoring/mentor-pairings/{mentorPairing}/activities",
                new { title, heldOn = Today, hours = 5 });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Contains("daily-hours-exceeded", refused.Body);
        Assert.Equal(1, await CountAsync("select count(*) from mentoring_activities where teacher_id = @Id", new { Id = backbone }));

        // A support day on the same day counts toward the same cap: refused, naming the day and the hours already logged,
        // and nothing is recorded.
        var day = Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var over = await SendOk(Teacher(backbone), HttpMethod.Post, $"/api/mentoring/support-pairings/{supportPairing}/activities",
            new { title = "送教下乡", heldOn = Today, hours = 4 }, HttpStatusCode.Conflict);
        Assert.Equal("daily-hours-exceeded", over.GetProperty("rule").GetString());
        Assert.Equal("hours", over.GetProperty("field").GetString());
        Assert.Contains(day, over.GetProperty("detail").GetString());
        Assert.Contains("已登记 5 学时", over.GetProperty("detail").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from mentoring_activities where teacher_id = @Id", new { Id = backbone }));
        await SendOk(Teacher(backbone), HttpMethod.Post, $"/api/mentoring/support-pairings/{supportPairing}/activities",
            new { title = "送教下乡", heldOn = Today, hours = 3 }, HttpStatusCode.Created);

        // A rejected session gives its hours back; what waits and what is confirmed keep theirs.
        var session = await CountAsync("select count(*) from mentoring_activities where teacher_id = @Id and kind = 'mentoring_session'", new { Id = backbone });
        Assert.Equal(1, session);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            var sessionId = await connection.ExecuteScalarAsync<Guid>(
                "select id from mentoring_activities where teacher_id = @Id and kind = 'mentoring_session'", new { Id = backbone });
            await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{sessionId}/decisions",
                new { decision = "reject", reason = "与教研活动重复" });
        }
        await SendOk(Teacher(backbone), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{mentorPairing}/activities",
            new { title = "课后交流", heldOn = Today, hours = 5 }, HttpStatusCode.Created);
        var full = await SendOk(Teacher(backbone), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{mentorPairing}/activities",
            new { title = "补充交流", heldOn = Today, hours = 0.5 }, HttpStatusCode.Conflict);
        Assert.Contains("已登记 8 学时", full.GetProperty("detail").GetString());
        Assert.Equal(3, await CountAsync("select count(*) from mentoring_activities where teacher_id = @Id", new { Id = backbone }));
    }
}
