using System.Net;
using Dapper;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Mentoring's privileged writes (mentors, pairings, support targets and pairings, studios) each leave one audit record
/// naming the actor and the record; refused ones leave none, and a teacher reaching for an admin's operation leaves an
/// access-refused security event instead.
/// </summary>
public sealed class MentoringAuditTests : MentoringTestBase
{
    private async Task<List<(string Action, string TargetKind, string TargetId, string ActorLogin)>> PrivilegedRecordsAsync()
    {
        await AuditRows.SealAsync(Mentoring.Services);
        await using var connection = await Db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(string, string, string, string)>(
            $"select action, target_kind, target_id, actor_login from audit_records where {AuditRows.NotSecurityEvents} order by seq")];
    }

    [Fact]
    public async Task Mentor_support_and_studio_changes_are_recorded_once_each_and_refused_ones_not_at_all()
    {
        var mentor = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "导师审");
        var mentee = await TeacherAsync("S1", "数学", Today.AddMonths(-6), Tiers.NewTeacher, "新教师审");
        var backbone = await TeacherAsync("S1", "语文", new DateOnly(2000, 9, 1), Tiers.Backbone, "骨干审");
        var master = await TeacherAsync("S1", "英语", new DateOnly(1995, 9, 1), Tiers.Master, "名师审");
        await TeachersArrivedAsync();
        var school = SchoolAdmin("S1");
        var county = DistrictAdmin("371602");

        // Refused before anything is written: out of scope, invalid, and a teacher at an admin's operation.
        await SendOk(SchoolAdmin("S3"), HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 2 }, HttpStatusCode.NotFound);
        await SendOk(school, HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 0 }, HttpStatusCode.BadRequest);
        await SendOk(Teacher(mentee), HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 2 }, HttpStatusCode.Forbidden);

        await SendOk(school, HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 2 });
        var pairing = (await SendOk(school, HttpMethod.Post, "/api/mentoring/mentor-pairings", new { mentorId = mentor, menteeId = mentee },
            HttpStatusCode.Created)).GetProperty("pairingId").GetGuid();
        await SendOk(school, HttpMethod.Post, "/api/mentoring/mentor-pairings", new { mentorId = mentor, menteeId = mentee }, HttpStatusCode.Conflict);
        await SendOk(school, HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairing}/end", new { reason = "导师调离本校" });

        await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/S2/support-target", new { reason = "青年教师多、骨干少" });
        var support = (await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" },
            HttpStatusCode.Created)).GetProperty("pairingId").GetGuid();
        await SendOk(county, HttpMethod.Delete, "/api/mentoring/organisations/S2/support-target", null, HttpStatusCode.Conflict);
        await SendOk(county, HttpMethod.Post, $"/api/mentoring/support-pairings/{support}/end", new { reason = "调任" });
        await SendOk(county, HttpMethod.Delete, "/api/mentoring/organisations/S2/support-target", null, HttpStatusCode.NoContent);

        var studio = (await SendOk(county, HttpMethod.Post, "/api/mentoring/organisations/371602/studios", new { name = "审计名师工作室", masterId = master },
            HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await SendOk(county, HttpMethod.Put, $"/api/mentoring/studios/{studio}/members/{mentee}");
        await SendOk(county, HttpMethod.Put, $"/api/mentoring/studios/{studio}/members/{mentee}", null, HttpStatusCode.Conflict);

        Assert.Equal(
            [
                ("mentor-marked", "teacher", mentor.ToString(), "S1管理员"),
                ("mentor-pairing-created", "mentor-pairing", pairing.ToString(), "S1管理员"),
                ("mentor-pairing-ended", "mentor-pairing", pairing.ToString(), "S1管理员"),
                ("support-target-marked", "school", "S2", "371602管理员"),
                ("support-pairing-created", "support-pairing", support.ToString(), "371602管理员"),
                ("support-pairing-ended", "support-pairing", support.ToString(), "371602管理员"),
                ("support-target-unmarked", "school", "S2", "371602管理员"),
                ("studio-created", "studio", studio.ToString(), "371602管理员"),
                ("studio-member-added", "studio", studio.ToString(), "371602管理员"),
            ],
            await PrivilegedRecordsAsync());
        Assert.Equal(1, await CountAsync($"select count(*) from audit_records where action = 'mentor-pairing-ended' and summary like '%导师调离本校%'"));

        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from audit_records where action = 'access-refused'") == 1,
            TimeSpan.FromSeconds(60), "the teacher's access-refused record");
        Assert.Equal(1, await CountAsync($"""
            select count(*) from audit_records
            where action = 'access-refused' and actor_role = 'teacher' and target_id = 'PUT /api/mentoring/mentors/{mentor}'
            """));
    }
}
