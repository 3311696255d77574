using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;
using Xunit;

namespace TrainingPlatform.Enrollment.Tests;

/// <summary>Who is behind (<see cref="ProgressStatus"/>), on the seed's year: study 7/26–10/30 (96 days), 36 h, electives 14 h.</summary>
public sealed class EnrollmentReportRulesTests
{
    private static readonly YearRow Year = new()
    {
        Code = "2026", MinAnnualHours = 36, MinElectiveHours = 14, CourseSelectionOpens = new(2026, 7, 3), StudyStarts = new(2026, 7, 26),
        RequiredStudyEnds = new(2026, 10, 30), CreditRegistrationCloses = new(2026, 12, 31),
    };

    private static readonly DateOnly SelectionCloses = new(2026, 7, 25);
    private static readonly DateOnly HalfWay = new(2026, 9, 12); // 48 of 96 days

    private static TeacherYearFigures Teacher(decimal done = 0, decimal electives = 14, bool started = true, bool optedOut = false,
        DateOnly? selectionCloses = null) =>
        new(optedOut, optedOut ? "BZS-001" : null, started, done, electives, selectionCloses ?? SelectionCloses);

    [Theory]
    [InlineData("2026-07-01", 0)]
    [InlineData("2026-07-26", 0)]
    [InlineData("2026-07-27", 0.3)] // 36 / 96 = 0.375, rounded down to a tenth
    [InlineData("2026-09-12", 18)]
    [InlineData("2026-10-30", 36)]
    [InlineData("2026-12-01", 36)]
    public void Expected_hours_grow_with_the_share_of_the_required_study_period_gone_by(string day, decimal expected) =>
        Assert.Equal(expected, ProgressStatus.ExpectedHours(Year, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_year_whose_required_study_ends_the_day_it_starts_expects_everything_from_the_next_day()
    {
        var oneDay = Year with { RequiredStudyEnds = Year.StudyStarts };
        Assert.Equal(0, ProgressStatus.ExpectedHours(oneDay, oneDay.StudyStarts));
        Assert.Equal(36, ProgressStatus.ExpectedHours(oneDay, oneDay.StudyStarts.AddDays(1)));
    }

    [Fact]
    public void An_opt_out_comes_first_even_with_the_hours_done()
    {
        var verdict = ProgressStatus.Assess(Year, HalfWay, Teacher(done: 40, optedOut: true));
        Assert.Equal(ProgressStatuses.OptedOut, verdict.Status);
        Assert.Contains("BZS-001", verdict.Reason);
    }

    [Fact]
    public void Hours_done_at_the_minimum_complete_the_year_whatever_else()
    {
        var verdict = ProgressStatus.Assess(Year, HalfWay, Teacher(done: 36, electives: 4));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.Completed, "已完成 36 学时，达到年度要求 36 学时"), verdict);
    }

    [Fact]
    public void Before_study_starts_nobody_is_behind_on_hours_but_nobody_has_started_either()
    {
        var verdict = ProgressStatus.Assess(Year, new(2026, 7, 10), Teacher(started: false, electives: 0));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.NotStarted, "尚未开始学习（学习将于 2026-07-26 开始）"), verdict);
    }

    [Fact]
    public void Not_started_after_selection_closed_also_says_the_electives_are_short()
    {
        var verdict = ProgressStatus.Assess(Year, HalfWay, Teacher(started: false, electives: 10));
        Assert.Equal(ProgressStatuses.NotStarted, verdict.Status);
        Assert.Equal("尚未开始学习；已完成 0 学时，按进度此时应完成 18 学时（必修学习期已过 50%）；已选选修 10 学时，少于 14 学时（选课已于 2026-07-25 截止）",
            verdict.Reason);
    }

    [Fact]
    public void Fewer_hours_than_the_period_gone_by_asks_for_is_behind()
    {
        var verdict = ProgressStatus.Assess(Year, HalfWay, Teacher(done: 8));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.Behind, "已完成 8 学时，按进度此时应完成 18 学时（必修学习期已过 50%）"), verdict);
    }

    [Fact]
    public void At_the_pace_exactly_is_on_track()
    {
        var verdict = ProgressStatus.Assess(Year, HalfWay, Teacher(done: 18));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.OnTrack, "已完成 18 学时，进度正常（此时应完成 18 学时）"), verdict);
    }

    [Fact]
    public void Too_few_elective_hours_once_selection_closed_is_behind_even_on_the_first_day()
    {
        var verdict = ProgressStatus.Assess(Year, Year.StudyStarts, Teacher(done: 0, electives: 10));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.Behind, "已选选修 10 学时，少于 14 学时（选课已于 2026-07-25 截止）"), verdict);
    }

    [Fact]
    public void Electives_are_due_only_after_the_schools_own_selection_window_has_closed()
    {
        Assert.False(ProgressStatus.ElectivesDue(new(2026, 7, 25), SelectionCloses));
        Assert.True(ProgressStatus.ElectivesDue(new(2026, 7, 26), SelectionCloses));

        // A school whose staggered window closed on 7/20 is already short on 7/22; one still open is not.
        var earlyClose = new DateOnly(2026, 7, 20);
        Assert.Contains("已选选修 10 学时，少于 14 学时", ProgressStatus.Assess(Year, new(2026, 7, 22), Teacher(started: false, electives: 10,
            selectionCloses: earlyClose)).Reason);
        Assert.DoesNotContain("选修", ProgressStatus.Assess(Year, new(2026, 7, 22), Teacher(started: false, electives: 10)).Reason);
    }

    [Fact]
    public void After_the_required_study_period_the_whole_minimum_is_expected()
    {
        var verdict = ProgressStatus.Assess(Year, new(2026, 11, 15), Teacher(done: 30));
        Assert.Equal(new ProgressVerdict(ProgressStatuses.Behind, "已完成 30 学时，按进度此时应完成 36 学时（必修学习期截止于 2026-10-30）"), verdict);
    }

    [Theory]
    [InlineData("", 3)]
    [InlineData("37", 3)]
    [InlineData("37/3716", 3)]
    [InlineData("37/3716/371602", 4)]
    [InlineData("37/3716/371602/3716021", 5)]
    [InlineData("37/3716/371602/371602001", 5)]
    public void The_roll_up_goes_one_level_down_but_never_above_counties(string root, int depth) =>
        Assert.Equal(depth, ProgressStatus.RollUpDepth(root));
}
