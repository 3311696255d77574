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
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Applications;

public sealed record ApplicationRequest(
    [property: Required, MaxLength(ApplicationEndpoints.MaxTitleLength), Description("培训名称")] string? Title,
    [property: MaxLength(ApplicationEndpoints.MaxDescriptionLength), Description("说明")] string? Description,
    [property: Required, Range(LedgerEndpoints.SmallestHours, ApplicationEndpoints.MaxHours), Description("申报学时，最多一位小数")] decimal? Hours,
    [property: Required, Codes(typeof(CourseCategories)), Description("学时类别")] string? Category,
    [property: Required, Codes(typeof(DeliveryModes)), Description("培训形式")] string? Mode,
    [property: Required, Codes(typeof(TrainingLevels)), Description("培训级别")] string? Level,
    [property: Required, Codes(typeof(ApplicationSources)), Description("学时来源")] string? Source,
    [property: Required, Description("培训日期，不能晚于今天")] DateOnly? OccurredOn,
    [property: Required, MaxLength(ApplicationEndpoints.MaxAttachmentRefLength), Description("证明材料：附件编号或链接")] string? AttachmentRef);

public sealed record DecisionRequest(
    [property: Required, Codes(typeof(ApproverDecisions)), Description("本环节的决定")] string? Decision,
    [property: Description("原因；退回时必填，会显示给教师")] string? Reason);

public sealed record ApplicationRow
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public string TeacherName { get; init; } = "";
    [Description("教师所在学校的机构路径")]
    public string SchoolPath { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public decimal Hours { get; init; }
    [Codes(typeof(CourseCategories))]
    public string Category { get; init; } = "";
    [Codes(typeof(DeliveryModes))]
    public string Mode { get; init; } = "";
    [Codes(typeof(TrainingLevels))]
    public string Level { get; init; } = "";
    [Codes(typeof(ApplicationSources))]
    public string Source { get; init; } = "";
    public DateOnly OccurredOn { get; init; }
    public string AttachmentRef { get; init; } = "";
    [Codes(typeof(ApplicationStatuses))]
    public string Status { get; init; } = "";
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>An application with its status in words, who it waits for, and every step so far.</summary>
public sealed record ApplicationView(ApplicationRow Application, string StatusName,
    [property: Description("正在等待处理的角色名称；已登记或已退回时为空")] string? WaitingFor, IReadOnlyList<ApplicationStepView> Steps);

/// <summary>One decision on an application: which step, what was decided, by whom and when.</summary>
public sealed record ApplicationStepView
{
    [Codes(typeof(ApplicationSteps))]
    public string Step { get; init; } = "";
    [Codes(typeof(ApplicationDecisions))]
    public string Decision { get; init; } = "";
    public string? Reason { get; init; }
    public string Actor { get; init; } = "";
    [Codes(typeof(Roles))]
    public string ActorRole { get; init; } = "";
    public DateTimeOffset DecidedAt { get; init; }
}

/// <summary>Offline credits: the teacher applies, and the chain (<see cref="ApprovalChain"/>) decides, step by step, in scope.</summary>
public static class ApplicationEndpoints
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxHours = 500;
    public const int MaxAttachmentRefLength = 500;

    private static readonly string[] Deciders = [Roles.SchoolAdmin, Roles.ResearchOffice, Roles.TrainingInstitution];

    public static IEndpointRouteBuilder MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/applications").WithTags("Credit applications");
        group.MapPost("/", ApplyAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("SubmitCreditApplication").WithSummary("申报线下学时")
            .WithDescription("教师申报外出培训、学历提升或指导带教的学时，附证明材料；提交后依次经学校审核、教研室认定、培训机构登记。");
        group.MapPut("/{id:guid}", AmendAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("AmendCreditApplication").WithSummary("修改学时申报")
            .WithDescription("学校审核前或被退回后，教师可修改自己的申报。");
        group.MapPost("/{id:guid}/resubmit", ResubmitAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("ResubmitCreditApplication").WithSummary("重新提交被退回的申报");
        group.MapPost("/{id:guid}/decisions", DecideAsync).RequireAuthorization(p => p.RequireRole(Deciders))
            .WithName("DecideCreditApplication").WithSummary("审批学时申报")
            .WithDescription("当前环节的审批人通过或退回（退回须说明原因）。最后一步（培训机构登记）通过即记入学时台账；该年度登记已截止时答 409。");
        group.MapGet("/", ListAsync)
            .WithName("ListCreditApplications").WithSummary("学时申报列表")
            .WithDescription("教师看到自己的申报；审批人默认看到管理范围内等待本环节处理的申报，指定 status 可看任一状态；平台运营看到全部。最多 500 条，按最近更新排序。");
        group.MapGet("/{id:guid}", GetAsync)
            .WithName("GetCreditApplication").WithSummary("学时申报详情")
            .WithDescription("申报内容、当前状态和每一步的审批记录。");
        return app;
    }

    /// <summary>The fields of an application; a training is dated on a day that has passed, in the province's calendar.</summary>
    private static Validation Validate(ApplicationRequest r, DateOnly today) => new Validation()
        .RequireTitle(r.Title, "title", "培训名称", MaxTitleLength)
        .Require((r.Description ?? "").Length <= MaxDescriptionLength, "description", $"说明不超过 {MaxDescriptionLength} 字")
        .Require(r.Hours is > 0 and <= MaxHours && decimal.Round(r.Hours.Value, 1) == r.Hours, "hours", $"学时必须大于 0、不超过 {MaxHours}，最多一位小数")
        .Require(r.Category is not null && CourseCategories.Names.ContainsKey(r.Category), "category", "学时类别无效")
        .Require(r.Mode is not null && DeliveryModes.Names.ContainsKey(r.Mode), "mode", "培训形式无效")
        .Require(r.Level is not null && TrainingLevels.Names.ContainsKey(r.Level), "level", "培训级别无效")
        .Require(r.Source is not null && ApplicationSources.Names.ContainsKey(r.Source), "source",
            "来源应为 external_training（外出培训）、degree_upgrade（学历提升）或 mentoring（指导带教）")
        .RequirePastDate(r.OccurredOn, today, "occurredOn", "培训日期")
        .Require(!string.IsNullOrWhiteSpace(r.AttachmentRef) && r.AttachmentRef.Length <= MaxAttachmentRefLength, "attachmentRef",
            "证明材料（附件编号或链接）必填");

    private static async Task<Results<Created<ApplicationView>, ValidationFailed, ConflictProblem>> ApplyAsync(ApplicationRequest request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request, ProvinceCalendar.Today(clock));
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var schoolPath = await ApplicationStore.SchoolPathOfAsync(unitOfWork, user.TeacherId, cancellationToken);
        if (schoolPath is null)
        {
            return Problems.Conflict("尚未收到你的教师档案，请稍后再试", "teacher-unknown");
        }
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await ApplicationStore.InsertAsync(unitOfWork, id, user.TeacherId, schoolPath, request, now, cancellationToken);
        await ApplicationStore.StepAsync(unitOfWork, id, ApplicationSteps.Apply, ApplicationDecisions.Submitted, null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/credits/applications/{id}", await ApplicationStore.ViewAsync(db, id, cancellationToken));
    }

    private static async Task<Results<Ok<ApplicationView>, ValidationFailed, NotFoundProblem, ConflictProblem>> AmendAsync(Guid id,
        ApplicationRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request, ProvinceCalendar.Today(clock));
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await ApplicationStore.LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || application.TeacherId != user.TeacherId)
        {
            return Problems.NotFound("申请不存在");
        }
        if (!ApprovalChain.TeacherMayAmend(application.Status))
        {
            return Problems.Conflict($"申请已进入“{ApplicationStatuses.Names[application.Status]}”，不能再修改", "application-in-review");
        }
        var now = clock.GetUtcNow();
        await ApplicationStore.AmendAsync(unitOfWork, id, request, now, cancellationToken);
        await ApplicationStore.StepAsync(unitOfWork, id, ApplicationSteps.Amend, ApplicationDecisions.Amended, null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok((await ApplicationStore.ViewAsync(db, id, cancellationToken))!);
    }

    private static async Task<Results<Ok<ApplicationView>, NotFoundProblem, ConflictProblem>> ResubmitAsync(Guid id, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await ApplicationStore.LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || application.TeacherId != user.TeacherId)
        {
            return Problems.NotFound("申请不存在");
        }
        if (application.Status != ApplicationStatuses.Rejected)
        {
            return Problems.Conflict("只有被退回的申请可以重新提交", "not-returned");
        }
        var now = clock.GetUtcNow();
        await ApplicationStore.SetStatusAsync(unitOfWork, id, ApplicationStatuses.Submitted, now, cancellationToken);
        await ApplicationStore.StepAsync(unitOfWork, id, ApplicationSteps.Apply, ApplicationDecisions.Resubmitted, null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok((await ApplicationStore.ViewAsync(db, id, cancellationToken))!);
    }

    private static async Task<Results<Ok<ApplicationView>, ValidationFailed, ForbiddenProblem, NotFoundProblem, ConflictProblem, RuleProblem>> DecideAsync(
        Guid id, DecisionRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (request.Decision is not (ApproverDecisions.Approve or ApproverDecisions.Reject))
        {
            return new Validation().Require(false, "decision", "决定应为 approve（通过）或 reject（退回）").ToProblem();
        }
        var approve = request.Decision == ApproverDecisions.Approve;
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await ApplicationStore.LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || !user.CanSeeOrganisation(application.SchoolPath))
        {
            return Problems.NotFound("申请不存在或不在你的管理范围内");
        }
        var decision = ApprovalChain.Decide(application.Status, user.Role, approve, request.Reason);
        if (!decision.Allowed)
        {
            if (decision.Status == StatusCodes.Status400BadRequest)
            {
                return new Validation().Require(false, "reason", decision.Reason).ToProblem();
            }
            if (decision.Status == StatusCodes.Status403Forbidden)
            {
                return Problems.Forbidden(decision.Reason);
            }
            return Problems.Conflict(decision.Reason, decision.Rule);
        }
        var now = clock.GetUtcNow();
        if (decision.NewStatus == ApprovalChain.FinalStatus)
        {
            if (FutureDateProblem(application, now) is { } future)
            {
                return future;
            }
            if (await ClosedYearProblemAsync(unitOfWork, application, now, cancellationToken) is { } closed)
            {
                return closed;
            }
            await RegisterAsync(unitOfWork, application, user, now, cancellationToken);
        }
        var outcome = approve ? ApplicationDecisions.Approved : ApplicationDecisions.Rejected;
        await ApplicationStore.SetStatusAsync(unitOfWork, id, decision.NewStatus, now, cancellationToken);
        await ApplicationStore.StepAsync(unitOfWork, id, decision.Step!.Step, outcome, request.Reason?.Trim(), user, now, cancellationToken);
        await unitOfWork.PublishAsync(new CreditApplicationDecided(id, application.TeacherId, application.Title, decision.Step.Step,
            outcome, request.Reason?.Trim(), decision.NewStatus, now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, approve ? "credit-application-approved" : "credit-application-rejected", "credit-application",
            id.ToString(),
            $"{(approve ? "通过" : "退回")}学时申请“{application.Title}”（第 {decision.Step.Step} 步，状态改为 {decision.NewStatus}）{(string.IsNullOrWhiteSpace(request.Reason) ? "" : $"，理由：{request.Reason.Trim()}")}",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok((await ApplicationStore.ViewAsync(db, id, cancellationToken))!);
    }

    /// <summary>An application filed before dates were checked may still carry a day to come: never a credit of a year not yet lived.</summary>
    private static RuleProblem? FutureDateProblem(ApplicationRow application, DateTimeOffset now) =>
        application.OccurredOn > ProvinceCalendar.DayOf(now)
            ? Problems.RuleBroken($"培训日期 {application.OccurredOn:yyyy-MM-dd} 晚于今天，不能登记学时；请退回，由教师更正日期", Validation.FutureDate,
                "occurredOn")
            : null;

    /// <summary>A year already closed refuses the credit (409) unless an operator reopened it.</summary>
    private static async Task<ConflictProblem?> ClosedYearProblemAsync(UnitOfWork unitOfWork, ApplicationRow application, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var year = application.OccurredOn.Year;
        var (open, closedOn) = await LedgerStore.RegistrationAsync(unitOfWork.Connection, year, ProvinceCalendar.DayOf(now), cancellationToken);
        return open ? null : Problems.Conflict($"{year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止；如需补登，请联系平台运营重新开放", "registration-closed");
    }

    /// <summary>The last step posts the credit.</summary>
    private static async Task RegisterAsync(UnitOfWork unitOfWork, ApplicationRow application, PlatformUser user, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var year = application.OccurredOn.Year;
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        await LedgerStore.PostAsync(unitOfWork, new LedgerEntry
        {
            Id = Guid.CreateVersion7(now),
            TeacherId = application.TeacherId,
            Hours = application.Hours,
            Category = application.Category,
            Mode = application.Mode,
            Level = application.Level,
            Source = application.Source,
            SourceRef = $"application:{application.Id}",
            Title = application.Title,
            Year = year,
            CycleStart = policy.CycleOf(year).First,
            PostedBy = $"{user.Name} ({user.AccountId})",
            PostedAt = now,
        }, cancellationToken);
    }

    /// <summary>
    /// Teachers see their own applications; each approver sees those in scope waiting for their step (or, with a
    /// status, any status), the operator all.
    /// </summary>
    private static async Task<Results<Ok<IReadOnlyList<ApplicationRow>>, ValidationFailed, ForbiddenProblem>> ListAsync(
        [Codes(typeof(ApplicationStatuses)), Description("只列出此状态的申报；审批人缺省为等待本环节处理的")] string? status, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        if (user.Role != Roles.Teacher && !user.IsOperator && !Deciders.Contains(user.Role) && user.Role != Roles.DistrictAdmin)
        {
            return Problems.Forbidden("无权查看学时申请");
        }
        // The document lists the statuses: an unknown one is a mistake to say, not a filter that matches nothing.
        if (new Validation().RequireKnownCode(status, ApplicationStatuses.Names, "status", "申报状态") is { IsValid: false } refused)
        {
            return refused.ToProblem();
        }
        var waitingFor = ApprovalChain.ByStatus.FirstOrDefault(s => s.Value.Role == user.Role).Key;
        // A teacher sees only their own, always: a teacher token without a teacher id sees nothing, not the school's.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await ApplicationStore.ListAsync(connection, user,
            status ?? (user.Role == Roles.Teacher || user.IsOperator ? null : waitingFor),
            user.Role == Roles.Teacher ? user.TeacherId ?? Guid.Empty : null, cancellationToken));
    }

    private static async Task<Results<Ok<ApplicationView>, NotFoundProblem>> GetAsync(Guid id, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var view = await ApplicationStore.ViewAsync(db, id, cancellationToken);
        return view is null || !user.CanSeeTeacher(view.Application.TeacherId, view.Application.SchoolPath)
            ? Problems.NotFound("申请不存在或不在你的管理范围内")
            : TypedResults.Ok(view);
    }
}
