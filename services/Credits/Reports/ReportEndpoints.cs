using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Spreadsheets;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Compliance;

namespace TrainingPlatform.Services.Credits.Reports;

public sealed record ComplianceLine
{
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    [Description("学校的机构路径")]
    public string SchoolPath { get; init; } = "";
    [Codes(typeof(StageNames))]
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    [Description("本周期已获学时")]
    public decimal Hours { get; init; }
    [Codes(typeof(CycleStandings))]
    public string Overall { get; init; } = "";
    public string Summary { get; init; } = "";
    [Description("本周期有效的合格证编号；尚未发证时为空")]
    public string? CertificateNumber { get; init; }
}

public sealed record RollupLine
{
    [Description("下一级单位的机构路径（省看各市，市看各县区，县区看各校）")]
    public string Unit { get; init; } = "";
    public long Teachers { get; init; }
    public long Met { get; init; }
    public long OnTrack { get; init; }
    public long AtRisk { get; init; }
    public long NotMet { get; init; }
    [Description("本周期尚无学时的教师")]
    public long NotStarted { get; init; }
    [Description("本周期有效证书数")]
    public long Certificates { get; init; }
    [Description("人均学时")]
    public decimal AverageHours { get; init; }
}

/// <summary>Completion by unit under <see cref="Under"/>, in one cycle.</summary>
public sealed record ComplianceRollup([property: Description("周期起始年份")] int CycleStart,
    [property: Description("汇总的机构路径；空串为全省")] string Under, IReadOnlyList<RollupLine> Units);

/// <summary>Teachers in scope with their standing in one cycle.</summary>
public sealed record TeacherComplianceList([property: Description("周期起始年份")] int CycleStart, IReadOnlyList<ComplianceLine> Teachers);

/// <summary>
/// What a teacher list can be filtered by, in display order: the cycle's standings (<see cref="CycleStandings"/>), and no
/// hours yet (which cuts across them: a teacher without hours is on track or at risk as well).
/// </summary>
public static class ReportStatusFilters
{
    public const string NotStarted = "not_started";

    public static readonly IReadOnlyDictionary<string, string> Names =
        new Dictionary<string, string>(CycleStandings.Names) { [NotStarted] = "尚无学时" };

    public static readonly IReadOnlyDictionary<string, string> Meanings =
        Names.Keys.ToDictionary(code => code, code => code == NotStarted ? "本周期尚无学时" : ComplianceStatuses.Meanings[code]);
}

/// <summary>
/// What schools, districts, cities and the province ask for: completion by unit, the at-risk list, and the same as
/// a spreadsheet. Read from the standing the evaluator keeps, so a district of 50,000 teachers is one query.
/// </summary>
public static class ReportEndpoints
{
    public const int MaxListed = 5000;
    public const int MaxExported = 200_000;

    private const string UnderDescription = "机构路径（如 37/3716/371602），须在管理范围内；缺省为本人所属机构";
    private const string StatusDescription = "只列出此达标情况的教师；at_risk 即预警名单";

    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/reports").WithTags("Reports")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin, Roles.ResearchOffice,
                Roles.TrainingInstitution));
        group.MapGet("/compliance", RollupAsync)
            .WithName("GetComplianceRollup").WithSummary("各单位学时达标汇总")
            .WithDescription("所选机构下一级各单位（省看各市、市看各县区、县区看各校）的在岗教师达标人数、证书数与人均学时。");
        group.MapGet("/teachers", TeachersAsync)
            .WithName("ListTeacherCompliance").WithSummary("教师达标名单")
            .WithDescription($"管理范围内在岗教师的周期学时与达标情况，按学校、姓名排序，最多 {MaxListed} 人；status=at_risk 为预警名单。");
        group.MapGet("/teachers/export", ExportAsync)
            .Produces<Stream>(StatusCodes.Status200OK, XlsxSheet.ContentType)
            .WithName("ExportTeacherCompliance").WithSummary("导出教师达标名单（Excel）")
            .WithDescription($"与教师达标名单相同的筛选，导出为 Excel，最多 {MaxExported} 行。");
        return app;
    }

    /// <summary>The root the caller asked for (<paramref name="under"/>, an organisation path inside their scope) or their own scope.</summary>
    internal static string? Root(PlatformUser user, string? under)
    {
        var root = under ?? (user.IsOperator ? "" : user.OrganisationPath);
        return root.Length == 0 && !user.IsOperator ? null : root.Length == 0 || user.CanSeeOrganisation(root) ? root : null;
    }

    private static readonly string StatusRefusal =
        $"状态应为 {string.Join("、", ReportStatusFilters.Names.Select(n => $"{n.Key}（{n.Value}）"))} 之一";

    private static ValidationFailed? StatusProblem(string? status) =>
        status is not null && !ReportStatusFilters.Names.ContainsKey(status)
            ? new Validation().Require(false, "status", StatusRefusal).ToProblem()
            : null;

    /// <summary>One line per unit directly below the root (cities for the province, counties for a city, schools for a county).</summary>
    private static async Task<Results<Ok<ComplianceRollup>, ValidationFailed, NotFoundProblem>> RollupAsync(
        [Description(UnderDescription)] string? under,
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description(ComplianceEndpoints.CycleDescription)] int? cycle,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
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
        var (cycleStart, parameters) = await ReportStore.ParametersAsync(connection, root, cycle, clock, cancellationToken);
        return TypedResults.Ok(new ComplianceRollup(cycleStart, root, await ReportStore.RollupAsync(connection, parameters, cancellationToken)));
    }

    /// <summary>Teachers in scope with their standing; <c>status=at_risk</c> is the at-risk list.</summary>
    private static async Task<Results<Ok<TeacherComplianceList>, ValidationFailed, NotFoundProblem>> TeachersAsync(
        [Description(UnderDescription)] string? under,
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description(ComplianceEndpoints.CycleDescription)] int? cycle,
        [Codes(typeof(ReportStatusFilters)), Description(StatusDescription)] string? status,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (StatusProblem(status) is { } refused)
        {
            return refused;
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
        var (cycleStart, parameters) = await ReportStore.ParametersAsync(connection, root, cycle, clock, cancellationToken);
        parameters.Add("Status", status, System.Data.DbType.String);
        parameters.Add("Limit", MaxListed);
        return TypedResults.Ok(new TeacherComplianceList(cycleStart, await ReportStore.LinesAsync(connection, parameters, cancellationToken)));
    }

    private static async Task<Results<FileContentHttpResult, ValidationFailed, NotFoundProblem>> ExportAsync(
        [Description(UnderDescription)] string? under,
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description(ComplianceEndpoints.CycleDescription)] int? cycle,
        [Codes(typeof(ReportStatusFilters)), Description(StatusDescription)] string? status,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        // Refused as the list refuses it: an unknown status would otherwise export an empty sheet as if nobody had it.
        if (StatusProblem(status) is { } refused)
        {
            return refused;
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
        var (cycleStart, parameters) = await ReportStore.ParametersAsync(connection, root, cycle, clock, cancellationToken);
        parameters.Add("Status", status, System.Data.DbType.String);
        parameters.Add("Limit", MaxExported);
        var lines = await ReportStore.LinesAsync(connection, parameters, cancellationToken);
        return TypedResults.File(XlsxSheet.Write("周期学时达标情况",
            ["姓名", "学校", "学段", "学科", "本周期学时", "达标情况", "说明", "合格证编号"],
            lines.Select(l => (IReadOnlyList<object?>)[l.Name, l.SchoolPath, l.Stage, l.Subject, l.Hours,
                ComplianceStatuses.Names.GetValueOrDefault(l.Overall, "未评估"), l.Summary, l.CertificateNumber])),
            XlsxSheet.ContentType, $"compliance-{cycleStart}.xlsx");
    }
}
