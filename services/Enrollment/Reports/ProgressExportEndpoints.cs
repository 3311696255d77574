using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>What a background export covers: an organisation and below, teachers of a status or all.</summary>
public sealed record StartProgressExport(
    [property: MaxLength(100), Description("机构代码；不填为本账号所属机构（运营方为全省）")] string? Under,
    [property: Codes(typeof(ProgressFilters)), Description("按状态筛选；不填为全部")] string? Filter);

/// <summary>Where to follow an export and, once finished, download it.</summary>
public sealed record ProgressExportLinks(
    [property: Description("查询进度的地址")] string Self,
    [property: Description("下载文件的地址（完成后可用）")] string File);

/// <summary>A background export of the teachers' progress and how far it got.</summary>
public sealed record ProgressExportView(
    Guid Id,
    [property: Description("年度代码")] string Year,
    [property: Description("导出的机构代码；全省时为空")] string? Under,
    [property: Description("导出的机构路径；全省时为空字符串")] string ScopePath,
    [property: Codes(typeof(ProgressFilters))] string Filter,
    [property: Codes(typeof(ProgressExportStatuses))] string Status,
    [property: Description("要导出的教师人数（开始时统计，完成时为实际行数）")] long Total,
    [property: Description("已写入的教师人数")] long Done,
    [property: Description("文件大小（字节），完成后给出")] long? Bytes,
    [property: Description("失败原因")] string? Error,
    [property: Description("发起者")] string RequestedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    ProgressExportLinks Links);

/// <summary>
/// Background exports of the teachers' progress sheet, for scopes larger than a direct export streams
/// (<see cref="TeacherProgressSheet.MaxRows"/>): asked for, worked by <see cref="ProgressExportWorker"/> on any
/// replica, followed, then downloaded from any replica. Seen by whoever may see the organisation exported (the same
/// rule as the reports), within the year of the address.
/// </summary>
public static class ProgressExportEndpoints
{
    internal static RouteGroupBuilder MapProgressExportEndpoints(this RouteGroupBuilder group, string scopeText)
    {
        group.MapPost("/teachers/exports", StartAsync)
            .WithName("StartTeacherProgressExport")
            .WithSummary("发起教师学习进度后台导出")
            .WithDescription($"""
                在后台把教师学习进度名单导出为 XLSX（内容与直接导出相同，不限人数），适合市、全省等大范围。{scopeText}答 202 与任务（含查询与下载地址）；完成后下载。
                """);
        group.MapGet("/teachers/exports/{id:guid}", StatusAsync)
            .WithName("GetTeacherProgressExport")
            .WithSummary("查询教师学习进度后台导出")
            .WithDescription($"任务状态与已写入人数 / 总人数；不在本账号管理范围内的任务答 404。完成的任务（含失败的）默认保留 {ProgressExportOptions.Describe(ProgressExportOptions.DefaultRetention)}（可配置），之后连同文件一并清理，再查询答 404 并说明已清理、可重新发起导出。");
        group.MapGet("/teachers/exports/{id:guid}/file", DownloadAsync)
            .WithName("DownloadTeacherProgressExport")
            .WithSummary("下载教师学习进度后台导出文件")
            .WithDescription($"任务完成后下载 XLSX 文件；未完成或失败时答 409（rule = export-not-finished）。文件默认在任务完成 {ProgressExportOptions.Describe(ProgressExportOptions.DefaultRetention)}（可配置）后清理，之后答 404 并说明已清理、可重新发起导出。")
            .Produces<Stream>(StatusCodes.Status200OK, TeacherProgressSheet.ContentType);
        return group;
    }

    private static async Task<Results<Accepted<ProgressExportView>, ValidationFailed, ForbiddenProblem, NotFoundProblem>> StartAsync(
        [Description("年度代码，如 2026")] string year, StartProgressExport request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation().Require((request.Under ?? "").Length <= 100, "under", "机构代码不超过 100 字符");
        var status = ReportEndpoints.ParseFilter(request.Filter, validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        ReportScope? scope;
        long total;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            (scope, var forbidden, var notFound) = await ReportEndpoints.ScopeAsync(connection, year, request.Under, http, clock, cancellationToken);
            if (scope is null)
            {
                return forbidden is not null ? forbidden : notFound!;
            }
            total = await ProgressRollUps.CountAsync(connection, scope, status, cancellationToken);
        }
        var user = PlatformUser.From(http.User);
        var now = clock.GetUtcNow();
        var job = new ProgressExportRow
        {
            Id = Guid.CreateVersion7(now), RequestedBy = $"{user.Name} ({user.AccountId})", ScopePath = scope.Root, Organisation = scope.Organisation?.Code,
            ProgramYearId = scope.Year.Id, YearCode = scope.Year.Code, Filter = status, Status = ProgressExportStatuses.Queued, Total = total,
            CreatedAt = now,
        };
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await ProgressExportStore.QueueAsync(unitOfWork, job, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "progress-export-started", "progress-export", job.Id.ToString(),
            $"发起教师学习进度后台导出：{scope.Year.Code} 年度，{(scope.Root.Length == 0 ? "全省" : $"{scope.Organisation?.Name ?? scope.Root}及其下级")}，" +
            $"{ProgressFilters.Names[status ?? ProgressFilters.All]}，约 {total:N0} 名教师", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        var view = View(job);
        return TypedResults.Accepted(view.Links.Self, view);
    }

    private static async Task<Results<Ok<ProgressExportView>, NotFoundProblem>> StatusAsync(
        [Description("年度代码，如 2026")] string year, Guid id, HttpContext http, NpgsqlDataSource db, IOptions<ProgressExportOptions> options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await VisibleAsync(connection, year, id, http, cancellationToken) is { } job
            ? TypedResults.Ok(View(job))
            : await NotFoundAsync(connection, year, id, http, options.Value, cancellationToken);
    }

    /// <summary>The file, chunk by chunk from the database to the response (one chunk in memory at a time).</summary>
    private static async Task<Results<PushStreamHttpResult, NotFoundProblem, ConflictProblem>> DownloadAsync(
        [Description("年度代码，如 2026")] string year, Guid id, HttpContext http, NpgsqlDataSource db, IOptions<ProgressExportOptions> options,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        if (await VisibleAsync(connection, year, id, http, cancellationToken) is not { } job)
        {
            return await NotFoundAsync(connection, year, id, http, options.Value, cancellationToken);
        }
        if (job.Status != ProgressExportStatuses.Succeeded)
        {
            return Problems.Conflict(job.Status == ProgressExportStatuses.Failed
                ? $"导出任务已失败（{job.Error}），请重新发起"
                : $"导出任务尚未完成（{ProgressExportStatuses.Names[job.Status]}，{job.Done:N0}/{job.Total:N0}），请稍后再下载", "export-not-finished");
        }
        var fileName = $"teachers-{job.YearCode}-{job.Organisation ?? "all"}{(job.Filter is null ? "" : "-" + job.Filter)}.xlsx";
        return TypedResults.Stream(async body =>
        {
            var aborted = http.RequestAborted;
            await using var reader = await db.OpenConnectionAsync(aborted);
            await foreach (var chunk in ProgressExportStore.ChunksAsync(reader, job.Id, job.Attempt, aborted))
            {
                await body.WriteAsync(chunk, aborted);
            }
        }, TeacherProgressSheet.ContentType, fileName);
    }

    // Another year's address, or an organisation outside the caller's scope (the province: operators only), is a 404.
    private static async Task<ProgressExportRow?> VisibleAsync(NpgsqlConnection connection, string year, Guid id, HttpContext http,
        CancellationToken cancellationToken)
    {
        var job = await ProgressExportStore.FindAsync(connection, id, cancellationToken);
        return job is not null && MaySee(http, year, job.YearCode, job.ScopePath) ? job : null;
    }

    private static bool MaySee(HttpContext http, string year, string jobYear, string scopePath)
    {
        var user = PlatformUser.From(http.User);
        return jobYear == year && (user.IsOperator || (scopePath.Length > 0 && user.CanSeeOrganisation(scopePath)));
    }

    // An export deleted after its retention is still a 404 (it is gone), but one that says so to whoever could see it,
    // rather than suggesting the link was wrong.
    private static async Task<NotFoundProblem> NotFoundAsync(NpgsqlConnection connection, string year, Guid id, HttpContext http,
        ProgressExportOptions options, CancellationToken cancellationToken) =>
        await ProgressExportStore.FindTombstoneAsync(connection, id, cancellationToken) is { } cleared && MaySee(http, year, cleared.YearCode, cleared.ScopePath)
            ? Problems.NotFound($"导出任务 {id} 及其文件已在完成 {ProgressExportOptions.Describe(options.Retention)}后按保留期限清理，如仍需要请重新发起导出")
            : Problems.NotFound($"导出任务 {id} 不存在或不在你的管理范围内");

    private static ProgressExportView View(ProgressExportRow job)
    {
        var self = $"/api/enrollment/years/{Uri.EscapeDataString(job.YearCode)}/teachers/exports/{job.Id}";
        return new ProgressExportView(job.Id, job.YearCode, job.Organisation, job.ScopePath, job.Filter ?? ProgressFilters.All, job.Status, job.Total,
            job.Done, job.Bytes, job.Error, job.RequestedBy, job.CreatedAt, job.FinishedAt, new ProgressExportLinks(self, self + "/file"));
    }
}

/// <summary>Settings under <c>Enrollment:Exports</c>: how long finished background exports are kept, and how they are swept.</summary>
public sealed class ProgressExportOptions
{
    public const string SectionName = "Enrollment:Exports";

    /// <summary>Shorter than this and an export could vanish between the user seeing it finish and coming back for the file.</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromHours(1);

    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);

    /// <summary>How long an export is kept after it finished (succeeded or failed), with its file; then both are deleted.</summary>
    public TimeSpan Retention { get; set; } = DefaultRetention;

    /// <summary>How often each replica's worker deletes what is past <see cref="Retention"/>; tests shorten it.</summary>
    public TimeSpan SweepEvery { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Exports deleted per transaction (with up to a few hundred 1 MB chunks each for a province), so a backlog goes in short steps.</summary>
    public int SweepBatch { get; set; } = 20;

    /// <summary>The retention as the user reads it: "7 天", or hours when it is not whole days.</summary>
    public static string Describe(TimeSpan retention) =>
        retention.Ticks % TimeSpan.TicksPerDay == 0 ? $"{retention.Days} 天" : $"{retention.TotalHours:0.#} 小时";
}

/// <summary>
/// Works the background exports, one job at a time per replica and each job on one replica (SKIP LOCKED on the
/// claim): the tallies in scope are read as they come and written through <see cref="TeacherProgressSheet"/> into
/// chunks in the database, reporting progress every <see cref="TeacherProgressSheet.ProgressEvery"/> rows. A replica that
/// dies mid-job leaves it running with a stale heartbeat; after <see cref="Lease"/> another claims it afresh. Between
/// jobs it deletes the exports past <see cref="ProgressExportOptions.Retention"/> (every replica does, sharing the work).
/// </summary>
internal sealed partial class ProgressExportWorker(NpgsqlDataSource db, IOptions<ProgressExportOptions> options, TimeProvider clock,
    ILogger<ProgressExportWorker> logger) : BackgroundService
{
    /// <summary>How long a running job's worker may go unheard before the job is taken over; progress comes every second or so.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    /// <summary>How long a deleted export's tombstone says "cleared" rather than "not found": long after anyone follows its link.</summary>
    private static readonly TimeSpan TombstoneKeep = TimeSpan.FromDays(365);

    private const int TombstoneBatch = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (clock.GetUtcNow() >= nextSweep)
                {
                    await SweepAsync(stoppingToken);
                    nextSweep = clock.GetUtcNow() + options.Value.SweepEvery;
                }
                if (!await RunNextAsync(stoppingToken))
                {
                    await Task.Delay(Idle, clock, stoppingToken);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogUnavailable(exception);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
            }
        }
    }

    /// <summary>Deletes the exports past retention, batch after batch until none is left, then the tombstones past theirs.</summary>
    internal async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        int deleted = 0, batch;
        do
        {
            batch = await ProgressExportStore.DeleteFinishedAsync(db, settings.Retention, settings.SweepBatch, cancellationToken);
            deleted += batch;
        }
        while (batch == settings.SweepBatch);
        int forgotten;
        do
        {
            forgotten = await ProgressExportStore.ForgetTombstonesAsync(db, TombstoneKeep, TombstoneBatch, cancellationToken);
        }
        while (forgotten == TombstoneBatch);
        if (deleted > 0)
        {
            LogCleared(deleted, settings.Retention);
        }
        return deleted;
    }

    internal async Task<bool> RunNextAsync(CancellationToken cancellationToken)
    {
        if (await ProgressExportStore.ClaimAsync(db, Lease, cancellationToken) is not { } job)
        {
            return false;
        }
        await using var writer = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var reader = await db.OpenConnectionAsync(cancellationToken);
            if (await EnrollmentFacts.YearAsync(reader, job.YearCode, cancellationToken) is not { } year)
            {
                await ProgressExportStore.FailAsync(writer, job.Id, job.Attempt, $"年度 {job.YearCode} 已不存在", cancellationToken);
                return true;
            }
            var organisation = job.ScopePath.Length == 0 ? null : await ReportStore.OrganisationAtAsync(reader, job.ScopePath, cancellationToken);
            var scope = new ReportScope(year, ProvinceCalendar.Today(clock), job.ScopePath, organisation);
            var total = await ProgressRollUps.CountAsync(reader, scope, job.Filter, cancellationToken);
            await ProgressExportStore.ProgressAsync(writer, job.Id, job.Attempt, 0, total, cancellationToken);

            var file = new ProgressExportChunkStream(writer, job.Id, job.Attempt);
            var rows = await TeacherProgressSheet.WriteAsync(file, scope, ProgressTallyStore.StreamAsync(reader, scope, job.Filter, cancellationToken),
                cancellationToken, async done =>
                {
                    if (!await ProgressExportStore.ProgressAsync(writer, job.Id, job.Attempt, done, null, cancellationToken))
                    {
                        throw new ProgressExportTakenOverException();
                    }
                });
            await file.FlushAsync(cancellationToken);
            if (!await ProgressExportStore.FinishAsync(writer, job.Id, job.Attempt, rows, file.Bytes, cancellationToken))
            {
                LogTakenOver(job.Id);
            }
        }
        catch (ProgressExportTakenOverException)
        {
            LogTakenOver(job.Id);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Shutting down leaves the job running: another replica (or this one after restart) takes it after the lease.
            LogFailed(exception, job.Id);
            await ProgressExportStore.FailAsync(writer, job.Id, job.Attempt, "导出时出错，请重新发起", CancellationToken.None);
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Progress exports are unavailable; will retry")]
    private partial void LogUnavailable(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Progress export {Id} failed")]
    private partial void LogFailed(Exception exception, Guid id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} progress exports finished more than {Retention} ago")]
    private partial void LogCleared(int count, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Progress export {Id} was taken over by another attempt; this one stopped")]
    private partial void LogTakenOver(Guid id);
}
