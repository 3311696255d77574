using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Compliance;

/// <summary>A teacher's standing on every rule of the cycle, computed fresh from the ledger and the active policy.</summary>
public static class ComplianceEndpoints
{
    public static IEndpointRouteBuilder MapComplianceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Compliance");
        group.MapGet("/me/compliance", (int? cycle, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken ct) =>
            GetAsync(PlatformUser.From(http.User).TeacherId ?? Guid.Empty, cycle, http, db, clock, ct)).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapGet("/teachers/{teacherId:guid}/compliance", GetAsync);
        return app;
    }

    /// <summary>The 400 for a <c>cycle</c> (any year of the cycle asked for) outside the years the platform holds, or null.</summary>
    internal static IResult? CycleProblem(int? cycle) =>
        new Validation().RequireSupportedYear(cycle, "cycle", "周期（以周期内任一年份表示）") is { IsValid: false } validation
            ? validation.ToProblem()
            : null;

    private static async Task<IResult> GetAsync(Guid teacherId, int? cycle, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (CycleProblem(cycle) is { } problem)
        {
            return problem;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await LedgerEndpoints.VisibleTeacherAsync(connection, teacherId, PlatformUser.From(http.User), cancellationToken) is null)
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var policy = await PolicyStore.ActiveAsync(connection, null, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        var result = await ComplianceStore.EvaluateAsync(connection, null, teacherId, policy, today, cycle is { } year ? policy.CycleOf(year).First : null,
            cancellationToken);
        return TypedResults.Ok(new
        {
            policy = new { policy.Code, policy.Name },
            result!.CycleStart,
            result.CycleEnd,
            result.Overall,
            overallName = ComplianceStatuses.Names[result.Overall],
            result.Summary,
            result.CertificateEligible,
            result.FailedYears,
            rules = result.Rules.Select(r => new
            {
                r.Key, r.Label, r.Period, r.Year, r.Required, r.Earned, r.Needed, r.Status, statusName = ComplianceStatuses.Names[r.Status], r.Explanation,
            }),
        });
    }
}
