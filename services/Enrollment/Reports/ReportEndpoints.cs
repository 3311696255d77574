using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>
/// Progress views for schools and districts: the teachers at and below an organisation with where each stands (who is
/// behind, and why), the same rolled up by school or county, and an XLSX export. Only in-post teachers count.
/// </summary>
public static class ReportEndpoints
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapGet("/teachers", ListAsync);
        group.MapGet("/teachers/export", ExportAsync);
        group.MapGet("/report", RollUpAsync);
        return app;
    }

    private static Task<IResult> ListAsync(string year, string? under, string? filter, int? page, int? pageSize, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(page is null or >= 1, "page", "页码从 1 开始")
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条");
        var status = ParseFilter(filter, validation);
        return InScopeAsync(validation, year, under, http, db, clock, async (connection, scope) =>
        {
            var size = pageSize ?? 50;
            var (rows, total) = await ReportQueries.PageAsync(connection, scope, status, size, ((page ?? 1) - 1) * size, cancellationToken);
            return TypedResults.Ok(new
            {
                year = scope.Year.Code,
                under = scope.Organisation,
                asOf = scope.Today,
                filter = filter ?? "all",
                page = page ?? 1,
                pageSize = size,
                total,
                items = rows.Select(row => View(scope, row)),
            });
        }, cancellationToken);
    }

    private static Task<IResult> RollUpAsync(string year, string? under, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken) =>
        InScopeAsync(new Validation(), year, under, http, db, clock, async (connection, scope) =>
        {
            var rows = await ReportQueries.RollUpAsync(connection, scope, ProgressStatus.RollUpDepth(scope.Root), cancellationToken);
            return TypedResults.Ok(new
            {
                year = scope.Year.Code,
                under = scope.Organisation,
                asOf = scope.Today,
                expectedHours = ProgressStatus.ExpectedHours(scope.Year, scope.Today),
                total = rows.FirstOrDefault(r => r.Path is null) ?? new RollUpRow(),
                groups = rows.Where(r => r.Path is not null),
            });
        }, cancellationToken);

    private static Task<IResult> ExportAsync(string year, string? under, string? filter, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var status = ParseFilter(filter, validation);
        return InScopeAsync(validation, year, under, http, db, clock, async (connection, scope) =>
        {
            var file = await TeacherProgressSheet.WriteAsync(scope, ReportQueries.StreamAsync(connection, scope, status, cancellationToken),
                cancellationToken);
            if (file is null)
            {
                return Problems.RuleBroken(
                    $"导出范围内超过 {TeacherProgressSheet.MaxRows:N0} 名教师，请按市或区县分别导出（under=机构代码），或按状态筛选（filter）", "export-too-large");
            }
            return TypedResults.File(file, TeacherProgressSheet.ContentType,
                $"teachers-{scope.Year.Code}-{scope.Organisation?.Code ?? "all"}{(status is null ? "" : "-" + status)}.xlsx");
        }, cancellationToken);
    }

    /// <summary>Answers the validation problem, or the scope's problem, or what <paramref name="report"/> makes of the scope.</summary>
    private static async Task<IResult> InScopeAsync(Validation validation, string year, string? under, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, Func<NpgsqlConnection, ReportScope, Task<IResult>> report, CancellationToken cancellationToken)
    {
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (scope, problem) = await ScopeAsync(connection, year, under, http, clock, cancellationToken);
        return problem ?? await report(connection, scope!);
    }

    /// <summary>
    /// The year and the organisation the report is about: <paramref name="under"/> (an organisation code) if given,
    /// else the caller's own; 404 when the year or the organisation is unknown or outside the caller's scope.
    /// </summary>
    private static async Task<(ReportScope? Scope, IResult? Problem)> ScopeAsync(NpgsqlConnection connection, string year, string? under,
        HttpContext http, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var programYear = await EnrollmentFacts.YearAsync(connection, year, cancellationToken);
        if (programYear is null)
        {
            return (null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var today = ProvinceCalendar.Today(clock);
        if (string.IsNullOrWhiteSpace(under))
        {
            var root = user.IsOperator ? "" : user.OrganisationPath;
            if (!user.IsOperator && root.Length == 0)
            {
                return (null, Problems.Forbidden("你的账号没有所属机构，无法查看报表"));
            }
            var own = root.Length == 0 ? null
                : await OrganisationNames.AtAsync(connection, root, cancellationToken) ?? new OrganisationName { Code = Code(root), Path = root };
            return (new ReportScope(programYear, today, root, own), null);
        }
        var organisation = await OrganisationNames.FindAsync(connection, under.Trim(), cancellationToken);
        if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
        {
            return (null, Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内"));
        }
        return (new ReportScope(programYear, today, organisation.Path, organisation), null);
    }

    private static string Code(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string? ParseFilter(string? filter, Validation validation)
    {
        if (filter is null or "all")
        {
            return null;
        }
        validation.Require(ProgressStatus.All.Contains(filter), "filter", "filter 应为 behind / not_started / opted_out / completed / on_track / all");
        return filter;
    }

    private static object View(ReportScope scope, TeacherYearRow row)
    {
        var verdict = scope.Assess(row);
        return new
        {
            teacherId = row.Id,
            row.Name,
            row.SchoolCode,
            row.SchoolName,
            row.SchoolPath,
            row.Stage,
            row.Subject,
            row.RequiredHours,
            row.ElectiveHours,
            row.HoursDone,
            percentOfMinimum = TeacherProgressSheet.PercentOfMinimum(scope.Year, row.HoursDone),
            row.OptedOut,
            verdict.Status,
            verdict.Reason,
        };
    }
}
