using System.Globalization;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Activities;
using TrainingPlatform.Services.Mentoring.Support;
using Xunit;

namespace TrainingPlatform.Mentoring.Tests;

public sealed class ActivityRulesTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private static DateOnly D(string day) => DateOnly.Parse(day, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(0, 8, true)]      // a whole day at once
    [InlineData(6, 2, true)]      // exactly up to the cap
    [InlineData(6, 2.5, false)]   // past it
    [InlineData(8, 0.5, false)]   // a full day takes nothing more
    public void A_day_has_limited_credited_hours_across_everything_logged(decimal logged, decimal hours, bool fits)
    {
        var why = ActivityRules.WhyOverDailyCap(D("2026-11-20"), logged, hours, 8);
        if (fits)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains("2026-11-20", why);
            Assert.Contains($"已登记 {logged.ToString("0.#", CultureInfo.CurrentCulture)} 学时", why);
        }
    }

    [Theory]
    [InlineData("2026-11-23", null)]          // today counts
    [InlineData("2026-09-01", null)]          // the first day of the period
    [InlineData("2026-11-24", "还没到")]      // tomorrow has not happened
    [InlineData("2026-08-31", "不在期间内")]  // before the pairing began
    public void Only_activities_held_within_the_period_and_not_in_the_future_may_be_logged(string heldOn, string? why)
    {
        var reason = ActivityRules.WhyNotHeld(D(heldOn), Today, D("2026-09-01"), D("2029-08-31"));
        if (why is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(why, reason);
        }
    }

    [Fact]
    public void A_pairing_ended_early_takes_no_activities_after_its_last_day() =>
        Assert.Contains("2026-10-01 至 2026-10-15", ActivityRules.WhyNotHeld(D("2026-10-20"), Today, D("2026-10-01"), D("2026-10-15")));

    [Theory]
    [InlineData("0.5", true)]
    [InlineData("8", true)]
    [InlineData("2.5", true)]
    [InlineData("0", false)]
    [InlineData("-1", false)]
    [InlineData("8.5", false)]   // more than a working day
    [InlineData("1.25", false)]  // half-hour steps only
    public void Hours_are_half_hour_steps_up_to_the_maximum(string hours, bool valid) =>
        Assert.Equal(valid, ActivityRules.ValidHours(decimal.Parse(hours, CultureInfo.InvariantCulture), 8));

    [Fact]
    public void Missing_hours_are_not_valid() => Assert.False(ActivityRules.ValidHours(null, 8));

    [Fact]
    public void Mentoring_activities_are_school_based_credits_at_the_level_that_arranged_them()
    {
        Assert.Equal((CourseCategories.SchoolBased, DeliveryModes.SchoolBased, TrainingLevels.County), ActivityRules.CreditOf(TrainingLevels.County));
        Assert.Equal(TrainingLevels.County, ActivityRules.LevelOf("county"));
        Assert.Equal(TrainingLevels.City, ActivityRules.LevelOf("city"));
        Assert.Equal(TrainingLevels.Provincial, ActivityRules.LevelOf("province"));
    }

    [Fact]
    public void The_transcript_title_says_what_and_for_whom() =>
        Assert.Equal("导师带教：课堂教学诊断（徒弟刘洋）", ActivityRules.CreditTitle(MentoringActivityKinds.MentoringSession, "课堂教学诊断", "徒弟刘洋"));

    [Theory]
    [InlineData("logged", null)]
    [InlineData("confirmed", "已确认")]
    [InlineData("rejected", "已退回")]
    public void Only_an_activity_waiting_for_the_school_can_be_decided(string status, string? why)
    {
        var reason = ActivityRules.WhyNotDecide(status);
        if (why is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(why, reason);
        }
    }
}

public sealed class SupportRulesTests
{
    private const string Teacher = "37/3716/371602/S1";

    [Theory]
    [InlineData(Tiers.Backbone, true, "37/3716/371602/S2", true, null)]
    [InlineData(Tiers.Leading, true, "37/3704/370402/S3", true, null)]
    [InlineData(Tiers.Rising, true, "37/3716/371602/S2", true, "发展层级")]
    [InlineData(Tiers.Backbone, false, "37/3716/371602/S2", true, "不在岗")]
    [InlineData(Tiers.Backbone, true, "37/3716/371602/S2", false, "未被列为帮扶对象")]
    [InlineData(Tiers.Backbone, true, Teacher, true, "不能帮扶本校")]
    public void Backbone_teachers_and_above_in_post_support_marked_schools_other_than_their_own(string tier, bool inPost, string school, bool marked,
        string? why)
    {
        var reason = SupportRules.WhyNotSupport("王丽", tier, inPost, Teacher, school, "薄弱校", marked);
        if (why is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.Contains(why, reason);
        }
    }

    [Theory]
    [InlineData("37/3716/371602/S2", TrainingLevels.County)]
    [InlineData("37/3716/371603/S4", TrainingLevels.City)]
    [InlineData("37/3704/370402/S3", TrainingLevels.Provincial)]
    public void A_support_pairing_counts_at_the_level_of_the_lowest_bureau_over_both_schools(string school, string level) =>
        Assert.Equal(level, SupportRules.LevelOf(Teacher, school));
}
