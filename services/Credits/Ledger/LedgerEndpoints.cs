using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Ledger;

public sealed record ReverseRequest(string? Reason);

public sealed record SchoolBasedRequest(string? BatchId, string? Title, decimal? Hours, DateOnly? OccurredOn, IReadOnlyList<Guid>? TeacherIds);

public sealed record ReopenRequest(DateOnly? Until, string? Reason);

/// <summary>The ledger's HTTP side: transcripts, corrections, school-based registration, and reopening a closed year.</summary>
public static class LedgerEndpoints
{
    public const int MaxSchoolBatch = 5000;

    public static IEndpointRouteBuilder MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Ledger");
        group.MapGet("/me/transcript", (HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
            TranscriptAsync(PlatformUser.From(http.User).TeacherId ?? Guid.Empty, http, db, ct)).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapGet("/teachers/{teacherId:guid}/transcript", TranscriptAsync);
        group.MapPost("/entries/{id:guid}/reverse", ReverseAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin));
        group.MapPost("/school-based", RegisterSchoolBasedAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin));
        group.MapPost("/years/{year:int}/reopen", ReopenAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        return app;
    }

    /// <summary>Loads the teacher's school path for a scope check; null when unknown or not visible.</summary>
    internal static async Task<(Guid Id, string Name, string SchoolPath)?> VisibleTeacherAsync(NpgsqlConnection connection, Guid teacherId, PlatformUser user,
        CancellationToken cancellationToken)
    {
        var teacher = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Name, string SchoolPath)?>(new CommandDefinition(
            "select id, name, school_path from teachers where id = @Id", new { Id = teacherId }, cancellationToken: cancellationToken));
        return teacher is { } t && user.CanSeeTeacher(t.Id, t.SchoolPath) ? teacher : null;
    }

    private static async Task<IResult> TranscriptAsync(Guid teacherId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teacher = await VisibleTeacherAsync(connection, teacherId, user, cancellationToken);
        if (teacher is null)
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var entries = (await connection.QueryAsync<LedgerEntry>(new CommandDefinition(LedgerBook.SelectSql + " where teacher_id = @Id order by posted_at, id",
            new { Id = teacherId }, cancellationToken: cancellationToken))).ToList();
        var refusals = await connection.QueryAsync<LedgerRefusalView>(new CommandDefinition(
            "select source_ref, title, hours, reason, refused_at from ledger_refusals where teacher_id = @Id order by refused_at",
            new { Id = teacherId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(new
        {
            teacherId,
            teacher.Value.Name,
            totalHours = entries.Sum(e => e.Hours),
            byCycle = entries.GroupBy(e => e.CycleStart).OrderBy(g => g.Key).Select(g => new
            {
                cycleStart = g.Key,
                hours = g.Sum(e => e.Hours),
                byCategory = g.GroupBy(e => e.Category).ToDictionary(c => c.Key, c => c.Sum(e => e.Hours)),
            }),
            entries = entries.Select(e => new
            {
                e.Id, e.Hours, e.Category, categoryName = CourseCategories.Names.GetValueOrDefault(e.Category, e.Category), e.Mode, e.Level, e.Source,
                sourceName = CreditSources.Names.GetValueOrDefault(e.Source, e.Source), e.SourceRef, e.Title, e.Year, e.CycleStart, e.ReversesId,
                reversed = entries.Any(r => r.ReversesId == e.Id), e.Reason, e.PostedBy, e.PostedAt,
            }),
            notCounted = refusals,
        });
    }

    /// <summary>A correction: a second entry with the opposite hours and a reason. The original stays as it was.</summary>
    private static async Task<IResult> ReverseAsync(Guid id, ReverseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return new Validation().Require(false, "reason", "冲销原因必填，不超过 500 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var original = await unitOfWork.Connection.QuerySingleOrDefaultAsync<LedgerEntry>(new CommandDefinition(
            LedgerBook.SelectSql + " where id = @Id for update", new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var teacher = original is null ? null : await VisibleTeacherAsync(unitOfWork.Connection, original.TeacherId, user, cancellationToken);
        if (original is null || teacher is null)
        {
            return Problems.NotFound($"学时记录 {id} 不存在或不在你的管理范围内");
        }
        if (original.ReversesId is not null)
        {
            return Problems.Conflict("这是一条冲销记录，不能再冲销", "reversal-not-reversible");
        }
        if (await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from ledger_entries where reverses_id = @Id)", new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
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
        await LedgerBook.PostAsync(unitOfWork, reversal, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/credits/teachers/{original.TeacherId}/transcript", reversal);
    }

    /// <summary>
    /// A school registers school-based research (校本研修) hours for many of its teachers at once. The batch id makes a
    /// retried request post nothing twice.
    /// </summary>
    private static async Task<IResult> RegisterSchoolBasedAsync(SchoolBasedRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var teacherIds = request.TeacherIds ?? [];
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.BatchId) && request.BatchId.Length <= 64, "batchId", "批次号必填（重复提交同一批次不会重复登记），不超过 64 字符")
            .RequireTitle(request.Title, "title", "研修活动名称", 200)
            .Require(request.Hours is > 0 and <= 100 && decimal.Round(request.Hours.Value, 1) == request.Hours, "hours", "学时必须大于 0、不超过 100，最多一位小数")
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
        var known = (await unitOfWork.Connection.QueryAsync<(Guid Id, string SchoolPath)>(new CommandDefinition(
            "select id, school_path from teachers where id = any(@Ids)", new { Ids = teacherIds.ToArray() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToDictionary(t => t.Id, t => t.SchoolPath);
        for (var i = 0; i < teacherIds.Count; i++)
        {
            validation.Require(known.TryGetValue(teacherIds[i], out var path) && user.CanSeeTeacher(teacherIds[i], path), $"teacherIds[{i}]", "不是本校教师");
        }
        var year = request.OccurredOn!.Value.Year;
        var (open, closedOn) = await LedgerBook.RegistrationAsync(unitOfWork.Connection, year, ProvinceCalendar.Today(clock), cancellationToken);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        if (!open)
        {
            return Problems.Conflict($"{year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止；如需补登，请联系平台运营重新开放", "registration-closed");
        }
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        var outcomes = await LedgerBook.PostAllAsync(unitOfWork, [.. teacherIds.Select(teacherId => new LedgerEntry
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
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new { posted, alreadyPosted = teacherIds.Count - posted });
    }

    private static async Task<IResult> ReopenAsync(int year, ReopenRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireSupportedYear(year, "year", "年度")
            .Require(request.Until is { } until && until >= ProvinceCalendar.Today(clock), "until", "重新开放截止日期必填，且不能早于今天")
            .Require(!string.IsNullOrWhiteSpace(request.Reason) && request.Reason.Length <= 500, "reason", "原因必填，不超过 500 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into year_reopenings (year, reopened_to, reason, reopened_by, reopened_at) values (@Year, @Until, @Reason, @By, @Now)
            """, new { Year = year, request.Until, Reason = request.Reason!.Trim(), By = $"{user.Name} ({user.AccountId})", Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        return TypedResults.Created($"/api/credits/years/{year}/reopen", new { year, request.Until, request.Reason });
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
