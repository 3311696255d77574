using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Reports;
using Xunit;

namespace TrainingPlatform.Credits.Tests;

/// <summary>The standings Credits serves to the portal are the ones its rules give, with the same names and order.</summary>
public sealed class ComplianceStatusListTests
{
    private static ComplianceStatusesView Served => ComplianceStatusEndpoints.ListComplianceStatuses().Value!;

    [Fact]
    public void The_served_standings_are_the_rule_statuses_a_whole_cycle_can_have_in_order()
    {
        Assert.Equal(
            ComplianceStatuses.Names.Where(n => n.Key != ComplianceStatuses.Pending).Select((n, i) => (n.Key, n.Value, i + 1, ComplianceStatuses.Meanings[n.Key])),
            Served.Standings.Select(s => (s.Code, s.Name, s.Order, s.Meaning)));
        Assert.Equal([ComplianceStatuses.Met, ComplianceStatuses.OnTrack, ComplianceStatuses.AtRisk, ComplianceStatuses.NotMet],
            Served.Standings.Select(s => s.Code));
    }

    [Fact]
    public void The_served_filters_are_the_standings_and_no_hours_yet_exactly_what_the_teacher_list_accepts()
    {
        Assert.Equal(ReportStatusFilters.Names.Keys, Served.Filters.Select(f => f.Code));
        Assert.Equal(Served.Standings.Select(s => (s.Code, s.Name, s.Meaning)), Served.Filters.Take(Served.Standings.Count).Select(f => (f.Code, f.Name, f.Meaning)));
        Assert.Equal((ReportStatusFilters.NotStarted, "尚无学时"), (Served.Filters[^1].Code, Served.Filters[^1].Name));
        Assert.Equal(Enumerable.Range(1, Served.Filters.Count), Served.Filters.Select(f => f.Order));
    }
}
