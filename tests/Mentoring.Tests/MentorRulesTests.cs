using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Mentors;
using Xunit;

namespace TrainingPlatform.Mentoring.Tests;

public sealed class MentorRulesTests
{
    private static readonly DateOnly Today = new(2026, 9, 1);

    [Theory]
    [InlineData("2023-09-01", Tiers.Rising, false)]     // exactly three years ago: no longer new
    [InlineData("2023-09-02", Tiers.Rising, true)]
    [InlineData("2026-08-31", Tiers.Rising, true)]
    [InlineData("2010-09-01", Tiers.NewTeacher, true)]  // the tier says so
    public void New_teachers_are_those_in_their_first_three_years_or_of_the_new_teacher_tier(string hired, string tier, bool isNew) =>
        Assert.Equal(isNew, MentorRules.IsNewTeacher(DateOnly.Parse(hired, System.Globalization.CultureInfo.InvariantCulture), tier, Today, 3));

    [Theory]
    [InlineData(Tiers.Backbone, true, null)]
    [InlineData(Tiers.Master, true, null)]
    [InlineData(Tiers.Leading, true, null)]
    [InlineData(Tiers.Rising, true, "发展层级")]
    [InlineData(Tiers.NewTeacher, true, "发展层级")]
    [InlineData(Tiers.Backbone, false, "不在岗")]
    public void Backbone_teachers_and_above_in_post_may_mentor(string tier, bool inPost, string? why)
    {
        var reason = MentorRules.WhyNotMentor("王丽", tier, inPost);
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
    public void A_pairing_lasts_the_set_number_of_years_to_the_day_before() =>
        Assert.Equal((Today, new DateOnly(2029, 8, 31)), MentorRules.Period(Today, 3));

    [Theory]
    [InlineData("2026-09-01", null)]
    [InlineData("2026-01-01", null)]
    [InlineData("2026-09-02", "晚于今天")]
    [InlineData("2025-12-31", "不在本年度内")]
    public void A_pairing_may_begin_back_in_this_year_but_not_ahead_of_today(string startsOn, string? why)
    {
        var reason = MentorRules.WhyNotStartOn(DateOnly.Parse(startsOn, System.Globalization.CultureInfo.InvariantCulture), new DateOnly(2026, 9, 1));
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
    [InlineData(true, "2026-06-01", "submitted")]
    [InlineData(true, "2026-05-01", "submitted")]
    [InlineData(false, "2026-05-31", "pending")]
    [InlineData(false, "2026-06-01", "late")]
    public void A_group_list_not_submitted_by_its_due_date_is_late(bool submitted, string today, string status) =>
        Assert.Equal(status, TrainingPlatform.Services.Mentoring.StudyGroups.GroupListStatuses.Of(submitted,
            DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), new DateOnly(2026, 5, 31)));
}
