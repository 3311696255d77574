using System.Net;
using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Guide teachers: appointment in scope, the engine's assignment at 1 : 5 nearest first, infeasibility explained, the four levels.</summary>
public sealed class MentoringGuideTests : MentoringTestBase
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Mentoring:GroupSize"] = "2", ["Mentoring:MinTeachersForSchoolGroup"] = "2",
    };

    private async Task<List<Guid>> TeachersAsync(string school, string subject, int count, int firstYear = 2000)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await TeacherAsync(school, subject, new DateOnly(firstYear + i, 9, 1)));
        }
        return ids;
    }

    [Fact]
    public async Task Groups_go_to_the_nearest_guide_of_their_subject_at_most_five_each_and_a_group_without_one_is_told_why()
    {
        await YearAsync("2063");
        await TeachersAsync("S1", "数学", 6);
        var s2Maths = await TeachersAsync("S2", "数学", 4);
        var s4Maths = await TeachersAsync("S4", "数学", 2);
        await TeachersAsync("S1", "语文", 2);
        await TeachersArrivedAsync();
        foreach (var school in new[] { "S1", "S2" })
        {
            await SendOk(SchoolAdmin(school), HttpMethod.Post, $"/api/mentoring/years/2063/organisations/{school}/study-groups", null, HttpStatusCode.Created);
        }
        await SendOk(Operator, HttpMethod.Post, "/api/mentoring/years/2063/organisations/S4/study-groups", null, HttpStatusCode.Created);

        // Appointments stay inside the appointing district.
        await SendOk(DistrictAdmin("370402"), HttpMethod.Post, "/api/mentoring/organisations/370402/guides", new { teacherId = s2Maths[0] },
            HttpStatusCode.NotFound);
        var outside = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/371603/guides", new { teacherId = s2Maths[0] },
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("teacher-outside-district", outside.GetProperty("rule").GetString());
        await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/guides", new { teacherId = s2Maths[0], capacity = 0 },
            HttpStatusCode.BadRequest);
        var near = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/guides", new { teacherId = s2Maths[0] },
            HttpStatusCode.Created);
        Assert.Equal(5, near.GetProperty("capacity").GetInt32());
        await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/guides", new { teacherId = s2Maths[0] }, HttpStatusCode.Conflict);
        var far = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/371603/guides", new { teacherId = s4Maths[0] },
            HttpStatusCode.Created);

        var run = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/years/2063/organisations/3716/guide-assignments");
        var assignments = run.GetProperty("assignments").EnumerateArray().ToList();
        Assert.Equal(6, assignments.Count);
        // Each guide is a member of a group of their own school, which they may not guide: the near guide takes the other
        // five (S1's three, S2's other, and S4's, 5/5); the guide at S4 takes the near guide's own group, same city.
        var nearGuide = near.GetProperty("id").GetGuid();
        Assert.Equal(5, assignments.Count(a => a.GetProperty("guideId").GetGuid() == nearGuide));
        Assert.Contains(assignments, a => a.GetProperty("explanation").GetString() == "同校，学科学段一致，负荷 5/5");
        Assert.Contains(assignments, a => a.GetProperty("explanation").GetString() == "同区县，学科学段一致，负荷 5/5");
        Assert.Contains(assignments, a => a.GetProperty("guideId").GetGuid() == far.GetProperty("id").GetGuid()
                                          && a.GetProperty("explanation").GetString() == "同市，学科学段一致，负荷 1/5");
        Assert.Contains(assignments, a => a.GetProperty("guideId").GetGuid() == nearGuide
                                          && a.GetProperty("explanation").GetString() == "同市，学科学段一致，负荷 5/5");
        var unassigned = Assert.Single(run.GetProperty("unassigned").EnumerateArray());
        Assert.Equal("没有同学科同学段（小学语文）的指导教师", unassigned.GetProperty("reason").GetString());
        Assert.Equal(6, await CountAsync("select count(*) from outbox_messages where message_type like '%GuideAssigned%'"));

        // A second run places nothing twice.
        var again = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/years/2063/organisations/3716/guide-assignments");
        Assert.Equal(0, again.GetProperty("run").GetProperty("placed").GetInt32());
        Assert.Equal(6, await CountAsync("select count(*) from guide_assignments"));

        // The guide sees their groups (with members' progress); a teacher elsewhere does not; the four levels over a group.
        var mine = await SendOk(Teacher(s2Maths[0], "S2"), HttpMethod.Get, $"/api/mentoring/years/2063/guides/{nearGuide}/groups");
        Assert.Equal(5, mine.GetProperty("groups").GetArrayLength());
        await SendOk(Teacher(s4Maths[1], "S4"), HttpMethod.Get, $"/api/mentoring/years/2063/guides/{nearGuide}/groups", null, HttpStatusCode.NotFound);
        await SendOk(Operator, HttpMethod.Post, "/api/mentoring/organisations/37/experts", new { name = "省专家甲", stage = Stages.Primary, subject = "数学" },
            HttpStatusCode.Created);
        await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/experts",
            new { name = "市专家乙", stage = Stages.Primary, subject = "数学" }, HttpStatusCode.Created);
        await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/37/experts",
            new { name = "越级", stage = Stages.Primary, subject = "数学" }, HttpStatusCode.NotFound);
        var groupOfMember = (await SendOk(Teacher(s2Maths[1], "S2"), HttpMethod.Get, "/api/mentoring/years/2063/study-groups"))[0];
        var guidance = await SendOk(Teacher(s2Maths[1], "S2"), HttpMethod.Get,
            $"/api/mentoring/years/2063/study-groups/{groupOfMember.GetProperty("id").GetGuid()}/guidance");
        var levels = guidance.GetProperty("levels").EnumerateArray()
            .Select(l => (l.GetProperty("level").GetString(), string.Join(",", l.GetProperty("people").EnumerateArray().Select(p => p.GetString())))).ToList();
        Assert.Equal(["province_experts", "city_experts", "guide_teacher", "group_leader"], levels.Select(l => l.Item1));
        Assert.Equal("省专家甲", levels[0].Item2);
        Assert.Equal("市专家乙", levels[1].Item2);
        Assert.False(string.IsNullOrEmpty(levels[2].Item2));
        Assert.False(string.IsNullOrEmpty(levels[3].Item2));
    }

    [Fact]
    public async Task A_guide_outside_their_own_subject_needs_a_reason_shown_in_each_pair_and_no_one_guides_their_own_group()
    {
        await YearAsync("2074");
        var maths = await TeachersAsync("S1", "数学", 2);
        var chinese = await TeacherAsync("S2", "语文", new DateOnly(2001, 9, 1), name: "语文骨干");
        await TeachersArrivedAsync();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2074/organisations/S1/study-groups", null, HttpStatusCode.Created);
        var county = DistrictAdmin("3716");

        // The only maths guide is a member of the only maths group: the group is left over, saying why.
        await SendOk(county, HttpMethod.Post, "/api/mentoring/organisations/3716/guides", new { teacherId = maths[0] }, HttpStatusCode.Created);
        var first = await SendOk(county, HttpMethod.Post, "/api/mentoring/years/2074/organisations/3716/guide-assignments");
        Assert.Equal(0, first.GetProperty("assignments").GetArrayLength());
        Assert.Contains(first.GetProperty("unassigned").EnumerateArray(),
            u => u.GetProperty("reason").GetString()!.Contains("本组成员，不能指导自己所在的组", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync("select count(*) from guide_assignments"));

        // A Chinese teacher as maths guide: refused without a reason, and nothing is appointed.
        var cross = new { teacherId = chinese, stage = Stages.Primary, subject = "数学" };
        var refused = await SendOk(county, HttpMethod.Post, "/api/mentoring/organisations/3716/guides", cross, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("outside-own-stage-subject", refused.GetProperty("rule").GetString());
        Assert.Equal("reason", refused.GetProperty("field").GetString());
        Assert.Contains("学科学段不一致的聘任须说明原因", refused.GetProperty("detail").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from guide_teachers"));

        // With a reason it stands, and every pair it takes says so.
        var appointed = await SendOk(county, HttpMethod.Post, "/api/mentoring/organisations/3716/guides",
            new { teacherId = chinese, stage = Stages.Primary, subject = "数学", reason = "本区小学数学骨干不足" }, HttpStatusCode.Created);
        Assert.Equal("本区小学数学骨干不足", appointed.GetProperty("crossReason").GetString());
        var second = await SendOk(county, HttpMethod.Post, "/api/mentoring/years/2074/organisations/3716/guide-assignments");
        var pair = Assert.Single(second.GetProperty("assignments").EnumerateArray());
        Assert.Equal(appointed.GetProperty("id").GetGuid(), pair.GetProperty("guideId").GetGuid());
        Assert.Equal("同区县，跨学科学段聘任的指导教师（原因：本区小学数学骨干不足），负荷 1/5", pair.GetProperty("explanation").GetString());
    }

    [Fact]
    public async Task A_teacher_learns_from_one_sign_in_every_role_they_hold_by_appointment()
    {
        var guide = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "既是指导教师又是导师");
        var plain = await TeacherAsync("S1", "数学", new DateOnly(2012, 9, 1), Tiers.Rising, "普通教师");
        await TeachersArrivedAsync();
        Assert.Equal(0, (await SendOk(Teacher(guide), HttpMethod.Get, "/api/mentoring/me/roles")).GetArrayLength());

        await SendOk(DistrictAdmin("371602"), HttpMethod.Post, "/api/mentoring/organisations/371602/guides", new { teacherId = guide }, HttpStatusCode.Created);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{guide}", new { capacity = 2 });

        var roles = (await SendOk(Teacher(guide), HttpMethod.Get, "/api/mentoring/me/roles")).EnumerateArray()
            .ToDictionary(r => r.GetProperty("code").GetString()!, r => r.GetProperty("name").GetString());
        Assert.Equal(new Dictionary<string, string?> { [Roles.GuideTeacher] = "指导教师", [Roles.Mentor] = "导师" }, roles);
        Assert.Equal(0, (await SendOk(Teacher(plain), HttpMethod.Get, "/api/mentoring/me/roles")).GetArrayLength());
        await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/me/roles", null, HttpStatusCode.Forbidden);
    }
}
