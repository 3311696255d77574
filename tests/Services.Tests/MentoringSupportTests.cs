using System.Net;
using TrainingPlatform.Contracts.Reference;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>对口帮扶 and guides' activities: who may support which school, the period, ending early, and confirmation by the served school.</summary>
public sealed class MentoringSupportTests : MentoringTestBase
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Mentoring:GroupSize"] = "2", ["Mentoring:MinTeachersForSchoolGroup"] = "2",
    };

    [Fact]
    public async Task A_district_pairs_a_backbone_teacher_with_a_school_it_marked_weak_for_a_period_and_the_school_confirms_the_days()
    {
        var backbone = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "骨干甲");
        var rising = await TeacherAsync("S1", "数学", new DateOnly(2015, 9, 1), Tiers.Rising, "扬帆乙");
        await TeachersArrivedAsync();
        var county = DistrictAdmin("371602");

        // Only a district marks, only schools, always with a reason.
        await SendOk(SchoolAdmin("S2"), HttpMethod.Put, "/api/mentoring/organisations/S2/support-target", new { reason = "师资薄弱" }, HttpStatusCode.Forbidden);
        var bad = await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/S2/support-target", new { reason = " " }, HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("errors").TryGetProperty("reason", out _));
        var notSchool = await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/371602/support-target", new { reason = "师资薄弱" },
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("support-target-kind", notSchool.GetProperty("rule").GetString());
        await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/S4/support-target", new { reason = "师资薄弱" }, HttpStatusCode.NotFound);

        // Not yet marked: refused, nothing stored.
        var unmarked = await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" },
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("not-a-support-target", unmarked.GetProperty("rule").GetString());
        await SendOk(county, HttpMethod.Put, "/api/mentoring/organisations/S2/support-target", new { reason = "青年教师多、骨干少" });
        var target = Assert.Single((await SendOk(SchoolAdmin("S2"), HttpMethod.Get, "/api/mentoring/support-targets")).EnumerateArray());
        Assert.Equal(PathOf("S2"), target.GetProperty("schoolPath").GetString());
        Assert.Equal(0, target.GetProperty("activePairings").GetInt32());

        var tier = await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = rising, schoolCode = "S2" },
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("support-teacher", tier.GetProperty("rule").GetString());
        await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2", years = 9 },
            HttpStatusCode.BadRequest);
        await SendOk(DistrictAdmin("370402"), HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" },
            HttpStatusCode.NotFound);
        Assert.Equal("startsOn", (await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings",
            new { teacherId = backbone, schoolCode = "S2", startsOn = Today.AddDays(1) }, HttpStatusCode.BadRequest)).GetProperty("field").GetString());
        var paired = await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" },
            HttpStatusCode.Created);
        Assert.Equal(TrainingLevels.County, paired.GetProperty("level").GetString());
        Assert.Equal(Today.AddYears(1).AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            paired.GetProperty("endsOn").GetString());
        await SendOk(county, HttpMethod.Post, "/api/mentoring/support-pairings", new { teacherId = backbone, schoolCode = "S2" }, HttpStatusCode.Conflict);
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%SchoolSupportPaired%'"));
        var pairingId = paired.GetProperty("pairingId").GetGuid();
        var mine = await SendOk(Teacher(backbone), HttpMethod.Get, "/api/mentoring/support-pairings");
        Assert.Equal(pairingId, Assert.Single(mine.EnumerateArray()).GetProperty("id").GetGuid());

        // The supporting teacher logs a day there; the weak school confirms it; the credit is announced once.
        var activity = new { title = "送教下乡：示范课与评课", heldOn = Today, hours = 4, description = "初二数学示范课一节，评课两节" };
        await SendOk(Teacher(rising), HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/activities", activity, HttpStatusCode.NotFound);
        var logged = await SendOk(Teacher(backbone), HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/activities", activity,
            HttpStatusCode.Created);
        var activityId = logged.GetProperty("id").GetGuid();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" },
            HttpStatusCode.NotFound);
        var waiting = await SendOk(SchoolAdmin("S2"), HttpMethod.Get, "/api/mentoring/mentoring-activities?status=logged");
        Assert.Equal("对口帮扶：送教下乡：示范课与评课（S2校）", Assert.Single(waiting.EnumerateArray()).GetProperty("creditTitle").GetString());
        await SendOk(SchoolAdmin("S2"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" });
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%MentoringActivityCredited%' and body->>'level' = 'county'"));

        // Still supporting: the mark stays. Ending early needs a reason, happens once, and is announced.
        await SendOk(county, HttpMethod.Delete, "/api/mentoring/organisations/S2/support-target", null, HttpStatusCode.Conflict);
        await SendOk(county, HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/end", new { reason = "" }, HttpStatusCode.BadRequest);
        await SendOk(SchoolAdmin("S2"), HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/end", new { reason = "调离" }, HttpStatusCode.Forbidden);
        var ended = await SendOk(county, HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/end", new { reason = "骨干甲借调市教研室" });
        Assert.Equal("ended", ended.GetProperty("status").GetString());
        await SendOk(county, HttpMethod.Post, $"/api/mentoring/support-pairings/{pairingId}/end", new { reason = "again" }, HttpStatusCode.Conflict);
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%SchoolSupportEnded%'"));
        await SendOk(county, HttpMethod.Delete, "/api/mentoring/organisations/S2/support-target", null, HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_guide_logs_a_session_with_their_group_and_the_groups_school_confirms_it()
    {
        await YearAsync("2071");
        var maths = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            maths.Add(await TeacherAsync("S1", "数学", new DateOnly(2000 + i, 9, 1)));
        }
        var guideTeacher = await TeacherAsync("S2", "数学", new DateOnly(1998, 9, 1), Tiers.Backbone, "指导教师丙");
        await TeachersArrivedAsync();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2071/organisations/S1/study-groups", null, HttpStatusCode.Created);
        await SendOk(DistrictAdmin("371602"), HttpMethod.Post, "/api/mentoring/organisations/371602/guides", new { teacherId = guideTeacher },
            HttpStatusCode.Created);
        var run = await SendOk(DistrictAdmin("371602"), HttpMethod.Post, "/api/mentoring/years/2071/organisations/371602/guide-assignments");
        var groupId = Assert.Single(run.GetProperty("assignments").EnumerateArray()).GetProperty("groupId").GetGuid();

        var session = new { title = "集体备课指导", heldOn = Today, hours = 2 };
        await SendOk(Teacher(maths[0]), HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities", session, HttpStatusCode.NotFound);
        var early = await SendOk(Teacher(guideTeacher, "S2"), HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities",
            session with { heldOn = Today.AddDays(-1) }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("activity-date", early.GetProperty("rule").GetString());
        var tooLong = await SendOk(Teacher(guideTeacher, "S2"), HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities",
            new { title = "集体备课指导", heldOn = Today, hours = 2.25 }, HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("hours", out _));
        var logged = await SendOk(Teacher(guideTeacher, "S2"), HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities", session,
            HttpStatusCode.Created);
        await SendOk(Teacher(guideTeacher, "S2"), HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities", session, HttpStatusCode.Conflict);
        var activityId = logged.GetProperty("id").GetGuid();

        // The group's school rejects with a reason; the guide logs it again; then it is confirmed.
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "reject" },
            HttpStatusCode.BadRequest);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions",
            new { decision = "reject", reason = "请补充活动记录" });
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{activityId}/decisions", new { decision = "confirm" },
            HttpStatusCode.Conflict);
        // The county's guide account (role guide_teacher, tied to the same teacher, as the demo's guide-<county>) finds its
        // appointment and logs as well.
        using var guideAccount = Mentoring.CreateClient();
        guideAccount.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Issue(
            TrainingPlatform.BuildingBlocks.Security.Roles.GuideTeacher, claims: new Dictionary<string, object>
            {
                ["teacher"] = guideTeacher.ToString(), ["org"] = OrganisationId("371602").ToString(), ["org_path"] = PathOf("371602"), ["name"] = "指导教师",
            }));
        var appointment = Assert.Single((await SendOk(guideAccount, HttpMethod.Get, "/api/mentoring/guides/me?year=2071")).EnumerateArray());
        Assert.Equal(1, appointment.GetProperty("load").GetInt32());
        var again = await SendOk(guideAccount, HttpMethod.Post, $"/api/mentoring/study-groups/{groupId}/activities",
            new { title = "集体备课指导", heldOn = Today, hours = 2, description = "指导二次备课，形成教学设计" }, HttpStatusCode.Created);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentoring-activities/{again.GetProperty("id").GetGuid()}/decisions",
            new { decision = "confirm" });
        var mine = await SendOk(Teacher(guideTeacher, "S2"), HttpMethod.Get, "/api/mentoring/mentoring-activities");
        Assert.Equal(new[] { "confirmed", "rejected" }, mine.EnumerateArray().Select(a => a.GetProperty("status").GetString()!).Order());
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%MentoringActivityCredited%' and body->>'level' = 'county'"));
    }
}
