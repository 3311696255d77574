using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.Copies;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.MyYear;
using TrainingPlatform.Services.Enrollment.Progress;
using TrainingPlatform.Services.Enrollment.Required;
using Xunit;

namespace TrainingPlatform.Enrollment.Tests;

public sealed class ElectiveRulesTests
{
    private static readonly EffectiveWindow Window = new(SelectionWindows.CourseSelection, new(2026, 7, 3), new(2026, 7, 25), "year", null);

    private static ElectiveFacts Facts(string today = "2026-07-10") => new(
        DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), Window, new(2026, 7, 26), TeacherKnown: true, TeacherInPost: true,
        TeacherStage: "primary", OptedOut: false, CoursePublished: true, CourseStages: ["primary"], SchoolHasChosen: true, CourseInSchoolTopics: true,
        AlreadyEnrolled: false, SameContentEarlier: null);

    [Fact]
    public void A_course_of_the_school_topics_inside_the_window_is_allowed() => Assert.True(ElectiveRules.Decide(Facts()).Allowed);

    [Theory]
    [InlineData("2026-07-02", "window-not-open")]
    [InlineData("2026-07-26", "frozen")]
    [InlineData("2026-09-01", "frozen")]
    public void Outside_the_window_or_after_study_starts_is_refused(string today, string rule)
    {
        var decision = ElectiveRules.Decide(Facts(today));
        Assert.Equal((false, 409, rule), (decision.Allowed, decision.Status, decision.Rule));
    }

    [Fact]
    public void Only_courses_inside_the_school_topics_unless_the_teacher_is_in_a_kindergarten()
    {
        Assert.Equal("outside-school-topics", ElectiveRules.Decide(Facts() with { CourseInSchoolTopics = false }).Rule);
        Assert.Equal("school-topics-not-chosen", ElectiveRules.Decide(Facts() with { SchoolHasChosen = false, CourseInSchoolTopics = false }).Rule);
        var kindergarten = Facts() with { TeacherStage = "kindergarten", SchoolHasChosen = false, CourseInSchoolTopics = false };
        Assert.Equal("kindergarten-courses-only", ElectiveRules.Decide(kindergarten).Rule);
        Assert.True(ElectiveRules.Decide(kindergarten with { CourseStages = ["kindergarten"] }).Allowed);
    }

    [Fact]
    public void The_same_content_twice_in_a_cycle_is_refused_naming_the_earlier_enrollment()
    {
        var decision = ElectiveRules.Decide(Facts() with
        {
            SameContentEarlier = new EarlierEnrollment { ProgramYearCode = "2027", CourseTitle = "班级管理的理念与方法", Status = "completed" },
        });
        Assert.Equal("repeated-training", decision.Rule);
        Assert.Contains("2027", decision.Reason);
        Assert.Contains("班级管理的理念与方法", decision.Reason);
        Assert.Contains("已完成", decision.Reason);
    }

    [Fact]
    public void Teachers_not_in_post_or_opted_out_choose_nothing()
    {
        Assert.Equal("not-in-post", ElectiveRules.Decide(Facts() with { TeacherInPost = false }).Rule);
        Assert.Equal("opted-out", ElectiveRules.Decide(Facts() with { OptedOut = true }).Rule);
    }

    [Fact]
    public void Dropping_is_a_change_allowed_only_until_study_starts()
    {
        Assert.True(ElectiveRules.DecideWithdrawal(new(2026, 7, 25), new(2026, 7, 26)).Allowed);
        Assert.False(ElectiveRules.DecideWithdrawal(new(2026, 7, 26), new(2026, 7, 26)).Allowed);
    }
}

public sealed class CompletionRulesTests
{
    private static ProgressReport Report(int minutes, decimal percent, bool? test = null, bool? assignment = null, decimal? score = null) =>
        new("r", Guid.NewGuid(), Guid.NewGuid(), "2026", minutes, percent, test, score, assignment, null);

    [Fact]
    public void Reports_in_any_order_and_repeated_merge_to_the_same_state()
    {
        var reports = new[] { Report(30, 25), Report(240, 100), Report(120, 50, test: true, score: 85), Report(0, 0, assignment: true), Report(60, 30, score: 70) };
        var expected = new StudyState(240, 100, true, 85, true);
        var random = new Random(7);
        for (var run = 0; run < 50; run++)
        {
            var shuffled = reports.Concat(reports.Take(2)).OrderBy(_ => random.Next()).ToList();
            var state = shuffled.Aggregate(new StudyState(0, 0, false, null, false), CompletionRules.Merge);
            Assert.Equal(expected, state);
        }
    }

    [Theory]
    [InlineData(100, true, true, true)]
    [InlineData(99.5, true, true, false)]
    [InlineData(100, false, true, false)]
    [InlineData(100, true, false, false)]
    public void A_course_is_complete_when_learning_test_and_assignment_are_all_done(double percent, bool test, bool assignment, bool complete) =>
        Assert.Equal(complete, CompletionRules.IsComplete(new StudyState(0, (decimal)percent, test, null, assignment)));

    [Fact]
    public void A_report_sent_again_has_the_same_fingerprint_and_any_other_content_another()
    {
        var teacher = Guid.NewGuid();
        var course = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.FromHours(8));
        var report = new ProgressReport("r1", teacher, course, "2026", 60, 25.0m, null, null, null, at);
        // The same report, as a resend may spell it: another decimal scale, the same instant in UTC.
        Assert.Equal(CompletionRules.Fingerprint(report),
            CompletionRules.Fingerprint(report with { Percent = 25m, OccurredAt = at.ToUniversalTime() }));
        foreach (var other in new[]
                 {
                     report with { TeacherId = Guid.NewGuid() }, report with { CourseId = Guid.NewGuid() }, report with { ProgramYear = "2027" },
                     report with { MinutesStudied = 61 }, report with { Percent = 25.5m }, report with { TestPassed = true },
                     report with { TestScore = 80 }, report with { AssignmentHandedIn = true }, report with { OccurredAt = at.AddMinutes(1) },
                 })
        {
            Assert.NotEqual(CompletionRules.Fingerprint(report), CompletionRules.Fingerprint(other));
        }
    }

    [Fact]
    public void Bad_figures_are_named()
    {
        var problems = CompletionRules.Problems(new ProgressReport(null, null, Guid.NewGuid(), "2026", -1, 120, null, null, null, null))
            .Select(p => p.Field).ToHashSet();
        Assert.Equal(new HashSet<string> { "reportId", "teacherId", "minutesStudied", "percent" }, problems);
    }
}

public sealed class RequiredPushTests
{
    private static readonly TeacherRow Teacher = new() { Id = Guid.NewGuid(), Stage = "primary", Subject = "语文", InPost = true };

    private static readonly RequiredItem National = new(Guid.NewGuid(), "国家级优课", 4, [Guid.NewGuid()], 1);
    private static readonly RequiredItem Cases = new(Guid.NewGuid(), "课例点评", 12, [.. Enumerable.Range(0, 8).Select(_ => Guid.NewGuid())], 4);

    [Fact]
    public void A_new_teacher_gets_every_fixed_course_and_their_own_draw()
    {
        var plan = RequiredPush.Plan(Teacher, [National, Cases], []);
        Assert.Equal(5, plan.Enroll.Count);
        Assert.Contains(plan.Enroll, e => e.CourseId == National.CourseIds[0]);
        Assert.Equal(RequiredDraw.For(Cases, Teacher.Id).Order(), plan.Enroll.Where(e => e.ItemId == Cases.ItemId).Select(e => e.CourseId).Order());
        Assert.Empty(plan.Withdraw);
    }

    [Fact]
    public void Pushing_again_changes_nothing()
    {
        var first = RequiredPush.Plan(Teacher, [National, Cases], []);
        var current = first.Enroll.Select(e => new CurrentRequired { Id = Guid.NewGuid(), CourseId = e.CourseId }).ToList();
        var again = RequiredPush.Plan(Teacher, [National, Cases], current);
        Assert.Empty(again.Enroll);
        Assert.Empty(again.Withdraw);
    }

    [Fact]
    public void A_change_of_subject_swaps_the_courses_not_started_and_keeps_the_ones_started()
    {
        var started = new CurrentRequired { Id = Guid.NewGuid(), CourseId = National.CourseIds[0], Started = true };
        var notStarted = new CurrentRequired { Id = Guid.NewGuid(), CourseId = Cases.CourseIds[0], Started = false };
        var maths = new RequiredItem(Guid.NewGuid(), "数学优课", 4, [Guid.NewGuid()], 1);
        var plan = RequiredPush.Plan(Teacher with { Subject = "数学" }, [maths], [started, notStarted]);
        Assert.Equal([maths.CourseIds[0]], plan.Enroll.Select(e => e.CourseId));
        Assert.Equal([(notStarted.Id, RequiredPush.NoLongerRequired)], plan.Withdraw);
    }

    [Fact]
    public void A_teacher_leaving_post_has_the_unstarted_courses_withdrawn()
    {
        var current = new[] { new CurrentRequired { Id = Guid.NewGuid(), CourseId = National.CourseIds[0] } };
        var plan = RequiredPush.Plan(Teacher with { InPost = false }, [National], current);
        Assert.Empty(plan.Enroll);
        Assert.Equal(RequiredPush.NotInPost, Assert.Single(plan.Withdraw).Reason);
    }

    [Fact]
    public void The_subject_package_is_preferred_to_the_stage_package()
    {
        var packages = new Dictionary<(string, string), IReadOnlyList<RequiredItem>> { [("primary", "语文")] = [National], [("primary", "")] = [Cases] };
        Assert.Same(packages[("primary", "语文")], RequiredPush.PackageFor(Teacher, packages));
        Assert.Same(packages[("primary", "")], RequiredPush.PackageFor(Teacher with { Subject = "数学" }, packages));
        Assert.Null(RequiredPush.PackageFor(Teacher with { Stage = "senior" }, packages));
    }
}

public sealed class HoursTests
{
    [Theory]
    [InlineData(2026, 2026, 2030)]
    [InlineData(2030, 2026, 2030)]
    [InlineData(2031, 2031, 2035)]
    [InlineData(2025, 2021, 2025)]
    public void Cycles_are_counted_in_fives_from_the_first_cycle_year(int year, int first, int last) =>
        Assert.Equal((first, last), CreditCycles.Containing(year, 2026));

    [Fact]
    public void A_teacher_is_told_plainly_how_many_elective_hours_are_missing()
    {
        var shortOf = YearArithmetic.Electives(10, 14);
        Assert.Equal(4, shortOf.ShortBy);
        Assert.Contains("还差 4 学时", shortOf.Message);
        Assert.Contains("已达到", YearArithmetic.Electives(14.5m, 14).Message);
    }
}
