using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>A rebuild of every tally, as asked for and how far it got.</summary>
public sealed record TallyRebuildView(
    [property: Description("重建任务编号")] long Id,
    [property: Description("发起者")] string RequestedBy,
    DateTimeOffset RequestedAt,
    [property: Description("已重新计算的教师人数")] long TeachersDone,
    [property: Description("完成时间；未完成时为空")] DateTimeOffset? DoneAt);

/// <summary>Where the tallies stand: rebuilds not finished, and teachers changed since the last fold.</summary>
public sealed record TallyStatusView(
    [property: Description("尚未完成的重建任务数")] long OpenRebuilds,
    [property: Description("自上次汇总以来有变化、尚未并入县区汇总的教师累计值条数（汇总表读数时会即时校正，不影响准确性）")] long ChangedSinceFold);

/// <summary>What to check: a year, under an organisation (or the whole province).</summary>
public sealed record CheckTallies(
    [property: Required, MinLength(1), MaxLength(20), Description("年度代码，如 2026")] string? Year,
    [property: MaxLength(100), Description("机构代码；不填为全省")] string? Under);

/// <summary>One field of one teacher where the tally and the enrollments disagree.</summary>
public sealed record TallyDifferenceView(Guid TeacherId, string Name, string SchoolPath,
    [property: Description("不一致的项目（如 hoursDone、status；row 表示缺少或多出该教师）")] string Field,
    [property: Description("按选课记录全量重算的值")] string Expected,
    [property: Description("累计值中的值")] string Actual);

/// <summary>The check's answer.</summary>
public sealed record TallyCheckResult(
    [property: Description("年度代码")] string Year,
    [property: Description("核对日期（省内日期）")] DateOnly AsOf,
    [property: Description("不一致项数；0 表示累计值与全量重算一致")] int Differences,
    [property: Description("前 200 项不一致")] IReadOnlyList<TallyDifferenceView> Items);

/// <summary>
/// Operators' tools for the running tallies (<see cref="ProgressTallyStore"/>): ask for a rebuild of every tally from the
/// enrollments (worked in the background, batch by batch), follow it, and check a year's tallies against a full
/// recomputation. Each request is recorded in the audit trail.
/// </summary>
public static class ProgressTallyEndpoints
{
    private const int MaxListed = 200;

    public static IEndpointRouteBuilder MapProgressTallyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/operations/progress-tallies").WithTags("Operations")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", StatusAsync)
            .WithName("GetProgressTallyStatus")
            .WithSummary("查询学习进度累计值状态")
            .WithDescription("尚未完成的重建任务数，以及自上次按县区汇总以来有变化的教师累计值条数（后台每隔数秒汇总一次）。");
        group.MapPost("/rebuilds", RebuildAsync)
            .WithName("RebuildProgressTallies")
            .WithSummary("重建学习进度累计值")
            .WithDescription("按全部选课记录重新计算每名教师每个年度的学习进度累计值，在后台分批进行（每批一个事务，不阻塞选课与进度上报）；答复任务编号，可查询进度。");
        group.MapGet("/rebuilds/{id:long}", RebuildStatusAsync)
            .WithName("GetProgressTallyRebuild")
            .WithSummary("查询累计值重建进度");
        group.MapPost("/checks", CheckAsync)
            .WithName("CheckProgressTallies")
            .WithSummary("核对学习进度累计值")
            .WithDescription("将某年度（可限定机构及其下级）的累计值与按选课记录全量重算的结果逐项比较，列出不一致之处（最多 200 项）；differences = 0 表示一致。");
        return app;
    }

    private static async Task<Ok<TallyStatusView>> StatusAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(new TallyStatusView(await ProgressTallyStore.OpenRebuildsAsync(connection, cancellationToken),
            await ProgressFold.DirtyAsync(connection, cancellationToken)));
    }

    private static async Task<Accepted<TallyRebuildView>> RebuildAsync(HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var now = clock.GetUtcNow();
        var by = $"{user.Name} ({user.AccountId})";
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var id = await ProgressTallyStore.RequestRebuildAsync(unitOfWork, by, now, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "progress-tallies-rebuild-requested", "progress-tally-rebuild", id.ToString(),
            $"发起学习进度累计值重建（任务 {id}）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Accepted($"/api/enrollment/operations/progress-tallies/rebuilds/{id}", new TallyRebuildView(id, by, now, 0, null));
    }

    private static async Task<Results<Ok<TallyRebuildView>, NotFoundProblem>> RebuildStatusAsync(long id, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await ProgressTallyStore.RebuildAsync(connection, id, cancellationToken) is { } row
            ? TypedResults.Ok(new TallyRebuildView(row.Id, row.RequestedBy, row.RequestedAt, row.TeachersDone, row.DoneAt))
            : Problems.NotFound($"重建任务 {id} 不存在");
    }

    private static async Task<Results<Ok<TallyCheckResult>, ValidationFailed, NotFoundProblem>> CheckAsync(CheckTallies request, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Year) && request.Year.Length <= 20, "year", "年度代码必填，不超过 20 字符")
            .Require((request.Under ?? "").Length <= 100, "under", "机构代码不超过 100 字符");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await EnrollmentFacts.YearAsync(connection, request.Year!.Trim(), cancellationToken) is not { } year)
        {
            return Problems.NotFound($"年度 {request.Year} 不存在");
        }
        var root = "";
        if (!string.IsNullOrWhiteSpace(request.Under))
        {
            if (await ReportStore.OrganisationAsync(connection, request.Under.Trim(), cancellationToken) is not { } organisation)
            {
                return Problems.NotFound($"机构 {request.Under} 不存在");
            }
            root = organisation.Path;
        }
        var today = ProvinceCalendar.Today(clock);
        var differences = await ProgressTallyStore.CheckAsync(connection, year, today, root, cancellationToken);
        await AuditTrail.RecordAloneAsync(db, http, "progress-tallies-checked", "program-year", year.Code,
            $"核对 {year.Code} 年度学习进度累计值（{(root.Length == 0 ? "全省" : request.Under)}）：{differences.Count} 项不一致", cancellationToken);
        return TypedResults.Ok(new TallyCheckResult(year.Code, today, differences.Count,
            [.. differences.Take(MaxListed).Select(d => new TallyDifferenceView(d.TeacherId, d.Name, d.SchoolPath, d.Field, d.Expected, d.Actual))]));
    }
}

/// <summary>
/// Works the tally rebuilds (the one the migration queued at the first start after it, and those operators ask for),
/// a batch of teachers per transaction, replicas sharing them (SKIP LOCKED on the job row); and, when none is open,
/// folds the tallies changed since the last fold into their counties (<see cref="ProgressFold"/>), every
/// <c>Enrollment:Tallies:FoldEvery</c> (5 s): a teacher who changes often in that time is folded once.
/// </summary>
internal sealed partial class ProgressTallyWorker(NpgsqlDataSource db, TimeProvider clock, IConfiguration configuration,
    ILogger<ProgressTallyWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var foldEvery = configuration.GetValue("Enrollment:Tallies:FoldEvery", TimeSpan.FromSeconds(5));
        long? lastFold = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ProgressTallyStore.RebuildBatchAsync(db, stoppingToken))
                {
                    continue;
                }
                if (lastFold is null || clock.GetElapsedTime(lastFold.Value) >= foldEvery)
                {
                    await ProgressFold.FoldAllAsync(db, stoppingToken);
                    lastFold = clock.GetTimestamp();
                }
                await Task.Delay(Idle, clock, stoppingToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogFailed(exception);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding or folding progress tallies failed; will retry")]
    private partial void LogFailed(Exception exception);
}
