using System.Net;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Mentor pairing: who may mentor, capacity, the engine's pairing nearest first, the period, ending early, and mentees' progress.</summary>
public sealed class MentoringPairingTests : MentoringTestBase
{
    [Fact]
    public async Task New_teachers_are_paired_with_the_nearest_mentors_within_capacity_and_mentors_see_their_progress()
    {
        var recently = Today.AddYears(-1);
        var m1 = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "导师甲");
        var m2 = await TeacherAsync("S2", "数学", new DateOnly(1999, 9, 1), Tiers.Master, "导师乙");
        var rising = await TeacherAsync("S1", "数学", new DateOnly(2015, 9, 1), Tiers.Rising);
        var newcomers = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            newcomers.Add(await TeacherAsync("S1", "数学", recently, Tiers.NewTeacher, $"新教师{i}"));
        }
        var chinese = await TeacherAsync("S1", "语文", recently, Tiers.NewTeacher, "语文新教师");
        var elsewhere = await TeacherAsync("S4", "数学", recently, Tiers.NewTeacher);
        await TeacherAsync("S1", "数学", new DateOnly(2005, 9, 1), Tiers.Rising); // not new: hired long ago
        await TeachersArrivedAsync();

        var refused = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{rising}", new { capacity = 3 }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("mentor-tier", refused.GetProperty("rule").GetString());
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{m1}", new { capacity = 0 }, HttpStatusCode.BadRequest);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{m2}", new { capacity = 2 }, HttpStatusCode.NotFound);
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{m1}", new { capacity = 3 });
        await SendOk(DistrictAdmin("371602"), HttpMethod.Put, $"/api/mentoring/mentors/{m2}", new { capacity = 2 });
        Assert.Equal(0, await CountAsync("select count(*) from mentors where teacher_id = @Id", new { Id = rising }));

        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/organisations/371602/mentor-pairings", null, HttpStatusCode.Forbidden);
        var run = await SendOk(DistrictAdmin("371602"), HttpMethod.Post, "/api/mentoring/organisations/371602/mentor-pairings");
        var pairings = run.GetProperty("pairings").EnumerateArray().ToList();
        // Four maths newcomers in S1: three with 导师甲 (same school, load 3/3), one with 导师乙 (same county).
        Assert.Equal(4, pairings.Count);
        Assert.Equal(3, pairings.Count(p => p.GetProperty("mentorId").GetGuid() == m1));
        Assert.Contains(pairings, p => p.GetProperty("explanation").GetString() == "同校，学科学段一致，负荷 3/3");
        Assert.Contains(pairings, p => p.GetProperty("explanation").GetString() == "同区县，学科学段一致，负荷 1/2");
        Assert.Equal(10 + 3, run.GetProperty("run").GetProperty("totalCost").GetInt64());
        var unpaired = Assert.Single(run.GetProperty("unassigned").EnumerateArray());
        Assert.Equal(chinese, unpaired.GetProperty("menteeId").GetGuid());
        Assert.Equal("没有同学科同学段（小学语文）的导师", unpaired.GetProperty("reason").GetString());
        Assert.Equal(Today.AddYears(3).AddDays(-1), DateOnly.Parse(run.GetProperty("period").GetProperty("endsOn").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, await CountAsync("select count(*) from mentor_pairings where mentee_id = @Id", new { Id = elsewhere }));
        Assert.Equal(4, await CountAsync("select count(*) from outbox_messages where message_type like '%MentorPaired%'"));

        // A mentor cannot drop below the mentees they have.
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/mentoring/mentors/{m1}", new { capacity = 2 }, HttpStatusCode.Conflict);

        // The mentor sees a mentee's completed course as soon as Enrollment announces it.
        var mentee = pairings.First(p => p.GetProperty("mentorId").GetGuid() == m1).GetProperty("menteeId").GetGuid();
        await Mentoring.Services.GetRequiredService<IBus>().Publish(new CourseCompleted(Guid.NewGuid(), mentee, Guid.NewGuid(), Guid.NewGuid(), "班级管理",
            4, CourseCategories.ClassTeacher, DeliveryModes.Online, TrainingLevels.Provincial, Guid.NewGuid(), "2064", EnrollmentKinds.Elective,
            DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () =>
        {
            var mine = await SendOk(Teacher(m1), HttpMethod.Get, "/api/mentoring/mentors/me/mentees");
            var row = mine.EnumerateArray().Single(r => r.GetProperty("pairing").GetProperty("menteeId").GetGuid() == mentee);
            return row.GetProperty("progress").GetProperty("hoursCompleted").GetDecimal() == 4m;
        }, TimeSpan.FromSeconds(90), "the mentee's completed course to reach the mentor");
        Assert.Equal(3, (await SendOk(Teacher(m1), HttpMethod.Get, "/api/mentoring/mentors/me/mentees")).GetArrayLength());

        // Ending early needs a reason, happens once, and is announced.
        var pairingId = pairings[0].GetProperty("pairingId").GetGuid();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/end", new { reason = " " }, HttpStatusCode.BadRequest);
        await SendOk(SchoolAdmin("S3"), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/end", new { reason = "调离" }, HttpStatusCode.NotFound);
        var ended = await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/end", new { reason = "导师调离本校" });
        Assert.Equal("ended", ended.GetProperty("status").GetString());
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/end", new { reason = "again" }, HttpStatusCode.Conflict);
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%MentorPairingEnded%'"));
        var history = await SendOk(Teacher(pairings[0].GetProperty("menteeId").GetGuid()), HttpMethod.Get,
            $"/api/mentoring/teachers/{pairings[0].GetProperty("menteeId").GetGuid()}/pairings");
        Assert.Equal("导师调离本校", history.GetProperty("asMentee")[0].GetProperty("endedReason").GetString());
    }

    [Fact]
    public async Task By_hand_a_pairing_stays_within_capacity_and_crosses_subjects_only_with_a_reason_that_is_shown()
    {
        var recently = Today.AddYears(-1);
        var mentor = await TeacherAsync("S1", "数学", new DateOnly(2001, 9, 1), Tiers.Backbone, "导师丙");
        var maths = await TeacherAsync("S1", "数学", recently, Tiers.NewTeacher, "新教师甲");
        var physics = await TeacherAsync("S1", "科学", recently, Tiers.NewTeacher, "新教师乙");
        var veteran = await TeacherAsync("S1", "数学", new DateOnly(2005, 9, 1), Tiers.Rising, "老教师");
        await TeachersArrivedAsync();
        var admin = SchoolAdmin("S1");
        await SendOk(admin, HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 1 });

        Assert.Equal("not-new-teacher", (await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings",
            new { mentorId = mentor, menteeId = veteran }, HttpStatusCode.UnprocessableEntity)).GetProperty("rule").GetString());
        Assert.Equal("subject-mismatch", (await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings",
            new { mentorId = mentor, menteeId = physics }, HttpStatusCode.UnprocessableEntity)).GetProperty("rule").GetString());
        var forced = await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings",
            new { mentorId = mentor, menteeId = physics, reason = "本校无科学骨干教师" }, HttpStatusCode.Created);
        Assert.Equal("同校，学科学段不一致（人工结对，原因：本校无科学骨干教师），负荷 1/1", forced.GetProperty("explanation").GetString());
        var full = await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings", new { mentorId = mentor, menteeId = maths }, HttpStatusCode.Conflict);
        Assert.Contains("1/1", full.GetProperty("detail").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from mentor_pairings"));
        Assert.Equal("本校无科学骨干教师", (await SendOk(Teacher(physics), HttpMethod.Get, $"/api/mentoring/teachers/{physics}/pairings"))
            .GetProperty("asMentee")[0].GetProperty("explanation").GetString()!.Split("原因：")[1].Split('）')[0]);
    }

    [Fact]
    public async Task A_pairing_entered_late_begins_back_in_this_year_and_takes_the_sessions_held_since_but_never_begins_ahead()
    {
        var mentor = await TeacherAsync("S1", "语文", new DateOnly(2002, 9, 1), Tiers.Backbone, "导师丁");
        var mentee = await TeacherAsync("S1", "语文", Today.AddMonths(-6), Tiers.NewTeacher, "新教师丙");
        await TeachersArrivedAsync();
        var admin = SchoolAdmin("S1");
        await SendOk(admin, HttpMethod.Put, $"/api/mentoring/mentors/{mentor}", new { capacity = 2 });
        var newYear = new DateOnly(Today.Year, 1, 1);

        // Ahead of today, or before this year: refused on the field, nothing stored.
        foreach (var startsOn in new[] { Today.AddDays(1), newYear.AddDays(-1) })
        {
            var refused = await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings",
                new { mentorId = mentor, menteeId = mentee, startsOn }, HttpStatusCode.BadRequest);
            Assert.Equal("out-of-range", refused.GetProperty("rule").GetString());
            Assert.Equal("startsOn", refused.GetProperty("field").GetString());
        }
        Assert.Equal(0, await CountAsync("select count(*) from mentor_pairings"));

        // From the first day of the year: the period runs from then, and a session held that day can be logged.
        var paired = await SendOk(admin, HttpMethod.Post, "/api/mentoring/mentor-pairings",
            new { mentorId = mentor, menteeId = mentee, startsOn = newYear }, HttpStatusCode.Created);
        var pairingId = paired.GetProperty("pairingId").GetGuid();
        var pairing = (await SendOk(Teacher(mentee), HttpMethod.Get, $"/api/mentoring/teachers/{mentee}/pairings")).GetProperty("asMentee")[0];
        Assert.Equal(newYear.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), pairing.GetProperty("startsOn").GetString());
        await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities",
            new { title = "听课评课", heldOn = newYear, hours = 2, description = "补录：年初的第一次听课" }, HttpStatusCode.Created);
        var before = await SendOk(Teacher(mentor), HttpMethod.Post, $"/api/mentoring/mentor-pairings/{pairingId}/activities",
            new { title = "听课评课", heldOn = newYear.AddDays(-1), hours = 2, description = "结对之前" }, HttpStatusCode.UnprocessableEntity);
        Assert.Contains(newYear.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), before.GetProperty("detail").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from mentoring_activities"));
    }
}
