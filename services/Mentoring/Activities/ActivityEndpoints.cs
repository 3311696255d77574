using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Activities;

public sealed record LogActivity(string? Title, DateOnly? HeldOn, decimal? Hours, string? Description);

public sealed record DecideActivity(string? Decision, string? Reason);

public sealed record ActivityRow
{
    public Guid Id { get; init; }
    public string Kind { get; init; } = "";
    public Guid SourceId { get; init; }
    public Guid TeacherId { get; init; }
    public string TeacherName { get; init; } = "";
    public string ConfirmingPath { get; init; } = "";
    public string Title { get; init; } = "";
    public string CreditTitle { get; init; } = "";
    public DateOnly HeldOn { get; init; }
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string Description { get; init; } = "";
    public string Status { get; init; } = "";
    public string? DecidedBy { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public string? RejectedReason { get; init; }
}

/// <summary>What an activity is attached to: who earns by it, whom it served and who confirms it, and when it may be held.</summary>
internal sealed record ActivitySource
{
    public Guid TeacherId { get; init; }
    public string ConfirmingPath { get; init; } = "";
    public string ServedName { get; init; } = "";
    public DateOnly FirstDay { get; init; }
    public DateOnly? LastDay { get; init; }
    public string Level { get; init; } = "";
}

/// <summary>
/// Mentoring activities that earn credit hours (指导带教学时): a mentor logs a session with a mentee, a backbone
/// teacher a day at the weak school they support, a guide a session with one of their study groups. The school the
/// activity served (for a county's cross-school group, the county) confirms or rejects it; a confirmed activity is
/// announced once through the outbox as <see cref="MentoringActivityCredited"/>, which Credits posts to the ledger.
/// </summary>
public static class ActivityEndpoints
{
    public static IEndpointRouteBuilder MapActivityEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Mentoring activities");
        var doers = new[] { Roles.Teacher, Roles.GuideTeacher };
        group.MapPost("/mentor-pairings/{pairingId:guid}/activities",
                (Guid pairingId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.MentoringSession, pairingId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers));
        group.MapPost("/support-pairings/{pairingId:guid}/activities",
                (Guid pairingId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.SchoolSupport, pairingId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers));
        group.MapPost("/study-groups/{groupId:guid}/activities",
                (Guid groupId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.Guidance, groupId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers));
        group.MapGet("/mentoring-activities", ListAsync);
        group.MapPost("/mentoring-activities/{activityId:guid}/decisions", DecideAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        return app;
    }

    private const string ActivitySql = """
        select a.id, a.kind, a.source_id, a.teacher_id, coalesce(t.name, '') as teacher_name, a.confirming_path, a.title, a.credit_title, a.held_on,
               a.hours, a.category, a.mode, a.level, a.description, a.status, a.decided_by, a.decided_at, a.rejected_reason
        from mentoring_activities a left join teachers t on t.id = a.teacher_id
        """;

    // Per kind: the earner, the served school (or county) and the period, read from the pairing or the group's guide.
    private static readonly Dictionary<string, string> SourceSql = new()
    {
        [MentoringActivityKinds.MentoringSession] = $"""
            select p.mentor_id as teacher_id, coalesce(e.school_path, '') as confirming_path, '徒弟' || coalesce(e.name, '') as served_name,
                   p.starts_on as first_day, coalesce(p.ended_on, p.ends_on) as last_day, '{TrainingLevels.School}' as level
            from mentor_pairings p left join teachers e on e.id = p.mentee_id where p.id = @Id
            """,
        [MentoringActivityKinds.SchoolSupport] = """
            select p.teacher_id, p.school_path as confirming_path, coalesce(o.name, '') as served_name, p.starts_on as first_day,
                   coalesce(p.ended_on, p.ends_on) as last_day, p.level
            from support_pairings p left join organisations o on o.id = p.school_id where p.id = @Id
            """,
        // A guide may log from the day the group was assigned to them; the level is the bureau that appointed them.
        [MentoringActivityKinds.Guidance] = """
            select gt.teacher_id, g.organisation_path as confirming_path, g.name as served_name,
                   (a.assigned_at at time zone 'Asia/Shanghai')::date as first_day, null::date as last_day, coalesce(o.kind, 'county') as level
            from guide_assignments a join study_groups g on g.id = a.group_id join guide_teachers gt on gt.id = a.guide_id
                 left join organisations o on o.path = gt.organisation_path
            where a.group_id = @Id
            """,
    };

    private static async Task<IResult> LogAsync(string kind, Guid sourceId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxActivityHours;
        var validation = new Validation()
            .RequireTitle(request.Title, "title", "活动名称", 100)
            .Require(request.HeldOn is not null, "heldOn", "请填写活动日期")
            .RequireSupportedYear(request.HeldOn?.Year, "heldOn", "活动日期")
            .Require(ActivityRules.ValidHours(request.Hours, max), "hours", $"学时须大于 0、不超过 {max:0.#}，以 0.5 为单位")
            .Require((request.Description ?? "").Length <= 2000, "description", "活动记录不超过 2000 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var connection = unitOfWork.Connection;
        var source = await connection.QuerySingleOrDefaultAsync<ActivitySource>(new CommandDefinition(SourceSql[kind], new { Id = sourceId },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        // Only the one who did the work logs it; to anyone else the pairing or group does not exist.
        if (source is null || user.TeacherId != source.TeacherId)
        {
            return Problems.NotFound(kind switch
            {
                MentoringActivityKinds.MentoringSession => "结对不存在，或你不是其中的导师",
                MentoringActivityKinds.SchoolSupport => "帮扶结对不存在，或你不是其中的帮扶教师",
                _ => "研修组不存在，或你不是它的指导教师",
            });
        }
        if (kind == MentoringActivityKinds.Guidance)
        {
            source = source with { Level = ActivityRules.LevelOf(source.Level) };
        }
        var today = ProvinceCalendar.Today(clock);
        if (ActivityRules.WhyNotHeld(request.HeldOn!.Value, today, source.FirstDay, source.LastDay ?? today) is { } why)
        {
            return Problems.RuleBroken(why, "activity-date", "heldOn");
        }
        // A person's day has limited credited hours across everything they log. The lock serialises every log of this
        // person and day until this transaction ends, so two at once cannot both fit under the cap.
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@Key, 0))",
            new { Key = $"activity-day:{source.TeacherId}:{MentoringScope.Day(request.HeldOn.Value)}" }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        var logged = await connection.ExecuteScalarAsync<decimal>(new CommandDefinition("""
            select coalesce(sum(hours), 0) from mentoring_activities where teacher_id = @TeacherId and held_on = @HeldOn and status <> 'rejected'
            """, new { source.TeacherId, request.HeldOn }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (ActivityRules.WhyOverDailyCap(request.HeldOn.Value, logged, request.Hours!.Value, options.Value.MaxActivityHoursPerDay) is { } over)
        {
            return Problems.Conflict(over, "daily-hours-exceeded", "hours");
        }
        var (category, mode, level) = ActivityRules.CreditOf(source.Level);
        var title = request.Title!.Trim();
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into mentoring_activities (id, kind, source_id, teacher_id, confirming_path, title, credit_title, held_on, hours, category, mode, level,
                                              description, status, created_at)
            values (@Id, @Kind, @SourceId, @TeacherId, @ConfirmingPath, @Title, @CreditTitle, @HeldOn, @Hours, @Category, @Mode, @Level, @Description,
                    'logged', @Now)
            on conflict (source_id, teacher_id, held_on, title) where status <> 'rejected' do nothing
            """, new
        {
            Id = id, Kind = kind, SourceId = sourceId, source.TeacherId, source.ConfirmingPath, Title = title,
            CreditTitle = ActivityRules.CreditTitle(kind, title, source.ServedName), request.HeldOn, request.Hours, Category = category, Mode = mode,
            Level = level, Description = request.Description ?? "", Now = clock.GetUtcNow(),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"{MentoringScope.Day(request.HeldOn.Value)} 的“{title}”已登记过", "duplicate-activity", "title");
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/mentoring-activities?status=logged", new
        {
            id, kind, title, heldOn = request.HeldOn, hours = request.Hours, status = "logged", waitingFor = "活动所服务的学校（或区县）确认",
        });
    }

    /// <summary>A teacher (or guide) sees what they logged; admins the activities waiting for (or decided by) their scope.</summary>
    private static async Task<IResult> ListAsync(string? status, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (status is not (null or "logged" or "confirmed" or "rejected"))
        {
            return new Validation().Require(false, "status", "状态须是 logged、confirmed 或 rejected").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        parameters.Add("Status", status);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin or Roles.SchoolAdmin
            ? PlatformUser.ScopeSql("a.confirming_path")
            : "a.teacher_id = @TeacherId";
        return TypedResults.Ok(await connection.QueryAsync<ActivityRow>(new CommandDefinition(
            ActivitySql + $" where {where} and (@Status::text is null or a.status = @Status) order by a.held_on desc, a.id", parameters,
            cancellationToken: cancellationToken)));
    }

    /// <summary>
    /// The served school (or a bureau above it) confirms or rejects. Confirming announces the credit in the same
    /// transaction (the outbox): it is sent once the decision is committed, and never without it.
    /// </summary>
    private static async Task<IResult> DecideAsync(Guid activityId, DecideActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        var validation = new Validation()
            .Require(request.Decision is "confirm" or "reject", "decision", "决定须是 confirm（确认）或 reject（退回）")
            .Require(request.Decision != "reject" || reason is not null, "reason", "退回须说明原因")
            .Require((reason ?? "").Length <= 500, "reason", "原因不超过 500 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var activity = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ActivityRow>(new CommandDefinition(
            ActivitySql + " where a.id = @Id for update of a", new { Id = activityId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (activity is null || !user.CanSeeOrganisation(activity.ConfirmingPath))
        {
            return Problems.NotFound("活动不存在或不在你的确认范围内");
        }
        if (ActivityRules.WhyNotDecide(activity.Status) is { } why)
        {
            return Problems.Conflict(why, "already-decided", "decision");
        }
        var now = clock.GetUtcNow();
        var by = MentoringScope.By(user);
        var confirmed = request.Decision == "confirm";
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update mentoring_activities set status = @Status, decided_by = @By, decided_at = @Now, rejected_reason = @Reason where id = @Id
            """, new { Id = activityId, Status = confirmed ? "confirmed" : "rejected", By = by, Now = now, Reason = confirmed ? null : reason },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (confirmed)
        {
            await unitOfWork.PublishAsync(new MentoringActivityCredited(activity.Id, activity.TeacherId, activity.Kind, activity.CreditTitle, activity.Hours,
                activity.Category, activity.Mode, activity.Level, activity.HeldOn.Year, activity.HeldOn, by, now), cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(activity with
        {
            Status = confirmed ? "confirmed" : "rejected", DecidedBy = by, DecidedAt = now, RejectedReason = confirmed ? null : reason,
        });
    }
}
