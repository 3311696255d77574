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
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Activities;

public sealed record LogActivity(
    [property: Required, MaxLength(MentoringLimits.TitleLength), Description("活动名称")] string? Title,
    [property: Required, Description("活动日期：已经开展的日期，且在结对（或指导）期间内")] DateOnly? HeldOn,
    [property: Required, Description(ActivityEndpoints.HoursDescription)] decimal? Hours,
    [property: MaxLength(ActivityRules.DescriptionLength), Description("活动记录")] string? Description);

public sealed record DecideActivity(
    [property: Required, Codes(typeof(ActivityDecisions))] string? Decision,
    [property: MaxLength(MentoringLimits.ReasonLength), Description("退回原因；退回时必填")] string? Reason);

public sealed record ActivityRow
{
    public Guid Id { get; init; }

    [Codes(typeof(MentoringActivityKinds))]
    public string Kind { get; init; } = "";

    [Description("所依附的导师结对、帮扶结对或研修组的编号")]
    public Guid SourceId { get; init; }

    [Description("做这项工作、获得学时的教师")]
    public Guid TeacherId { get; init; }

    public string TeacherName { get; init; } = "";

    [Description("负责确认的学校（跨校研修组为区县）的机构路径")]
    public string ConfirmingPath { get; init; } = "";

    public string Title { get; init; } = "";

    [Description("记入学时档案的名称：类别、活动名称与服务对象")]
    public string CreditTitle { get; init; } = "";

    public DateOnly HeldOn { get; init; }
    public decimal Hours { get; init; }

    [Codes(typeof(CourseCategories))]
    public string Category { get; init; } = "";

    [Codes(typeof(DeliveryModes))]
    public string Mode { get; init; } = "";

    [Codes(typeof(TrainingLevels))]
    public string Level { get; init; } = "";

    public string Description { get; init; } = "";

    [Codes(typeof(ActivityStatuses))]
    public string Status { get; init; } = "";

    public string? DecidedBy { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public string? RejectedReason { get; init; }
}

public sealed record ActivityLogged(Guid Id,
    [property: Codes(typeof(MentoringActivityKinds))] string Kind,
    string Title, DateOnly HeldOn, decimal Hours,
    [property: Codes(typeof(ActivityStatuses))] string Status,
    [property: Description("等待谁确认")] string WaitingFor);

/// <summary>
/// Mentoring activities that earn credit hours (指导带教学时): a mentor logs a session with a mentee, a backbone
/// teacher a day at the weak school they support, a guide a session with one of their study groups. The school the
/// activity served (for a county's cross-school group, the county) confirms or rejects it; a confirmed activity is
/// announced once through the outbox as <see cref="MentoringActivityCredited"/>, which Credits posts to the ledger.
/// </summary>
public static class ActivityEndpoints
{
    public const string HoursDescription = "学时：大于 0，以 0.5 为单位；一项活动不超过设置 Mentoring:MaxActivityHours（默认 8）。"
        + "同一人同一天登记的学时合计（导师带教、对口帮扶、研修组指导各项，待确认与已确认的都算，已退回的不算）不超过 "
        + "Mentoring:MaxActivityHoursPerDay（默认 8），超出时答 409（rule＝daily-hours-exceeded）。";

    private const string LogDescription = "只有做这项工作的教师本人可以登记；登记后等待活动所服务的学校（跨校研修组为区县）确认，确认后计入学时。"
        + "同一天同名的活动只登记一次。";

    public static IEndpointRouteBuilder MapActivityEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Mentoring activities");
        var doers = new[] { Roles.Teacher, Roles.GuideTeacher };
        group.MapPost("/mentor-pairings/{pairingId:guid}/activities",
                (Guid pairingId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.MentoringSession, pairingId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers))
            .WithName("LogMentoringSession")
            .WithSummary("登记导师带教活动")
            .WithDescription("导师登记与徒弟的一次带教，由徒弟所在学校确认。" + LogDescription);
        group.MapPost("/support-pairings/{pairingId:guid}/activities",
                (Guid pairingId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.SchoolSupport, pairingId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers))
            .WithName("LogSchoolSupportDay")
            .WithSummary("登记对口帮扶活动")
            .WithDescription("帮扶教师登记在被帮扶学校的一次帮扶，由被帮扶学校确认。" + LogDescription);
        group.MapPost("/study-groups/{groupId:guid}/activities",
                (Guid groupId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
                    CancellationToken cancellationToken) =>
                    LogAsync(MentoringActivityKinds.Guidance, groupId, request, http, db, clock, options, cancellationToken))
            .RequireAuthorization(p => p.RequireRole(doers))
            .WithName("LogGroupGuidance")
            .WithSummary("登记研修组指导活动")
            .WithDescription("指导教师登记对所负责研修组的一次指导（自分配之日起），由该组所在学校（跨校组为区县）确认。" + LogDescription);
        group.MapGet("/mentoring-activities", ListAsync)
            .WithName("ListMentoringActivities")
            .WithSummary("查看指导带教活动")
            .WithDescription("管理员看由其范围内确认的活动；教师看自己登记的活动。新的在前。");
        group.MapPost("/mentoring-activities/{activityId:guid}/decisions", DecideAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("DecideMentoringActivity")
            .WithSummary("确认或退回指导带教活动")
            .WithDescription("活动所服务的学校（或其上级教育局）确认或退回（退回须说明原因）。确认时在同一事务中发布 MentoringActivityCredited，"
                + "由学分服务记入学时；每项活动只能决定一次。");
        return app;
    }

    private static async Task<Results<Created<ActivityLogged>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> LogAsync(string kind,
        Guid sourceId, LogActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
        CancellationToken cancellationToken)
    {
        var max = options.Value.MaxActivityHours;
        var validation = new Validation()
            .RequireTitle(request.Title, "title", "活动名称", MentoringLimits.TitleLength)
            .Require(request.HeldOn is not null, "heldOn", "请填写活动日期")
            .RequireSupportedYear(request.HeldOn?.Year, "heldOn", "活动日期")
            .Require(ActivityRules.ValidHours(request.Hours, max), "hours", $"学时须大于 0、不超过 {max:0.#}，以 0.5 为单位")
            .Require((request.Description ?? "").Length <= ActivityRules.DescriptionLength, "description",
                $"活动记录不超过 {ActivityRules.DescriptionLength} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var source = await ActivityStore.FindSourceAsync(unitOfWork, kind, sourceId, cancellationToken);
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
        var heldOn = request.HeldOn!.Value;
        if (ActivityRules.WhyNotHeld(heldOn, today, source.FirstDay, source.LastDay ?? today) is { } why)
        {
            return Problems.RuleBroken(why, "activity-date", "heldOn");
        }
        // A person's day has limited credited hours across everything they log; the lock holds every other log of
        // this person and day until this one commits.
        await ActivityStore.LockDayAsync(unitOfWork, source.TeacherId, heldOn, cancellationToken);
        var logged = await ActivityStore.LoggedOnAsync(unitOfWork, source.TeacherId, heldOn, cancellationToken);
        if (ActivityRules.WhyOverDailyCap(heldOn, logged, request.Hours!.Value, options.Value.MaxActivityHoursPerDay) is { } over)
        {
            return Problems.Conflict(over, "daily-hours-exceeded", "hours");
        }
        var (category, mode, level) = ActivityRules.CreditOf(source.Level);
        var title = request.Title!.Trim();
        var activity = new ActivityRow
        {
            Id = Guid.CreateVersion7(clock.GetUtcNow()), Kind = kind, SourceId = sourceId, TeacherId = source.TeacherId,
            ConfirmingPath = source.ConfirmingPath, Title = title, CreditTitle = ActivityRules.CreditTitle(kind, title, source.ServedName), HeldOn = heldOn,
            Hours = request.Hours.Value, Category = category, Mode = mode, Level = level, Description = request.Description ?? "",
            Status = ActivityStatuses.Logged,
        };
        var inserted = await ActivityStore.InsertAsync(unitOfWork, activity, clock.GetUtcNow(), cancellationToken);
        if (inserted == 0)
        {
            return Problems.Conflict($"{MentoringScope.Day(heldOn)} 的“{title}”已登记过", "duplicate-activity", "title");
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/mentoring-activities?status=logged", new ActivityLogged(activity.Id, kind, title, heldOn,
            activity.Hours, ActivityStatuses.Logged, "活动所服务的学校（或区县）确认"));
    }

    /// <summary>A teacher (or guide) sees what they logged; admins the activities waiting for (or decided by) their scope.</summary>
    private static async Task<Results<Ok<List<ActivityRow>>, ValidationFailed>> ListAsync(
        [Codes(typeof(ActivityStatuses)), Description("只看该状态的活动；不传为全部")] string? status, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        if (status is not null && !ActivityStatuses.Names.ContainsKey(status))
        {
            return new Validation().Require(false, "status", "状态须是 logged、confirmed 或 rejected").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await ActivityStore.VisibleAsync(connection, user, status, cancellationToken));
    }

    /// <summary>
    /// The served school (or a bureau above it) confirms or rejects. Confirming announces the credit in the same
    /// transaction (the outbox): it is sent once the decision is committed, and never without it.
    /// </summary>
    private static async Task<Results<Ok<ActivityRow>, ValidationFailed, NotFoundProblem, ConflictProblem>> DecideAsync(Guid activityId,
        DecideActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        var validation = new Validation()
            .Require(request.Decision is ActivityDecisions.Confirm or ActivityDecisions.Reject, "decision", "决定须是 confirm（确认）或 reject（退回）")
            .Require(request.Decision != ActivityDecisions.Reject || reason is not null, "reason", "退回须说明原因")
            .Require((reason ?? "").Length <= MentoringLimits.ReasonLength, "reason", $"原因不超过 {MentoringLimits.ReasonLength} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var activity = await ActivityStore.FindForUpdateAsync(unitOfWork, activityId, cancellationToken);
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
        var confirmed = request.Decision == ActivityDecisions.Confirm;
        var status = confirmed ? ActivityStatuses.Confirmed : ActivityStatuses.Rejected;
        await ActivityStore.DecideAsync(unitOfWork, activityId, status, by, now, confirmed ? null : reason, cancellationToken);
        if (confirmed)
        {
            await unitOfWork.PublishAsync(new MentoringActivityCredited(activity.Id, activity.TeacherId, activity.Kind, activity.CreditTitle, activity.Hours,
                activity.Category, activity.Mode, activity.Level, activity.HeldOn.Year, activity.HeldOn, by, now), cancellationToken);
        }
        await AuditTrail.RecordAsync(unitOfWork, http, confirmed ? "mentoring-activity-confirmed" : "mentoring-activity-rejected", "mentoring-activity",
            activityId.ToString(), confirmed
                ? $"确认指导带教活动“{activity.CreditTitle}”（{activity.HeldOn:yyyy-MM-dd}），计 {activity.Hours} 学时"
                : $"退回指导带教活动“{activity.CreditTitle}”（{activity.HeldOn:yyyy-MM-dd}），原因：{reason}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(activity with { Status = status, DecidedBy = by, DecidedAt = now, RejectedReason = confirmed ? null : reason });
    }
}
