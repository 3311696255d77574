using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TrainingPlatform.Services.Credits.Reports;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A standing (or a list filter) as pages show it.</summary>
public sealed record ComplianceStatusView(
    [property: Description("代码")] string Code,
    [property: Description("名称")] string Name,
    [property: Description("显示顺序，从 1 开始")] int Order,
    [property: Description("含义，如“尚未完成，按目前进度到期难以完成”")] string Meaning);

/// <summary>The cycle's standings and the teacher list's filters, each in display order.</summary>
public sealed record ComplianceStatusesView(
    [property: Description("教师本周期的总体达标情况：教师达标名单中的 overall、各单位达标汇总中的各项人数")]
    IReadOnlyList<ComplianceStatusView> Standings,
    [property: Description("教师达标名单及其导出的 status 筛选条件：上述达标情况，以及本周期尚无学时（与上述交叉）")]
    IReadOnlyList<ComplianceStatusView> Filters);

/// <summary>
/// The five-year cycle's standings as <see cref="CycleStandings"/> and <see cref="ReportStatusFilters"/> define them,
/// served so that the portal names, charts and filters by them instead of a copy. A rule's own status (which may also
/// be <c>pending</c>) is not listed: the compliance view names it itself.
/// </summary>
public static class ComplianceStatusEndpoints
{
    public static IEndpointRouteBuilder MapComplianceStatusEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous like every reference list the portal reads without a user at hand: it tells nothing about anyone.
        app.MapGet("/api/credits/reference/compliance-statuses", ListComplianceStatuses)
            .AllowAnonymous()
            .WithTags("Reports")
            .WithName("ListComplianceStatuses")
            .WithSummary("周期学时达标情况")
            .WithDescription("教师五年周期的总体达标情况（已达标、进度正常、有风险、未达标）及名称、含义，按页面显示顺序排列；以及教师达标名单可按的筛选条件。");
        return app;
    }

    public static Ok<ComplianceStatusesView> ListComplianceStatuses() => TypedResults.Ok(View);

    /// <summary>The definitions do not change while the service runs: built once.</summary>
    private static readonly ComplianceStatusesView View = new(
        [.. CycleStandings.Names.Select((n, i) => new ComplianceStatusView(n.Key, n.Value, i + 1, ComplianceStatuses.Meanings[n.Key]))],
        [.. ReportStatusFilters.Names.Select((n, i) => new ComplianceStatusView(n.Key, n.Value, i + 1, ReportStatusFilters.Meanings[n.Key]))]);
}
