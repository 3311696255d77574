using System.Globalization;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Ledger;

public sealed record ReverseRequest(
    [property: Required, MaxLength(LedgerEndpoints.MaxReasonLength), Description("冲销原因，记入台账并在撤销证书时引用")] string? Reason);

public sealed record SchoolBasedRequest(
    [property: Required, MaxLength(LedgerEndpoints.MaxBatchIdLength), Description("批次号：同一批次重复提交不会重复登记")] string? BatchId,
    [property: Required, MaxLength(LedgerEndpoints.MaxTitleLength), Description("研修活动名称")] string? Title,
    [property: Required, Range(LedgerEndpoints.SmallestHours, LedgerEndpoints.MaxSchoolBasedHours), Description("每位教师登记的学时，最多一位小数")] decimal? Hours,
    [property: Required, Description("活动日期，不能晚于今天")] DateOnly? OccurredOn,
    [property: Required, Length(1, LedgerEndpoints.MaxSchoolBatch), Description("本校教师，不能重复")] IReadOnlyList<Guid>? TeacherIds);

public sealed record ReopenRequest(
    [property: Required, Description("重新开放到哪一天（含），不能早于今天")] DateOnly? Until,
    [property: Required, MaxLength(LedgerEndpoints.MaxReasonLength), Description("重新开放的原因")] string? Reason);

/// <summary>A teacher's whole ledger: the totals per cycle and category, every entry, and what was not counted and why.</summary>
public sealed record TranscriptView(Guid TeacherId, string Name, decimal TotalHours, IReadOnlyList<TranscriptCycleView> ByCycle,
    IReadOnlyList<TranscriptEntryView> Entries, [property: Description("未计入的学时及原因（如重复参训、登记已截止）")] IReadOnlyList<LedgerRefusalView> NotCounted);

/// <summary>The hours of one cycle, in all and per category (category code → hours).</summary>
public sealed record TranscriptCycleView([property: Description("周期起始年份")] int CycleStart, decimal Hours,
    [property: Description("学时类别代码 → 学时")] IReadOnlyDictionary<string, decimal> ByCategory);

/// <summary>One ledger entry as the transcript shows it; a reversal carries negative hours and names the entry it reverses.</summary>
public sealed record TranscriptEntryView(
    Guid Id,
    [property: Description("学时；冲销记录为负数")] decimal Hours,
    [property: Codes(typeof(CourseCategories))] string Category,
    string CategoryName,
    [property: Codes(typeof(DeliveryModes))] string Mode,
    [property: Codes(typeof(TrainingLevels))] string Level,
    [property: Codes(typeof(CreditSources))] string Source,
    string SourceName,
    [property: Description("来源引用（选课、申请、校本批次、冲销的原记录）：每个来源只计一次")] string SourceRef,
    string Title,
    [property: Description("学时所属年度")] int Year,
    [property: Description("所属周期的起始年份")] int CycleStart,
    [property: Description("冲销记录：被冲销的记录编号")] Guid? ReversesId,
    [property: Description("这条记录已被冲销")] bool Reversed,
    [property: Description("冲销原因")] string? Reason,
    string PostedBy,
    DateTimeOffset PostedAt);

/// <summary>What a school's registration did: posted now, or posted by an earlier submission of the same batch (or the same content this cycle).</summary>
public sealed record SchoolBasedResult([property: Description("本次登记的教师人数")] int Posted,
    [property: Description("此前已登记或本周期已因同一内容获得学时而未再登记的人数")] int AlreadyPosted);

/// <summary>A closed year reopened for late registrations.</summary>
public sealed record YearReopened(int Year, DateOnly Until, string Reason);

/// <summary>The ledger's HTTP side: transcripts, corrections, school-based registration, and reopening a closed year.</summary>
public static class LedgerEndpoints
{
    public const int MaxSchoolBatch = 5000;
    public const int MaxReasonLength = 500;
    public const int MaxBatchIdLength = 64;
    public const int MaxTitleLength = 200;
    public const int MaxSchoolBasedHours = 100;

    /// <summary>Hours carry at most one decimal, so the least that can be registered is a tenth of an hour.</summary>
    public const double SmallestHours = 0.1;

    public static IEndpointRouteBuilder MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Ledger");
        group.MapGet("/me/transcript", MyTranscriptAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("GetMyTranscript").WithSummary("我的学时档案")
            .WithDescription("当前教师的全部学时记录、各周期及类别合计，以及未计入的学时和原因。");
        group.MapGet("/teachers/{teacherId:guid}/transcript", TranscriptAsync)
            .WithName("GetTeacherTranscript").WithSummary("教师学时档案")
            .WithDescription("管理员查看其管理范围内教师的学时档案；教师本人也可查看自己的。范围外的教师答 404。");
        group.MapPost("/entries/{id:guid}/reverse", ReverseAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin))
            .WithName("ReverseLedgerEntry").WithSummary("冲销学时记录")
            .WithDescription("新增一条负学时的冲销记录并注明原因，原记录保持不变；每条记录只能冲销一次，冲销记录不能再冲销。");
        group.MapPost("/school-based", RegisterSchoolBasedAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin))
            .WithName("RegisterSchoolBasedHours").WithSummary("批量登记校本研修学时")
            .WithDescription($"为本校 1–{MaxSchoolBatch} 名教师登记同一次校本研修的学时。以批次号去重：同一批次重复提交不会重复登记。");
        group.MapPost("/years/{year:int}/reopen", ReopenAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("ReopenCreditYear").WithSummary("重新开放年度学分登记")
            .WithDescription("登记截止后，允许该年度的学时在指定日期前继续登记（补登）。");
        return app;
    }

    private static Task<Results<Ok<TranscriptView>, NotFoundProblem>> MyTranscriptAsync(HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken) =>
        TranscriptAsync(PlatformUser.From(http.User).TeacherId ?? Guid.Empty, http, db, cancellationToken);

    private static async Task<Results<Ok<TranscriptView>, NotFoundProblem>> TranscriptAsync(Guid teacherId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teacher = await LedgerStore.VisibleTeacherAsync(connection, teacherId, user, cancellationToken);
        if (teacher is null)
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var entries = await LedgerStore.EntriesOfAsync(connection, teacherId, cancellationToken);
        var refusals = await LedgerStore.RefusalsOfAsync(connection, teacherId, cancellationToken);
        return TypedResults.Ok(new TranscriptView(
            teacherId,
            teacher.Value.Name,
            entries.Sum(e => e.Hours),
            [.. entries.GroupBy(e => e.CycleStart).OrderBy(g => g.Key).Select(g => new TranscriptCycleView(
                g.Key,
                g.Sum(e => e.Hours),
                g.GroupBy(e => e.Category).ToDictionary(c => c.Key, c => c.Sum(e => e.Hours))))],
            [.. entries.Select(e => new TranscriptEntryView(
                e.Id, e.Hours, e.Category, CourseCategories.Names.GetValueOrDefault(e.Category, e.Category), e.Mode, e.Level, e.Source,
                CreditSources.Names.GetValueOrDefault(e.Source, e.Source), e.SourceRef, e.Title, e.Year, e.CycleStart, e.ReversesId,
                entries.Any(r => r.ReversesId == e.Id), e.Reason, e.PostedBy, e.PostedAt))],
            refusals));
    }

    /// <summary>A correction: a second entry with the opposite hours and a reason. The original stays as it was.</summary>
    private static async Task<Results<Created<LedgerEntry>, ValidationFailed, NotFoundProblem, ConflictProblem>> ReverseAsync(Guid id,
        ReverseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MaxReasonLength)
        {
            return new Validation().Require(false, "reason", $"冲销原因必填，不超过 {MaxReasonLength} 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var original = await LedgerStore.EntryForUpdateAsync(unitOfWork, id, cancellationToken);
        var teacher = original is null ? null : await LedgerStore.VisibleTeacherAsync(unitOfWork.Connection, original.TeacherId, user, cancellationToken);
        if (original is null || teacher is null)
        {
            return Problems.NotFound($"学时记录 {id} 不存在或不在你的管理范围内");
        }
        if (original.ReversesId is not null)
        {
            return Problems.Conflict("这是一条冲销记录，不能再冲销", "reversal-not-reversible");
        }
        if (await LedgerStore.IsReversedAsync(unitOfWork, id, cancellationToken))
        {
            return Problems.Conflict("该记录已被冲销", "already-reversed");
        }
        var now = clock.GetUtcNow();
        var reversal = original with
        {
            Id = Guid.CreateVersion7(now),
            Hours = -original.Hours,
            SourceRef = $"reversal:{original.Id}",
            ContentId = null,
            ReversesId = original.Id,
            Reason = request.Reason.Trim(),
            PostedBy = $"{user.Name} ({user.AccountId})",
            PostedAt = now,
        };
        await LedgerStore.PostAsync(unitOfWork, reversal, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "ledger-entry-reversed", "ledger-entry", original.Id.ToString(),
            $"冲销教师 {teacher.Value.Name} 的学时记录“{original.Title}”（{original.Year} 年，{original.Hours:0.#} 学时），冲销记录 {reversal.Id}，原因：{reversal.Reason}",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/credits/teachers/{original.TeacherId}/transcript", reversal);
    }

    /// <summary>
    /// A school registers school-based research (校本研修) hours for many of its teachers at once. The batch id makes a
    /// retried request post nothing twice.
    /// </summary>
    private static async Task<Results<Ok<SchoolBasedResult>, ValidationFailed, ConflictProblem>> RegisterSchoolBasedAsync(SchoolBasedRequest request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var teacherIds = request.TeacherIds ?? [];
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.BatchId) && request.BatchId.Length <= MaxBatchIdLength, "batchId",
                $"批次号必填（重复提交同一批次不会重复登记），不超过 {MaxBatchIdLength} 字符")
            .RequireTitle(request.Title, "title", "研修活动名称", MaxTitleLength)
            .Require(request.Hours is > 0 and <= MaxSchoolBasedHours && decimal.Round(request.Hours.Value, 1) == request.Hours, "hours",
                $"学时必须大于 0、不超过 {MaxSchoolBasedHours}，最多一位小数")
            .RequirePastDate(request.OccurredOn, ProvinceCalendar.Today(clock), "occurredOn", "活动日期")
            .Require(teacherIds.Count is > 0 and <= MaxSchoolBatch, "teacherIds", $"每批 1–{MaxSchoolBatch} 名教师")
            .Require(teacherIds.Distinct().Count() == teacherIds.Count, "teacherIds", "教师不能重复");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        var now = clock.GetUtcNow();
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var known = await LedgerStore.SchoolPathsAsync(unitOfWork, teacherIds, cancellationToken);
        for (var i = 0; i < teacherIds.Count; i++)
        {
            validation.Require(known.TryGetValue(teacherIds[i], out var path) && user.CanSeeTeacher(teacherIds[i], path), $"teacherIds[{i}]", "不是本校教师");
        }
        var year = request.OccurredOn!.Value.Year;
        var (open, closedOn) = await LedgerStore.RegistrationAsync(unitOfWork.Connection, year, ProvinceCalendar.Today(clock), cancellationToken);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        if (!open)
        {
            return Problems.Conflict($"{year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止；如需补登，请联系平台运营重新开放", "registration-closed");
        }
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        var outcomes = await LedgerStore.PostAllAsync(unitOfWork, [.. teacherIds.Select(teacherId => new LedgerEntry
        {
            Id = Guid.CreateVersion7(now),
            TeacherId = teacherId,
            Hours = request.Hours!.Value,
            Category = CourseCategories.SchoolBased,
            Mode = DeliveryModes.SchoolBased,
            Level = TrainingLevels.School,
            Source = CreditSources.SchoolBased,
            SourceRef = $"school-based:{user.OrganisationPath}:{request.BatchId}:{teacherId}",
            Title = request.Title!.Trim(),
            Year = year,
            CycleStart = policy.CycleOf(year).First,
            PostedBy = $"{user.Name} ({user.AccountId})",
            PostedAt = now,
        })], cancellationToken);
        var posted = outcomes.Count(o => o == PostOutcome.Posted);
        await AuditTrail.RecordAsync(unitOfWork, http, "school-based-hours-registered", "school-based-batch", $"{user.OrganisationPath}:{request.BatchId}",
            $"为 {teacherIds.Count} 名教师登记校本研修“{request.Title!.Trim()}”（{request.OccurredOn:yyyy-MM-dd}，每人 {request.Hours:0.#} 学时），新登记 {posted} 人，已登记过 {teacherIds.Count - posted} 人",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new SchoolBasedResult(posted, teacherIds.Count - posted));
    }

    private static async Task<Results<Created<YearReopened>, ValidationFailed>> ReopenAsync(
        [Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description("要重新开放的年度")] int year, ReopenRequest request, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireSupportedYear(year, "year", "年度")
            .Require(request.Until is { } until && until >= ProvinceCalendar.Today(clock), "until", "重新开放截止日期必填，且不能早于今天")
            .Require(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= MaxReasonLength, "reason", $"原因必填，不超过 {MaxReasonLength} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await LedgerStore.ReopenAsync(unitOfWork.Connection, year, request.Until!.Value, request.Reason!.Trim(), $"{user.Name} ({user.AccountId})", clock.GetUtcNow(),
            cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "credit-year-reopened", "credit-year", year.ToString(CultureInfo.InvariantCulture),
            $"重新开放 {year} 年度学分登记至 {request.Until.Value:yyyy-MM-dd}，原因：{request.Reason.Trim()}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/credits/years/{year}/reopen", new YearReopened(year, request.Until.Value, request.Reason));
    }
}

/// <summary>A credit the ledger refused to post, and why (shown as 未计入 on the transcript).</summary>
public sealed record LedgerRefusalView
{
    public string SourceRef { get; init; } = "";
    public string Title { get; init; } = "";
    public decimal Hours { get; init; }
    public string Reason { get; init; } = "";
    public DateTimeOffset RefusedAt { get; init; }
}
