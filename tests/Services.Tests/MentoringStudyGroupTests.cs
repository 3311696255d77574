using System.Net;
using System.Text.Json;
using TrainingPlatform.Contracts.Mentoring;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Study groups end to end: forming per school, the county's cross-school groups, moves, leaders, scope, the due date, submission.</summary>
public sealed class MentoringStudyGroupTests : MentoringTestBase
{
    private static List<JsonElement> Groups(JsonElement body) => [.. body.GetProperty("groups").EnumerateArray()];

    private static List<Guid> Members(JsonElement group) => [.. group.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("teacherId").GetGuid())];

    [Fact]
    public async Task Schools_form_groups_small_subjects_go_to_the_county_and_the_list_is_adjusted_then_submitted()
    {
        await YearAsync("2061");
        var maths = new List<Guid>();
        for (var i = 0; i < 15; i++)
        {
            maths.Add(await TeacherAsync("S1", "数学", new DateOnly(2000 + i, 9, 1)));
        }
        var chineseS1 = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            chineseS1.Add(await TeacherAsync("S1", "语文", new DateOnly(2010 + i, 9, 1)));
        }
        var chineseS2 = new[] { await TeacherAsync("S2", "语文", new DateOnly(1998, 9, 1)), await TeacherAsync("S2", "语文", new DateOnly(2020, 9, 1)) };
        await TeacherAsync("S1", "数学", new DateOnly(1990, 9, 1), inPost: false);
        await TeachersArrivedAsync();

        // S1: 15 maths teachers make two groups of about 10, each led by one of the two most senior; 3 Chinese teachers are left to the county.
        var formed = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/S1/study-groups", null, HttpStatusCode.Created);
        var s1Groups = Groups(formed);
        Assert.Equal([8, 7], s1Groups.Select(g => Members(g).Count));
        Assert.Equal(new HashSet<Guid> { maths[0], maths[1] }, s1Groups.Select(g => g.GetProperty("leaderId").GetGuid()).ToHashSet());
        Assert.Contains("（第1组）", s1Groups[0].GetProperty("name").GetString());
        var left = Assert.Single(formed.GetProperty("leftToCounty").EnumerateArray());
        Assert.Equal(3, left.GetProperty("teachers").GetInt32());
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/S1/study-groups", null, HttpStatusCode.Conflict);

        // A school cannot form the county's groups, nor another school's.
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/371602/study-groups", null, HttpStatusCode.NotFound);
        await SendOk(SchoolAdmin("S2"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/S1/study-groups", null, HttpStatusCode.NotFound);
        var crossSchool = Assert.Single(Groups(await SendOk(DistrictAdmin("371602"), HttpMethod.Post,
            "/api/mentoring/years/2061/organisations/371602/study-groups", null, HttpStatusCode.Created)));
        Assert.Equal(StudyGroupKinds.CrossSchool, crossSchool.GetProperty("kind").GetString());
        Assert.Equal(chineseS1.Concat(chineseS2).Order(), Members(crossSchool).Order());
        Assert.Equal(chineseS2[0], crossSchool.GetProperty("leaderId").GetGuid());

        // Moves: a Chinese teacher into a maths group is refused and changes nothing; a maths teacher moves; the leader moving leaves no leader.
        var (first, second) = (s1Groups[0].GetProperty("id").GetGuid(), s1Groups[1].GetProperty("id").GetGuid());
        var mismatch = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{first}/members/{chineseS1[0]}", null,
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("subject-mismatch", mismatch.GetProperty("rule").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from study_group_members where teacher_id = @Id and group_id = @Group",
            new { Id = chineseS1[0], Group = crossSchool.GetProperty("id").GetGuid() }));
        await SendOk(SchoolAdmin("S2"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{first}/members/{maths[1]}", null, HttpStatusCode.NotFound);
        var leaderOfSecond = s1Groups[1].GetProperty("leaderId").GetGuid();
        var moved = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{first}/members/{leaderOfSecond}");
        Assert.Equal(9, Members(moved[0]).Count);
        Assert.Equal(JsonValueKind.Null, moved[1].GetProperty("leaderId").ValueKind);

        var leaderless = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/S1/study-groups/submit", null,
            HttpStatusCode.BadRequest);
        Assert.Contains("没有组长", leaderless.GetProperty("errors").ToString());
        var notMember = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{second}/leader",
            new { teacherId = leaderOfSecond }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("leader-not-member", notMember.GetProperty("rule").GetString());
        var newLeader = Members(moved[1])[0];
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{second}/leader", new { teacherId = newLeader });

        // Who sees what.
        Assert.Equal(3, (await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2061/study-groups")).GetArrayLength());
        Assert.Equal(3, (await SendOk(SchoolAdmin("S1"), HttpMethod.Get, "/api/mentoring/years/2061/study-groups")).GetArrayLength());
        Assert.Equal(1, (await SendOk(SchoolAdmin("S2"), HttpMethod.Get, "/api/mentoring/years/2061/study-groups")).GetArrayLength());
        var mine = await SendOk(Teacher(maths[5]), HttpMethod.Get, "/api/mentoring/years/2061/study-groups");
        Assert.Contains(maths[5], Members(Assert.Single(mine.EnumerateArray())));
        Assert.Equal(0, (await SendOk(DistrictAdmin("370402"), HttpMethod.Get, "/api/mentoring/years/2061/study-groups")).GetArrayLength());

        var submitted = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2061/organisations/S1/study-groups/submit");
        Assert.Equal(15, submitted.GetProperty("teachers").GetInt32());
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%StudyGroupsSubmitted%'"));
        var afterSubmit = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/years/2061/study-groups/{second}/members/{maths[3]}", null,
            HttpStatusCode.Conflict);
        Assert.Contains("已提交", afterSubmit.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task After_the_due_date_nothing_is_formed_or_moved_and_the_refusal_says_when_it_closed()
    {
        await YearAsync("2062", groupListsDue: -1);
        await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1));
        await TeachersArrivedAsync();
        var late = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2062/organisations/S1/study-groups", null, HttpStatusCode.Conflict);
        Assert.Contains(Today.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), late.GetProperty("detail").GetString());
        Assert.Equal(0, await CountAsync("select count(*) from study_groups"));
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2099/organisations/S1/study-groups", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_county_sees_which_schools_submitted_their_group_lists_when_and_by_whom_and_which_are_late()
    {
        await YearAsync("2066");
        await YearAsync("2067", groupListsDue: -1);
        for (var i = 0; i < 8; i++)
        {
            await TeacherAsync("S1", "数学", new DateOnly(2000 + i, 9, 1));
        }
        await TeachersArrivedAsync();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2066/organisations/S1/study-groups", null, HttpStatusCode.Created);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/years/2066/organisations/S1/study-groups/submit");

        // Before the due date: S1 submitted (by whom, when), S2 not yet; the city's other county is not the county's business.
        var county = await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2066/group-lists?status=all");
        Assert.Equal((1, 1, 0), (county.GetProperty("submitted").GetInt32(), county.GetProperty("pending").GetInt32(), county.GetProperty("late").GetInt32()));
        var schools = county.GetProperty("schools").EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!);
        Assert.Equal(["S1", "S2"], schools.Keys.Order());
        Assert.Equal("submitted", schools["S1"].GetProperty("status").GetString());
        Assert.Equal(1, schools["S1"].GetProperty("groups").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, schools["S1"].GetProperty("submittedAt").ValueKind);
        Assert.Contains("S1", schools["S1"].GetProperty("submittedBy").GetString());
        Assert.Equal("pending", schools["S2"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, schools["S2"].GetProperty("submittedBy").ValueKind);

        // Past the due date nothing submitted is late; the city filters on it, and sees both its counties' schools.
        var late = await SendOk(DistrictAdmin("3716"), HttpMethod.Get, "/api/mentoring/years/2067/group-lists?status=late");
        Assert.Equal(3, late.GetProperty("late").GetInt32());
        Assert.Equal(["S1", "S2", "S4"], late.GetProperty("schools").EnumerateArray().Select(s => s.GetProperty("code").GetString()).Order());

        // Scope and bad input.
        await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2066/group-lists?under=370402", null, HttpStatusCode.NotFound);
        await SendOk(Teacher(Guid.NewGuid()), HttpMethod.Get, "/api/mentoring/years/2066/group-lists", null, HttpStatusCode.Forbidden);
        Assert.Equal("status", (await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2066/group-lists?status=done", null,
            HttpStatusCode.BadRequest)).GetProperty("field").GetString());
        await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2099/group-lists", null, HttpStatusCode.NotFound);
    }
}
