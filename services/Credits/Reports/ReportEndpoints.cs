using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Spreadsheets;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits.Compliance;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Reports;

public sealed record ComplianceLine
{
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public decimal Hours { get; init; }
    public string Overall { get; init; } = "";
    public string Summary { get; init; } = "";
    public string? CertificateNumber { get; init; }
}

public sealed record RollupLine
{
    public string Unit { get; init; } = "";
    public long Teachers { get; init; }
    public long Met { get; init; }
    public long OnTrack { get; init; }
    public long AtRisk { get; init; }
    public long NotMet { get; init; }
    public long NotStarted { get; init; }
    public long Certificates { get; init; }
    public decimal AverageHours { get; init; }
}

/// <summary>
/// What schools, districts, cities and the province ask for: completion by unit, the at-risk list, and the same as
/// a spreadsheet. Read from the standing the evaluator keeps, so a district of 50,000 teachers is one query.
/// </summary>
public static class ReportEndpoints
{
    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/reports").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin, Roles.ResearchOffice,
                Roles.TrainingInstitution));
        group.MapGet("/compliance", RollupAsync);
        group.MapGet("/teachers", TeachersAsync);
        group.MapGet("/teachers/export", ExportAsync);
        return app;
    }

    /// <summary>The root the caller asked for (<paramref name="under"/>, an organisation path inside their scope) or their own scope.</summary>
    internal static string? Root(PlatformUser user, string? under)
    {
        var root = under ?? (user.IsOperator ? "" : user.OrganisationPath);
        return root.Length == 0 && !user.IsOperator ? null : root.Length == 0 || user.CanSeeOrganisation(root) ? root : null;
    }

    private static async Task<(int Cycle, DynamicParameters Parameters)> ParametersAsync(NpgsqlConnection connection, string root, int? cycleYear,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var policy = await PolicyStore.ActiveAsync(connection, null, cancellationToken);
        var cycle = policy.CycleOf(cycleYear ?? ProvinceCalendar.Today(clock).Year).First;
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("Cycle", cycle);
        parameters.Add("Depth", root.Length == 0 ? 1 : root.Split('/').Length + 1);
        return (cycle, parameters);
    }

    /// <summary>One line per unit directly below the root (cities for the province, counties for a city, schools for a county).</summary>
    private static async Task<IResult> RollupAsync(string? under, int? cycle, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (ComplianceEndpoints.CycleProblem(cycle) is { } problem)
        {
            return problem;
        }
        var root = Root(PlatformUser.From(http.User), under);
        if (root is null)
        {
            return Problems.NotFound($"机构 {under} 不存在或不在你的管理范围内");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (cycleStart, parameters) = await ParametersAsync(connection, root, cycle, clock, cancellationToken);
        // From the school roll-ups the evaluator keeps: tens of thousands of rows for a province, never the ledger.
        var lines = await connection.QueryAsync<RollupLine>(new CommandDefinition($"""
            select array_to_string((string_to_array(r.school_path, '/'))[1:@Depth], '/') as unit,
                   sum(r.teachers) as teachers, sum(r.met) as met, sum(r.on_track) as on_track, sum(r.at_risk) as at_risk,
                   sum(r.not_met) as not_met, sum(r.not_started) as not_started, sum(r.certificates) as certificates,
                   coalesce(round(sum(r.hours) / nullif(sum(r.teachers), 0), 1), 0) as average_hours
            from school_rollups r
            where r.cycle_start = @Cycle and {PlatformUser.ScopeSql("r.school_path")}
            group by 1
            having sum(r.teachers) > 0
            order by 1
            """, parameters, cancellationToken: cancellationToken));
        return TypedResults.Ok(new { cycleStart, under = root, units = lines });
    }

    private static Task<IEnumerable<ComplianceLine>> LinesAsync(NpgsqlConnection connection, DynamicParameters parameters, CancellationToken cancellationToken) =>
        connection.QueryAsync<ComplianceLine>(new CommandDefinition($"""
            select c.teacher_id, t.name, c.school_path, t.stage, t.subject, c.hours, c.overall, c.summary,
                   (select number from certificates x where x.teacher_id = c.teacher_id and x.cycle_start = @Cycle and x.revoked_at is null) as certificate_number
            from compliance c join teachers t on t.id = c.teacher_id
            where c.cycle_start = @Cycle and c.counted and {PlatformUser.ScopeSql("c.school_path")}
              and (@Status is null or c.overall = @Status or (@Status = 'not_started' and c.hours = 0))
            order by c.school_path, t.name
            limit @Limit
            """, parameters, cancellationToken: cancellationToken));

    /// <summary>Teachers in scope with their standing; <c>status=at_risk</c> is the at-risk list.</summary>
    private static async Task<IResult> TeachersAsync(string? under, int? cycle, string? status, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (status is not null && status != "not_started" && !ComplianceStatuses.Names.ContainsKey(status))
        {
            return new Validation().Require(false, "status", "状态应为 met、on_track、at_risk、not_met 或 not_started（尚未开始）").ToProblem();
        }
        if (ComplianceEndpoints.CycleProblem(cycle) is { } problem)
        {
            return problem;
        }
        var root = Root(PlatformUser.From(http.User), under);
        if (root is null)
        {
            return Problems.NotFound($"机构 {under} 不存在或不在你的管理范围内");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (cycleStart, parameters) = await ParametersAsync(connection, root, cycle, clock, cancellationToken);
        parameters.Add("Status", status, System.Data.DbType.String);
        parameters.Add("Limit", 5000);
        return TypedResults.Ok(new { cycleStart, teachers = await LinesAsync(connection, parameters, cancellationToken) });
    }

    private static async Task<IResult> ExportAsync(string? under, int? cycle, string? status, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (ComplianceEndpoints.CycleProblem(cycle) is { } problem)
        {
            return problem;
        }
        var root = Root(PlatformUser.From(http.User), under);
        if (root is null)
        {
            return Problems.NotFound($"机构 {under} 不存在或不在你的管理范围内");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (cycleStart, parameters) = await ParametersAsync(connection, root, cycle, clock, cancellationToken);
        parameters.Add("Status", status, System.Data.DbType.String);
        parameters.Add("Limit", 200_000);
        var lines = await LinesAsync(connection, parameters, cancellationToken);
        return XlsxSheet.File($"compliance-{cycleStart}.xlsx", "周期学时达标情况",
            ["姓名", "学校", "学段", "学科", "本周期学时", "达标情况", "说明", "合格证编号"],
            lines.Select(l => (IReadOnlyList<object?>)[l.Name, l.SchoolPath, l.Stage, l.Subject, l.Hours,
                ComplianceStatuses.Names.GetValueOrDefault(l.Overall, "未评估"), l.Summary, l.CertificateNumber]));
    }
}
