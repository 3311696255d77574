using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.ProgramYears;
using TrainingPlatform.Services.Catalog.Topics;
using Xunit;

namespace TrainingPlatform.Catalog.Tests;

public sealed class TopicChoiceRulesTests
{
    private static readonly EffectiveWindow Window = new(SelectionWindows.TopicSelection, new(2026, 6, 25), new(2026, 7, 2), "year", null);
    private static readonly DateOnly StudyStarts = new(2026, 7, 26);
    private static readonly string[] Primary = [Stages.Primary];

    [Theory]
    [InlineData("2026-06-24", false, false, 409, "window-not-open")] // before the window
    [InlineData("2026-06-25", false, true, 200, "")]  // first day
    [InlineData("2026-07-02", false, true, 200, "")]  // last day
    [InlineData("2026-07-03", false, false, 409, "window-closed")] // window closed, nothing chosen
    [InlineData("2026-07-03", true, true, 200, "")]   // closed, but a chosen school may change until study starts
    [InlineData("2026-07-25", true, true, 200, "")]
    [InlineData("2026-07-26", true, false, 409, "frozen")]
    public void A_school_chooses_inside_the_window_and_changes_until_study_starts(string today, bool chosen, bool allowed, int status, string rule)
    {
        var decision = TopicChoiceRules.Decide(DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture), Window, StudyStarts, chosen, Primary);
        Assert.Equal((allowed, status, rule), (decision.Allowed, decision.Status, decision.Rule));
        if (allowed)
        {
            Assert.Equal(chosen ? TopicChoiceChanges.Changed : TopicChoiceChanges.Chosen, decision.Change);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(decision.Reason));
        }
    }

    [Fact]
    public void The_frozen_refusal_says_when_study_started()
    {
        var decision = TopicChoiceRules.Decide(new(2026, 8, 1), Window, StudyStarts, true, Primary);
        Assert.Contains("2026-07-26", decision.Reason);
        Assert.Contains("冻结", decision.Reason);
    }

    [Fact]
    public void Kindergartens_choose_no_topics_but_a_school_with_a_kindergarten_and_a_primary_stage_does()
    {
        Assert.Equal(422, TopicChoiceRules.Decide(new(2026, 6, 26), Window, StudyStarts, false, [Stages.Kindergarten]).Status);
        Assert.True(TopicChoiceRules.Decide(new(2026, 6, 26), Window, StudyStarts, false, [Stages.Kindergarten, Stages.Primary]).Allowed);
    }
}
