using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>One in-post teacher's year in a report: the figures, and where they stand and why.</summary>
public sealed record TeacherProgressView(
    Guid TeacherId,
    string Name,
    [property: Description("学校代码")] string SchoolCode,
    string SchoolName,
    [property: Description("学校在机构树中的路径，如 37/3716/371602/S1")] string SchoolPath,
    [property: Codes(typeof(StageNames))] string Stage,
    string Subject,
    [property: Description("本年度必修课程学时合计")] decimal RequiredHours,
    [property: Description("本年度已选选修课程学时合计")] decimal ElectiveHours,
    [property: Description("已完成课程的学时合计")] decimal HoursDone,
    [property: Description("已完成学时占年度最低学时的百分比，保留一位小数")] decimal PercentOfMinimum,
    bool OptedOut,
    [property: Codes(typeof(ProgressStatuses))] string Status,
    [property: Description("状态的中文说明：差多少、为什么")] string Reason);

/// <summary>A page of the teachers under an organisation.</summary>
public sealed record TeacherProgressPage(
    [property: Description("年度代码")] string Year,
    [property: Description("报表所针对的机构；运营方查看全省时为空")] OrganisationName? Under,
    [property: Description("统计日期（省内日期）")] DateOnly AsOf,
    [property: Codes(typeof(ProgressFilters))] string Filter,
    int PageSize,
    [property: Description("符合筛选条件的教师总数（所有页）")] long Total,
    IReadOnlyList<TeacherProgressView> Items,
    [property: Description("下一页的位置，作为 after 参数传回；已是最后一页时为空")] string? Next);

/// <summary>The year's progress under an organisation, by group and in total.</summary>
public sealed record ProgressRollUp(
    [property: Description("年度代码")] string Year,
    [property: Description("报表所针对的机构；运营方查看全省时为空")] OrganisationName? Under,
    [property: Description("统计日期（省内日期）")] DateOnly AsOf,
    [property: Description("按必修学习期已过的比例，此时每名教师应完成的学时")] decimal ExpectedHours,
    [property: Description("合计（path 为空）")] RollUpRow Total,
    [property: Description("下一级单位（市、全省按县区；县区、乡镇按学校）")] IReadOnlyList<RollUpRow> Groups);

/// <summary>
/// Progress views for schools and districts: the teachers at and below an organisation with where each stands (who is
/// behind, and why), the same rolled up by school or county, and an XLSX export. Only in-post teachers count.
/// </summary>
public static class ReportEndpoints
{
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;

    private const string ScopeText = "范围：under 给出的机构及其下级（须在本账号管理范围内），不给时为本账号所属机构（运营方为全省）；只统计在岗教师。";

    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapGet("/teachers", ListAsync)
            .WithName("ListTeacherProgress")
            .WithSummary("教师学习进度名单")
            .WithDescription($"""
                分页列出教师本年度的学时与状态（已完成 / 进度正常 / 进度落后 / 未开始 / 不参训）及原因，可按状态筛选。{ScopeText}按学校、姓名排序；第一页不带 after，之后各页把上一页答复的 next 作为 after 传回（next 为空即最后一页）；pageSize 1–{MaxPageSize}（默认 {DefaultPageSize}）；total 为全部页的人数。读取的是随每次选课、进度变化同步更新的累计值。
                """);
        group.MapGet("/teachers/export", ExportAsync)
            .WithName("ExportTeacherProgress")
            .WithSummary("导出教师学习进度（Excel）")
            .WithDescription($"""
                与教师学习进度名单相同的内容，不分页，导出为 XLSX 文件（一名教师一行，中文表头），边读边写。{ScopeText}单次最多 {TeacherProgressSheet.MaxRows:N0} 名教师，超出时答 422（rule = export-too-large），请改为后台导出（POST teachers/exports），或按市、区县分别导出，或按状态筛选。
                """)
            .Produces<Stream>(StatusCodes.Status200OK, TeacherProgressSheet.ContentType);
        group.MapGet("/report", RollUpAsync)
            .WithName("GetProgressRollUp")
            .WithSummary("各单位学习进度汇总")
            .WithDescription($"按下一级单位汇总各状态人数、平均学时与完成率，并给出合计。{ScopeText}市与全省按县区汇总，县区与乡镇按学校汇总。读取的是学习进度累计值，与按选课记录全量计算的结果一致。");
        group.MapProgressExportEndpoints(ScopeText);
        return app;
    }

    private static async Task<Results<Ok<TeacherProgressPage>, ValidationFailed, ForbiddenProblem, NotFoundProblem>> ListAsync(
        [Description("年度代码，如 2026")] string year,
        [Description("机构代码；不填为本账号所属机构")] string? under,
        [Codes(typeof(ProgressFilters))] string? filter,
        [Description("上一页答复中的 next；第一页不填"), MaxLength(PageCursor.MaxLength)] string? after,
        [Description("每页条数"), Range(1, MaxPageSize)] int? pageSize,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var cursor = PageCursor.Parse(after);
        var validation = new Validation()
            .Require(after is null || cursor is not null, "after", "after 应为上一页答复中的 next，原样传回", "invalid-cursor")
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条");
        var status = ParseFilter(filter, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (scope, forbidden, notFound) = await ScopeAsync(connection, year, under, http, clock, cancellationToken);
        if (scope is null)
        {
            return forbidden is not null ? forbidden : notFound!;
        }
        var size = pageSize ?? DefaultPageSize;
        // One row more than the page says whether there is a next one.
        var rows = await ProgressTallyStore.PageAsync(connection, scope, status, cursor, size + 1, cancellationToken);
        var total = await ProgressRollUps.CountAsync(connection, scope, status, cancellationToken);
        var next = rows.Count > size ? PageCursor.Format(rows[size - 1]) : null;
        return TypedResults.Ok(new TeacherProgressPage(scope.Year.Code, scope.Organisation, scope.Today, filter ?? ProgressFilters.All,
            size, total, [.. rows.Take(size).Select(row => View(scope, row))], next));
    }

    private static async Task<Results<Ok<ProgressRollUp>, ForbiddenProblem, NotFoundProblem>> RollUpAsync(
        [Description("年度代码，如 2026")] string year,
        [Description("机构代码；不填为本账号所属机构")] string? under,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (scope, forbidden, notFound) = await ScopeAsync(connection, year, under, http, clock, cancellationToken);
        if (scope is null)
        {
            return forbidden is not null ? forbidden : notFound!;
        }
        var rows = await ProgressRollUps.RowsAsync(connection, scope, groups: true, cancellationToken);
        return TypedResults.Ok(new ProgressRollUp(scope.Year.Code, scope.Organisation, scope.Today, ProgressStatus.ExpectedHours(scope.Year, scope.Today),
            rows.FirstOrDefault(r => r.Path is null) ?? new RollUpRow(), [.. rows.Where(r => r.Path is not null)]));
    }

    /// <summary>
    /// Streams the sheet from the tallies: counted first (a 422 cannot follow a 200 once the first byte is out), then
    /// each row written to the response as it is read, on a connection of the stream's own (the handler's is gone by then).
    /// </summary>
    private static async Task<Results<PushStreamHttpResult, ValidationFailed, ForbiddenProblem, NotFoundProblem, RuleProblem>> ExportAsync(
        [Description("年度代码，如 2026")] string year,
        [Description("机构代码；不填为本账号所属机构")] string? under,
        [Codes(typeof(ProgressFilters))] string? filter,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        var status = ParseFilter(filter, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (scope, forbidden, notFound) = await ScopeAsync(connection, year, under, http, clock, cancellationToken);
        if (scope is null)
        {
            return forbidden is not null ? forbidden : notFound!;
        }
        var total = await ProgressRollUps.CountAsync(connection, scope, status, cancellationToken);
        if (total > TeacherProgressSheet.MaxRows)
        {
            return Problems.RuleBroken(
                $"导出范围内有 {total:N0} 名教师，超过直接导出的上限 {TeacherProgressSheet.MaxRows:N0} 名：请发起后台导出（教师学习进度后台导出），完成后下载；或按市、区县分别导出（under=机构代码），或按状态筛选（filter）",
                "export-too-large");
        }
        return TypedResults.Stream(async body =>
        {
            var aborted = http.RequestAborted;
            await using var reader = await db.OpenConnectionAsync(aborted);
            await TeacherProgressSheet.WriteAsync(body, scope, ProgressTallyStore.StreamAsync(reader, scope, status, aborted), aborted);
        }, TeacherProgressSheet.ContentType, TeacherProgressSheet.FileName(scope, status));
    }

    /// <summary>
    /// The year and the organisation the report is about: <paramref name="under"/> (an organisation code) if given,
    /// else the caller's own; 404 when the year or the organisation is unknown or outside the caller's scope, 403 when
    /// the caller belongs to no organisation.
    /// </summary>
    internal static async Task<(ReportScope? Scope, ForbiddenProblem? Forbidden, NotFoundProblem? NotFound)> ScopeAsync(NpgsqlConnection connection,
        string year, string? under, HttpContext http, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var programYear = await EnrollmentFacts.YearAsync(connection, year, cancellationToken);
        if (programYear is null)
        {
            return (null, null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var today = ProvinceCalendar.Today(clock);
        if (string.IsNullOrWhiteSpace(under))
        {
            var root = user.IsOperator ? "" : user.OrganisationPath;
            if (!user.IsOperator && root.Length == 0)
            {
                return (null, Problems.Forbidden("你的账号没有所属机构，无法查看报表"), null);
            }
            var own = root.Length == 0 ? null
                : await ReportStore.OrganisationAtAsync(connection, root, cancellationToken) ?? new OrganisationName { Code = Code(root), Path = root };
            return (new ReportScope(programYear, today, root, own), null, null);
        }
        var organisation = await ReportStore.OrganisationAsync(connection, under.Trim(), cancellationToken);
        if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
        {
            return (null, null, Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内"));
        }
        return (new ReportScope(programYear, today, organisation.Path, organisation), null, null);
    }

    private static string Code(string path) => path[(path.LastIndexOf('/') + 1)..];

    internal static string? ParseFilter(string? filter, Validation validation)
    {
        if (filter is null or ProgressFilters.All)
        {
            return null;
        }
        validation.Require(ProgressStatuses.Names.ContainsKey(filter), "filter",
            $"filter 应为 {string.Join(" / ", ProgressFilters.Names.Keys)}");
        return filter;
    }

    private static TeacherProgressView View(ReportScope scope, TeacherYearRow row)
    {
        var verdict = scope.Assess(row);
        return new TeacherProgressView(row.Id, row.Name, row.SchoolCode, row.SchoolName, row.SchoolPath, row.Stage, row.Subject, row.RequiredHours,
            row.ElectiveHours, row.HoursDone, TeacherProgressSheet.PercentOfMinimum(scope.Year, row.HoursDone), row.OptedOut, verdict.Status,
            verdict.Reason);
    }
}
