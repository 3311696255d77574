using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.Organisations;

namespace TrainingPlatform.Services.Catalog.ProgramYears;

/// <summary>The program year and its windows: operators schedule and adjust; everyone sees the dates that apply to them.</summary>
public static class ProgramYearEndpoints
{
    public static IEndpointRouteBuilder MapProgramYearEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years").WithTags("Program years");
        group.MapPost("/", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapPut("/{code}", ChangeAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync);
        group.MapGet("/{code}", GetAsync);
        group.MapGet("/{code}/my-dates", MyDatesAsync);
        group.MapPost("/{code}/windows/{window}/adjustments", AdjustAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/{code}/windows/adjustments", ListAdjustmentsAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin));
        return app;
    }

    private static async Task<IResult> CreateAsync(ProgramYearRequest request, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
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
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/years/{year.Code}", year);
    }

    private static async Task<IResult> ChangeAsync(string code, ProgramYearRequest request, NpgsqlDataSource db, TimeProvider clock,
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
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(changed);
    }

    private static async Task<IResult> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await ProgramYearStore.ListAsync(connection, cancellationToken));
    }

    private static async Task<IResult> GetAsync(string code, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var year = await ProgramYearStore.FindAsync(connection, code, null, cancellationToken);
        return year is null ? Problems.NotFound($"年度 {code} 不存在") : TypedResults.Ok(year);
    }

    public sealed record MyDates(string ProgramYear, string Organisation, DateOnly Today, EffectiveWindow TopicSelection,
        EffectiveWindow CourseSelection, bool TopicSelectionOpen, bool CourseSelectionOpen, bool Frozen, ProgramYearWindows Year);

    /// <summary>
    /// The dates that apply to the caller's school (or, for admins, to <paramref name="organisation"/> in their
    /// scope): staggered openings and extensions included.
    /// </summary>
    private static async Task<IResult> MyDatesAsync(string code, string? organisation, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
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
            var org = await OrganisationCopy.FindByCodeAsync(connection, organisation, cancellationToken);
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

    public sealed record AdjustRequest(string? OrganisationCode, DateOnly? OpensOn, DateOnly? ClosesOn, string? Kind, string? Reason);

    private static async Task<IResult> AdjustAsync(string code, string window, AdjustRequest request, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(SelectionWindows.All.Contains(window), "window", $"窗口应为 {string.Join(" 或 ", SelectionWindows.All)}")
            .Require(!string.IsNullOrWhiteSpace(request.OrganisationCode), "organisationCode", "机构代码必填")
            .Require(request.ClosesOn is not null, "closesOn", "截止日期必填")
            .Require(request.Kind is not null && WindowAdjustmentKinds.All.Contains(request.Kind), "kind",
                "类型应为 staggered（分批错峰开放）或 extended（延长）")
            .Require(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= 500, "reason", "原因必填，不超过 500 字");
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
        var organisation = await OrganisationCopy.FindByCodeAsync(unitOfWork.Connection, request.OrganisationCode!, cancellationToken);
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
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into window_adjustments (id, program_year_id, window_name, organisation_id, organisation_path, opens_on, closes_on, kind,
                                            reason, adjusted_by, adjusted_at)
            values (@AdjustmentId, @ProgramYearId, @Window, @OrganisationId, @OrganisationPath, @OpensOn, @ClosesOn, @Kind, @Reason, @By, @AdjustedAt)
            """, new
        {
            adjusted.AdjustmentId, adjusted.ProgramYearId, adjusted.Window, adjusted.OrganisationId, adjusted.OrganisationPath, adjusted.OpensOn,
            adjusted.ClosesOn, adjusted.Kind, adjusted.Reason, By = CourseEndpoints.By(http), adjusted.AdjustedAt,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(adjusted, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/years/{code}/windows/adjustments", adjusted);
    }

    private static async Task<IResult> ListAdjustmentsAsync(string code, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
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
            .OrderByDescending(a => a.AdjustedAt);
        return TypedResults.Ok(visible);
    }
}
