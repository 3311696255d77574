using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Policies;
using Xunit;

namespace TrainingPlatform.Credits.Tests;

/// <summary>Null elements and impossible years in a policy are field errors, never an exception.</summary>
public sealed class PolicyValidationTests
{
    private static CreditRule Rule(RuleFilter filter) => new("cycle-total", "周期总学时", RulePeriods.Cycle, 360, filter);

    [Fact]
    public void A_null_rule_or_filter_value_is_named_by_its_path()
    {
        var validation = PolicyEndpoints.Validate("x1", new PolicyRequest("测试", 5, 2026,
            [null!, Rule(new RuleFilter(Categories: [null!, "ethics"], Modes: [null!], Levels: [null!], Sources: [null!]))]));
        Assert.Equal(new HashSet<(string, string)>
        {
            ("rules[0]", Validation.Required), ("rules[1].filter.categories[0]", Validation.Required), ("rules[1].filter.modes[0]", Validation.Required),
            ("rules[1].filter.levels[0]", Validation.Required), ("rules[1].filter.sources[0]", Validation.Required),
        }, validation.Names.ToHashSet());
        Assert.DoesNotContain(validation.Errors, e => e.Field == "rules" || e.Field.EndsWith(".categories", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1999)]
    [InlineData(2101)]
    [InlineData(int.MaxValue)]
    public void A_first_cycle_year_outside_the_supported_years_is_out_of_range(int year)
    {
        var validation = PolicyEndpoints.Validate("x1", new PolicyRequest("测试", 5, year, [Rule(new RuleFilter())]));
        Assert.Equal([("firstCycleYear", Validation.OutOfRange)], validation.Names);
    }

    [Fact]
    public void Every_cycle_of_a_supported_year_has_dates_whatever_the_policy()
    {
        foreach (var first in new[] { CreditCycles.EarliestYear, 2026, CreditCycles.LatestYear })
        {
            foreach (var length in new[] { 1, 5, 10 })
            {
                foreach (var year in new[] { CreditCycles.EarliestYear, CreditCycles.LatestYear })
                {
                    var (start, end) = CreditCycles.Containing(year, first, length);
                    Assert.InRange(start, DateOnly.MinValue.Year, DateOnly.MaxValue.Year);
                    Assert.InRange(end, DateOnly.MinValue.Year, DateOnly.MaxValue.Year);
                }
            }
        }
    }

    [Fact]
    public void The_shared_check_finds_nulls_nested_in_a_policy_body()
    {
        var body = JsonSerializer.Deserialize<PolicyRequest>("""{"rules":[{"filter":{"categories":[null]}},null]}""", JsonSerializerOptions.Web)!;
        Assert.Equal(new HashSet<(string, string)> { ("rules[0].filter.categories[0]", Validation.Required), ("rules[1]", Validation.Required) },
            NullElements.Check(body, JsonSerializerOptions.Web).Names.ToHashSet());
    }
}
