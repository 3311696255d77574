using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.Organisations;

namespace TrainingPlatform.Services.Catalog.ProgramYears;

/// <summary>The program year and its windows: operators schedule and adjust; everyone sees the dates that apply to them.</summary>
public static class ProgramYearEndpoints
{
    public static IEndpointRouteBuilder MapProgramYearEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years").WithTags("Program years");
        var years = $"各日期的年份须在 {CreditCycles.EarliestYear}–{CreditCycles.LatestYear} 年之间，且按先后顺序排列。";
        group.MapPost("/", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("CreateProgramYear").WithSummary("创建年度工程")
            .WithDescription($"设定年度最低学时、最低选修学时和各时间节点，并通知其他服务。{years}");
        group.MapPut("/{code}", ChangeAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("ChangeProgramYear").WithSummary("修改年度工程")
            .WithDescription($"整体替换名称、学时要求和时间节点（年度代码不变），版本号加一并通知其他服务。{years}已有的错峰/延长安排须早于新的学习开始日期。");
        group.MapGet("/", ListAsync).WithName("ListProgramYears").WithSummary("年度工程列表").WithDescription("按年度代码从新到旧。");
        group.MapGet("/{code}", GetAsync).WithName("GetProgramYear").WithSummary("查看年度工程");
        group.MapGet("/{code}/my-dates", MyDatesAsync).WithName("GetMyDates").WithSummary("查看本校适用的时间安排")
            .WithDescription("调用者所在学校（管理员可用 organisation 指定管辖范围内的机构）实际适用的选专题、选课时间，已计入错峰和延长安排，并说明今天是否开放。");
        group.MapPost("/{code}/windows/{window}/adjustments", AdjustAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("AdjustSelectionWindow").WithSummary("为机构错峰开放或延长选择时间")
            .WithDescription("对该机构及其下属学校生效；同一学校以最近一级机构的安排为准，同一机构以最新一次为准。截止日期须早于学习开始日期。");
        group.MapGet("/{code}/windows/adjustments", ListAdjustmentsAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin))
            .WithName("ListWindowAdjustments").WithSummary("错峰与延长安排列表")
            .WithDescription("管理员看到对本机构、上级机构和下属机构的安排；最新的在前。");
        return app;
    }

    private static async Task<Results<Created<ProgramYearRow>, ValidationFailed, ConflictProblem>> CreateAsync(ProgramYearRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = ProgramYearRules.Validate(request, out var windows);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var year = await ProgramYearStore.CreateAsync(unitOfWork, request, windows!, clock.GetUtcNow(), cancellationToken);
        if (year is null)
        {
            return Problems.Conflict($"年度 {request.Code} 已存在", "duplicate-code", "code");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "program-year-created", "program-year", year.Code,
            $"新建培训年度 {year.Code}（{year.Name}）：年度最低 {year.MinAnnualHours:0.#} 学时，选修不少于 {year.MinElectiveHours:0.#} 学时，学习自 {year.Windows.StudyStarts:yyyy-MM-dd} 开始",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/years/{year.Code}", year);
    }

    private static async Task<Results<Ok<ProgramYearRow>, ValidationFailed, NotFoundProblem>> ChangeAsync(string code, ProgramYearRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = ProgramYearRules.Validate(request with { Code = code }, out var windows);
        validation.Require(request.Code is null || request.Code == code, "code", "年度代码不能修改");
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var current = await ProgramYearStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken, forUpdate: true);
        if (current is null)
        {
            return Problems.NotFound($"年度 {code} 不存在");
        }
        if (windows is not null)
        {
            // An extension that would now run past the freeze would let schools choose after study starts.
            var late = (await ProgramYearStore.AdjustmentsAsync(unitOfWork.Connection, current.Id, cancellationToken))
                .Where(a => a.ClosesOn >= windows.StudyStarts).ToList();
            validation.Require(late.Count == 0, "windows.studyStarts",
                $"有 {late.Count} 项错峰/延长安排的截止日期不早于新的学习开始日期，请先调整这些安排");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var changed = await ProgramYearStore.ChangeAsync(unitOfWork, current, request, windows!, clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "program-year-changed", "program-year", code,
            $"修改培训年度 {code}（{changed.Name}）：年度最低 {current.MinAnnualHours:0.#}→{changed.MinAnnualHours:0.#} 学时，选修 {current.MinElectiveHours:0.#}→{changed.MinElectiveHours:0.#} 学时，学习开始 {current.Windows.StudyStarts:yyyy-MM-dd}→{changed.Windows.StudyStarts:yyyy-MM-dd}",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(changed);
    }

    private static async Task<Ok<IReadOnlyList<ProgramYearRow>>> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await ProgramYearStore.ListAsync(connection, cancellationToken));
    }

    private static async Task<Results<Ok<ProgramYearRow>, NotFoundProblem>> GetAsync(string code, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var year = await ProgramYearStore.FindAsync(connection, code, null, cancellationToken);
        if (year is null)
        {
            return Problems.NotFound($"年度 {code} 不存在");
        }
        return TypedResults.Ok(year);
    }

    [Description("某机构实际适用的时间安排")]
    public sealed record MyDates(
        [property: Description("年度代码")] string ProgramYear,
        [property: Description("机构路径")] string Organisation,
        [property: Description("省内今天的日期")] DateOnly Today,
        EffectiveWindow TopicSelection,
        EffectiveWindow CourseSelection,
        bool TopicSelectionOpen,
        bool CourseSelectionOpen,
        [property: Description("学习已开始，专题与选课已冻结")] bool Frozen,
        [property: Description("年度统一的时间节点")] ProgramYearWindows Year);

    /// <summary>
    /// The dates that apply to the caller's school (or, for admins, to <paramref name="organisation"/> in their
    /// scope): staggered openings and extensions included.
    /// </summary>
    private static async Task<Results<Ok<MyDates>, NotFoundProblem>> MyDatesAsync(string code,
        [Description("机构代码：管理员查看管辖范围内某机构适用的时间；不填为调用者本机构")] string? organisation, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var year = await ProgramYearStore.FindAsync(connection, code, null, cancellationToken);
        if (year is null)
        {
            return Problems.NotFound($"年度 {code} 不存在");
        }
        var path = user.OrganisationPath;
        if (organisation is not null)
        {
            var org = await OrganisationStore.FindByCodeAsync(connection, organisation, cancellationToken);
            if (org is null || !user.CanSeeOrganisation(org.Path))
            {
                return Problems.NotFound($"机构代码 {organisation} 不存在或不在你的管理范围内");
            }
            path = org.Path;
        }
        var adjustments = await ProgramYearStore.AdjustmentsAsync(connection, year.Id, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        var topics = WindowRules.For(SelectionWindows.TopicSelection, path, year.Windows, adjustments);
        var courses = WindowRules.For(SelectionWindows.CourseSelection, path, year.Windows, adjustments);
        return TypedResults.Ok(new MyDates(year.Code, path, today, topics, courses, topics.IsOpenOn(today), courses.IsOpenOn(today),
            today >= year.StudyStarts, year.Windows));
    }

    [Description("为一个机构错峰开放或延长选择时间")]
    public sealed record AdjustRequest(
        [property: Required, Description("机构代码：对该机构及其下属学校生效")] string? OrganisationCode,
        [property: Description("开始日期；不填则沿用该机构当前适用的开始日期")] DateOnly? OpensOn,
        [property: Required, Description("截止日期，须早于学习开始日期")] DateOnly? ClosesOn,
        [property: Required, Codes(typeof(WindowAdjustmentKinds))] string? Kind,
        [property: Required, MaxLength(MaxReasonLength), Description("原因")] string? Reason);

    public const int MaxReasonLength = 500;

    private static async Task<Results<Created<SelectionWindowAdjusted>, ValidationFailed, NotFoundProblem>> AdjustAsync(string code,
        [Codes(typeof(SelectionWindows)), Description("调整哪个时间窗口")] string window, AdjustRequest request, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(SelectionWindows.Names.ContainsKey(window), "window", $"窗口应为 {string.Join(" 或 ", SelectionWindows.Names.Keys)}")
            .Require(!string.IsNullOrWhiteSpace(request.OrganisationCode), "organisationCode", "机构代码必填")
            .Require(request.ClosesOn is not null, "closesOn", "截止日期必填")
            .Require(request.Kind is not null && WindowAdjustmentKinds.Names.ContainsKey(request.Kind), "kind",
                "类型应为 staggered（分批错峰开放）或 extended（延长）")
            .Require(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= MaxReasonLength, "reason", $"原因必填，不超过 {MaxReasonLength} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var year = await ProgramYearStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken, forUpdate: true);
        if (year is null)
        {
            return Problems.NotFound($"年度 {code} 不存在");
        }
        var organisation = await OrganisationStore.FindByCodeAsync(unitOfWork.Connection, request.OrganisationCode!, cancellationToken);
        if (organisation is null)
        {
            return Problems.NotFound($"机构代码 {request.OrganisationCode} 不存在");
        }
        var current = WindowRules.For(window, organisation.Path, year.Windows,
            await ProgramYearStore.AdjustmentsAsync(unitOfWork.Connection, year.Id, cancellationToken));
        var opensOn = request.OpensOn ?? current.OpensOn;
        foreach (var (field, rule) in WindowRules.AdjustmentProblems(opensOn, request.ClosesOn!.Value, year.Windows))
        {
            validation.Add(field, rule);
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = clock.GetUtcNow();
        var adjusted = new SelectionWindowAdjusted(Guid.CreateVersion7(now), year.Id, window, organisation.Id, organisation.Path, opensOn,
            request.ClosesOn.Value, request.Kind!, request.Reason!.Trim(), now);
        await ProgramYearStore.AdjustAsync(unitOfWork, adjusted, CourseEndpoints.By(http), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "selection-window-adjusted", "program-year", code,
            $"调整 {code} 年度“{SelectionWindows.Names[window]}”窗口：{organisation.Path} 改为 {opensOn:yyyy-MM-dd} 至 {adjusted.ClosesOn:yyyy-MM-dd}（{WindowAdjustmentKinds.Names[adjusted.Kind]}），原因：{adjusted.Reason}",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/years/{code}/windows/adjustments", adjusted);
    }

    private static async Task<Results<Ok<IReadOnlyList<WindowAdjustment>>, NotFoundProblem>> ListAdjustmentsAsync(string code, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var year = await ProgramYearStore.FindAsync(connection, code, null, cancellationToken);
        if (year is null)
        {
            return Problems.NotFound($"年度 {code} 不存在");
        }
        // An admin sees what applies inside their scope: adjustments on their organisation, above it, or below it.
        var visible = (await ProgramYearStore.AdjustmentsAsync(connection, year.Id, cancellationToken))
            .Where(a => user.IsOperator || user.CanSeeOrganisation(a.OrganisationPath)
                        || user.OrganisationPath.StartsWith(a.OrganisationPath + "/", StringComparison.Ordinal)
                        || user.OrganisationPath == a.OrganisationPath)
            .OrderByDescending(a => a.AdjustedAt)
            .ToList();
        return TypedResults.Ok<IReadOnlyList<WindowAdjustment>>(visible);
    }
}
