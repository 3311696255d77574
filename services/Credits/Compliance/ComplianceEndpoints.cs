using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A policy by its code and name.</summary>
public sealed record PolicyName(string Code, string Name);

/// <summary>A teacher's standing in one cycle under the active policy: overall, rule by rule, in plain Chinese.</summary>
public sealed record ComplianceView(
    [property: Description("判定所依据的政策（当前使用的政策）")] PolicyName Policy,
    int CycleStart,
    int CycleEnd,
    [property: Codes(typeof(CycleStandings)), Description("总体达标情况")] string Overall,
    string OverallName,
    [property: Description("未达标或有风险的各项说明，全部达标时为一句总结")] string Summary,
    [property: Description("已满足发证条件")] bool CertificateEligible,
    [property: Description("本周期内考核不合格的年度（不参训、中途退出或考核未通过）")] IReadOnlyList<int> FailedYears,
    IReadOnlyList<RuleStatusView> Rules);

/// <summary>One rule (for a per-year rule, one year of it): required, earned, still needed, and the standing.</summary>
public sealed record RuleStatusView(
    string Key,
    string Label,
    [property: Codes(typeof(RulePeriods))] string Period,
    [property: Description("按年计算的规则：哪一年")] int? Year,
    decimal Required,
    decimal Earned,
    decimal Needed,
    [property: Codes(typeof(ComplianceStatuses))] string Status,
    string StatusName,
    string Explanation);

/// <summary>A teacher's standing on every rule of the cycle, computed fresh from the ledger and the active policy.</summary>
public static class ComplianceEndpoints
{
    /// <summary>The words of a <c>cycle</c> query parameter, shared by every operation that takes one.</summary>
    public const string CycleDescription = "周期，以周期内任一年份表示（如 2027 表示 2026–2030 周期）；缺省为今年所在周期";

    public static IEndpointRouteBuilder MapComplianceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Compliance");
        group.MapGet("/me/compliance", MineAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("GetMyCompliance").WithSummary("我的周期达标情况")
            .WithDescription("按当前政策逐条判断本人在一个周期内的达标情况：已获、还差多少学时，是否有完不成的风险。");
        group.MapGet("/teachers/{teacherId:guid}/compliance", GetAsync)
            .WithName("GetTeacherCompliance").WithSummary("教师周期达标情况")
            .WithDescription("管理员查看其管理范围内教师的达标情况；范围外的教师答 404。");
        return app;
    }

    /// <summary>The 400 for a <c>cycle</c> (any year of the cycle asked for) outside the years the platform holds, or null.</summary>
    internal static ValidationFailed? CycleProblem(int? cycle) =>
        new Validation().RequireSupportedYear(cycle, "cycle", "周期（以周期内任一年份表示）") is { IsValid: false } validation
            ? validation.ToProblem()
            : null;

    private static Task<Results<Ok<ComplianceView>, ValidationFailed, NotFoundProblem>> MineAsync(
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description(CycleDescription)] int? cycle, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken) =>
        GetAsync(PlatformUser.From(http.User).TeacherId ?? Guid.Empty, cycle, http, db, clock, cancellationToken);

    private static async Task<Results<Ok<ComplianceView>, ValidationFailed, NotFoundProblem>> GetAsync(Guid teacherId,
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description(CycleDescription)] int? cycle, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (CycleProblem(cycle) is { } problem)
        {
            return problem;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await LedgerStore.VisibleTeacherAsync(connection, teacherId, PlatformUser.From(http.User), cancellationToken) is null)
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var policy = await PolicyStore.ActiveAsync(connection, null, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        var result = await ComplianceStore.EvaluateAsync(connection, null, teacherId, policy, today, cycle is { } year ? policy.CycleOf(year).First : null,
            cancellationToken);
        return TypedResults.Ok(new ComplianceView(
            new PolicyName(policy.Code, policy.Name),
            result!.CycleStart,
            result.CycleEnd,
            result.Overall,
            ComplianceStatuses.Names[result.Overall],
            result.Summary,
            result.CertificateEligible,
            result.FailedYears,
            [.. result.Rules.Select(r => new RuleStatusView(r.Key, r.Label, r.Period, r.Year, r.Required, r.Earned, r.Needed, r.Status,
                ComplianceStatuses.Names[r.Status], r.Explanation))]));
    }
}
