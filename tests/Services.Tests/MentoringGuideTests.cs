using System.Net;
using System.Text.Json;
using TrainingPlatform.Contracts.Directory;
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
        // The five maths groups of county 371602 go to the guide there (load 5/5); S4's group to S4's guide, same school.
        var nearGuide = near.GetProperty("id").GetGuid();
        Assert.Equal(5, assignments.Count(a => a.GetProperty("guideId").GetGuid() == nearGuide));
        Assert.Contains(assignments, a => a.GetProperty("explanation").GetString() == "同校，学科学段一致，负荷 5/5");
        Assert.Contains(assignments, a => a.GetProperty("explanation").GetString() == "同区县，学科学段一致，负荷 5/5");
        Assert.Contains(assignments, a => a.GetProperty("guideId").GetGuid() == far.GetProperty("id").GetGuid()
                                          && a.GetProperty("explanation").GetString() == "同校，学科学段一致，负荷 1/5");
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
}
