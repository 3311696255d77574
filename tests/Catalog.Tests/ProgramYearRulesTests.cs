using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Catalog.ProgramYears;
using Xunit;

namespace TrainingPlatform.Catalog.Tests;

public sealed class ProgramYearRulesTests
{
    // The seed's year (004): groups 6/10, topics 6/25–7/2, courses from 7/3, study 7/26, required to 10/30, credits to 12/31.
    internal static readonly WindowsRequest Seed = new(new(2026, 6, 10), new(2026, 6, 25), new(2026, 7, 2), new(2026, 7, 3), new(2026, 7, 26),
        new(2026, 10, 30), new(2026, 12, 31));

    private static ProgramYearRequest Year(WindowsRequest windows) => new("2026", "互联网+教师专业发展", 36, 14, windows);

    [Fact]
    public void The_seed_year_is_accepted()
    {
        var validation = ProgramYearRules.Validate(Year(Seed), out var windows);
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors));
        Assert.Equal(new DateOnly(2026, 7, 26), windows!.StudyStarts);
    }

    [Fact]
    public void Study_starting_before_course_selection_opens_is_refused_with_both_dates()
    {
        var validation = ProgramYearRules.Validate(Year(Seed with { StudyStarts = new(2026, 7, 1) }), out _);
        var (field, rule) = Assert.Single(validation.Errors, e => e.Field == "windows.studyStarts" && e.Rule.Contains("教师选课"));
        Assert.Contains("2026-07-01", rule);
        Assert.Contains("2026-07-03", rule);
        Assert.Equal("windows.studyStarts", field);
    }

    [Fact]
    public void Each_out_of_order_pair_is_named_by_its_field()
    {
        var validation = ProgramYearRules.Validate(Year(Seed with
        {
            TopicSelectionCloses = new(2026, 6, 20),
            CreditRegistrationCloses = new(2026, 10, 1),
            GroupListsDue = new(2026, 8, 1),
        }), out _);
        var fields = validation.Errors.Select(e => e.Field).ToHashSet();
        Assert.Contains("windows.topicSelectionCloses", fields);
        Assert.Contains("windows.creditRegistrationCloses", fields);
        Assert.Contains("windows.groupListsDue", fields);
    }

    [Fact]
    public void Electives_cannot_exceed_the_annual_minimum_and_hours_are_exact_to_a_tenth()
    {
        var validation = ProgramYearRules.Validate(new ProgramYearRequest("2026", "x", 36, 40, Seed), out _);
        Assert.Contains(validation.Errors, e => e.Field == "minElectiveHours");
        validation = ProgramYearRules.Validate(new ProgramYearRequest("2026", "x", 36.25m, 14, Seed), out _);
        Assert.Contains(validation.Errors, e => e.Field == "minAnnualHours" && e.Rule.Contains("一位小数"));
    }

    [Fact]
    public void Missing_dates_are_each_named()
    {
        var validation = ProgramYearRules.Validate(Year(Seed with { StudyStarts = null, GroupListsDue = null }), out var windows);
        Assert.Null(windows);
        Assert.Contains(validation.Errors, e => e.Field == "windows.studyStarts");
        Assert.Contains(validation.Errors, e => e.Field == "windows.groupListsDue");
    }
}

public sealed class WindowRulesTests
{
    private static readonly ProgramYearWindows Year = new(new(2026, 6, 10), new(2026, 6, 25), new(2026, 7, 2), new(2026, 7, 3), new(2026, 7, 26),
        new(2026, 10, 30), new(2026, 12, 31));

    private static WindowAdjustment Adjust(string path, DateOnly opens, DateOnly closes, string kind, int minute) => new()
    {
        WindowName = SelectionWindows.TopicSelection,
        OrganisationPath = path,
        OpensOn = opens,
        ClosesOn = closes,
        Kind = kind,
        Reason = "r" + minute,
        AdjustedAt = new DateTimeOffset(2026, 6, 1, 0, minute, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Without_adjustments_the_year_applies_and_course_selection_ends_the_day_before_study()
    {
        var topics = WindowRules.For(SelectionWindows.TopicSelection, "37/3716/371602/S1", Year, []);
        Assert.Equal((new DateOnly(2026, 6, 25), new DateOnly(2026, 7, 2), "year"), (topics.OpensOn, topics.ClosesOn, topics.Source));
        var courses = WindowRules.For(SelectionWindows.CourseSelection, "37/3716/371602/S1", Year, []);
        Assert.Equal(new DateOnly(2026, 7, 25), courses.ClosesOn);
        Assert.True(courses.IsOpenOn(new DateOnly(2026, 7, 25)));
        Assert.False(courses.IsOpenOn(new DateOnly(2026, 7, 26)));
    }

    [Fact]
    public void The_deepest_adjustment_above_a_school_wins_and_on_one_organisation_the_newest()
    {
        var adjustments = new[]
        {
            Adjust("37/3716", new(2026, 6, 27), new(2026, 7, 4), "staggered", 1),
            Adjust("37/3716/371602", new(2026, 6, 27), new(2026, 7, 10), "extended", 2),
            Adjust("37/3716/371602", new(2026, 6, 27), new(2026, 7, 12), "extended", 3),
            Adjust("37/3704", new(2026, 6, 29), new(2026, 7, 6), "staggered", 4),
        };
        Assert.Equal(new DateOnly(2026, 7, 12), WindowRules.For(SelectionWindows.TopicSelection, "37/3716/371602/S1", Year, adjustments).ClosesOn);
        Assert.Equal(new DateOnly(2026, 7, 4), WindowRules.For(SelectionWindows.TopicSelection, "37/3716/371603/S2", Year, adjustments).ClosesOn);
        // A code that merely starts with another's digits is not below it.
        Assert.Equal("year", WindowRules.For(SelectionWindows.TopicSelection, "37/37160/S3", Year, adjustments).Source);
        // Course selection is untouched by topic adjustments.
        Assert.Equal("year", WindowRules.For(SelectionWindows.CourseSelection, "37/3716/371602/S1", Year, adjustments).Source);
    }

    [Fact]
    public void An_adjustment_may_not_reach_the_freeze()
    {
        Assert.Contains(WindowRules.AdjustmentProblems(new(2026, 7, 1), new(2026, 7, 26), Year), p => p.Field == "closesOn");
        Assert.Empty(WindowRules.AdjustmentProblems(new(2026, 7, 1), new(2026, 7, 25), Year));
    }
}
