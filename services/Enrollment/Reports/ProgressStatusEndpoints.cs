using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>A progress status as pages show it.</summary>
public sealed record ProgressStatusView(
    [property: Description("状态代码，即教师进度列表的 status 与筛选条件 filter 的取值")] string Code,
    [property: Description("状态名称")] string Name,
    [property: Description("显示顺序，从 1 开始")] int Order);

/// <summary>The year's progress statuses, served so that the portal names, orders and filters by them instead of a copy.</summary>
public static class ProgressStatusEndpoints
{
    public static IEndpointRouteBuilder MapProgressStatusEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous like every reference list the portal reads without a user at hand: it tells nothing about anyone.
        app.MapGet("/api/enrollment/reference/progress-statuses", ListProgressStatuses)
            .AllowAnonymous()
            .WithTags("Reports")
            .WithName("ListProgressStatuses")
            .WithSummary("年度学习进度状态")
            .WithDescription("教师年度学习进度的各状态（已完成、进度正常、进度落后、未开始、不参训）及名称，按页面显示顺序排列。");
        return app;
    }

    public static Ok<IReadOnlyList<ProgressStatusView>> ListProgressStatuses() => TypedResults.Ok(View);

    private static readonly IReadOnlyList<ProgressStatusView> View =
        [.. ProgressStatuses.Names.Select((n, i) => new ProgressStatusView(n.Key, n.Value, i + 1))];
}
