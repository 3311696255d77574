using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Credits.Ledger;
using TrainingPlatform.Services.Credits.Policies;

namespace TrainingPlatform.Services.Credits.Applications;

public sealed record ApplicationRequest(string? Title, string? Description, decimal? Hours, string? Category, string? Mode, string? Level, string? Source,
    DateOnly? OccurredOn, string? AttachmentRef);

public sealed record DecisionRequest(string? Decision, string? Reason);

public sealed record ApplicationRow
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public string TeacherName { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string Source { get; init; } = "";
    public DateOnly OccurredOn { get; init; }
    public string AttachmentRef { get; init; } = "";
    public string Status { get; init; } = "";
    public int Version { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>Offline credits: the teacher applies, and the chain (<see cref="ApprovalChain"/>) decides, step by step, in scope.</summary>
public static class ApplicationEndpoints
{
    private static readonly string[] Deciders = [Roles.SchoolAdmin, Roles.ResearchOffice, Roles.TrainingInstitution];

    public static IEndpointRouteBuilder MapApplicationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/applications").WithTags("Credit applications");
        group.MapPost("/", ApplyAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapPut("/{id:guid}", AmendAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapPost("/{id:guid}/resubmit", ResubmitAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapPost("/{id:guid}/decisions", DecideAsync).RequireAuthorization(p => p.RequireRole(Deciders));
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        return app;
    }

    private const string SelectSql = """
        select a.id, a.teacher_id, coalesce(t.name, '') as teacher_name, a.school_path, a.title, a.description, a.hours, a.category, a.mode, a.level,
               a.source, a.occurred_on, a.attachment_ref, a.status, a.version, a.created_at, a.updated_at
        from credit_applications a left join teachers t on t.id = a.teacher_id
        """;

    /// <summary>The fields of an application; a training is dated on a day that has passed, in the province's calendar.</summary>
    private static Validation Validate(ApplicationRequest r, DateOnly today) => new Validation()
        .RequireTitle(r.Title, "title", "培训名称", 200)
        .Require((r.Description ?? "").Length <= 2000, "description", "说明不超过 2000 字")
        .Require(r.Hours is > 0 and <= 500 && decimal.Round(r.Hours.Value, 1) == r.Hours, "hours", "学时必须大于 0、不超过 500，最多一位小数")
        .Require(r.Category is not null && CourseCategories.Names.ContainsKey(r.Category), "category", "学时类别无效")
        .Require(r.Mode is not null && DeliveryModes.Names.ContainsKey(r.Mode), "mode", "培训形式无效")
        .Require(r.Level is not null && TrainingLevels.Names.ContainsKey(r.Level), "level", "培训级别无效")
        .Require(r.Source is CreditSources.ExternalTraining or CreditSources.DegreeUpgrade or CreditSources.Mentoring, "source",
            "来源应为 external_training（外出培训）、degree_upgrade（学历提升）或 mentoring（指导带教）")
        .RequirePastDate(r.OccurredOn, today, "occurredOn", "培训日期")
        .Require(!string.IsNullOrWhiteSpace(r.AttachmentRef) && r.AttachmentRef.Length <= 500, "attachmentRef", "证明材料（附件编号或链接）必填");

    private static async Task<IResult> ApplyAsync(ApplicationRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = Validate(request, ProvinceCalendar.Today(clock));
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var schoolPath = await unitOfWork.Connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select school_path from teachers where id = @Id", new { Id = user.TeacherId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (schoolPath is null)
        {
            return Problems.Conflict("尚未收到你的教师档案，请稍后再试", "teacher-unknown");
        }
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into credit_applications (id, teacher_id, school_path, title, description, hours, category, mode, level, source, occurred_on,
                                             attachment_ref, status, version, created_at, updated_at)
            values (@Id, @TeacherId, @SchoolPath, @Title, @Description, @Hours, @Category, @Mode, @Level, @Source, @OccurredOn, @AttachmentRef,
                    'submitted', 1, @Now, @Now)
            """, new
        {
            Id = id, TeacherId = user.TeacherId, SchoolPath = schoolPath, Title = request.Title!.Trim(), Description = request.Description ?? "",
            request.Hours, request.Category, request.Mode, request.Level, request.Source, request.OccurredOn, request.AttachmentRef, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await StepAsync(unitOfWork, id, "apply", "submitted", null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/credits/applications/{id}", await ViewAsync(db, id, cancellationToken));
    }

    private static async Task<IResult> AmendAsync(Guid id, ApplicationRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = Validate(request, ProvinceCalendar.Today(clock));
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || application.TeacherId != user.TeacherId)
        {
            return Problems.NotFound("申请不存在");
        }
        if (!ApprovalChain.TeacherMayAmend(application.Status))
        {
            return Problems.Conflict($"申请已进入“{ApplicationStatuses.Names[application.Status]}”，不能再修改", "application-in-review");
        }
        var now = clock.GetUtcNow();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update credit_applications
            set title = @Title, description = @Description, hours = @Hours, category = @Category, mode = @Mode, level = @Level, source = @Source,
                occurred_on = @OccurredOn, attachment_ref = @AttachmentRef, version = version + 1, updated_at = @Now
            where id = @Id
            """, new
        {
            Id = id, Title = request.Title!.Trim(), Description = request.Description ?? "", request.Hours, request.Category, request.Mode, request.Level,
            request.Source, request.OccurredOn, request.AttachmentRef, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await StepAsync(unitOfWork, id, "amend", "amended", null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, id, cancellationToken));
    }

    private static async Task<IResult> ResubmitAsync(Guid id, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || application.TeacherId != user.TeacherId)
        {
            return Problems.NotFound("申请不存在");
        }
        if (application.Status != ApplicationStatuses.Rejected)
        {
            return Problems.Conflict("只有被退回的申请可以重新提交", "not-returned");
        }
        var now = clock.GetUtcNow();
        await SetStatusAsync(unitOfWork, id, ApplicationStatuses.Submitted, now, cancellationToken);
        await StepAsync(unitOfWork, id, "apply", "resubmitted", null, user, now, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, id, cancellationToken));
    }

    private static async Task<IResult> DecideAsync(Guid id, DecisionRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (request.Decision is not ("approve" or "reject"))
        {
            return new Validation().Require(false, "decision", "决定应为 approve（通过）或 reject（退回）").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var application = await LoadForUpdateAsync(unitOfWork, id, cancellationToken);
        if (application is null || !user.CanSeeOrganisation(application.SchoolPath))
        {
            return Problems.NotFound("申请不存在或不在你的管理范围内");
        }
        var decision = ApprovalChain.Decide(application.Status, user.Role, request.Decision == "approve", request.Reason);
        if (!decision.Allowed)
        {
            return decision.Status switch
            {
                400 => new Validation().Require(false, "reason", decision.Reason).ToProblem(),
                403 => Problems.Forbidden(decision.Reason),
                _ => Problems.Conflict(decision.Reason, decision.Rule),
            };
        }
        var now = clock.GetUtcNow();
        if (decision.NewStatus == ApplicationStatuses.Registered)
        {
            var problem = await RegisterAsync(unitOfWork, application, user, now, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
        }
        await SetStatusAsync(unitOfWork, id, decision.NewStatus, now, cancellationToken);
        await StepAsync(unitOfWork, id, decision.Step!.Step, request.Decision == "approve" ? "approved" : "rejected", request.Reason?.Trim(), user, now,
            cancellationToken);
        await unitOfWork.PublishAsync(new CreditApplicationDecided(id, application.TeacherId, application.Title, decision.Step.Step,
            request.Decision == "approve" ? "approved" : "rejected", request.Reason?.Trim(), decision.NewStatus, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, id, cancellationToken));
    }

    /// <summary>The last step posts the credit; a year already closed refuses it (409) unless an operator reopened it.</summary>
    private static async Task<IResult?> RegisterAsync(UnitOfWork unitOfWork, ApplicationRow application, PlatformUser user, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var year = application.OccurredOn.Year;
        // An application filed before dates were checked may still carry a day to come: never a credit of a year not yet lived.
        if (application.OccurredOn > ProvinceCalendar.DayOf(now))
        {
            return Problems.RuleBroken($"培训日期 {application.OccurredOn:yyyy-MM-dd} 晚于今天，不能登记学时；请退回，由教师更正日期", Validation.FutureDate,
                "occurredOn");
        }
        var (open, closedOn) = await LedgerBook.RegistrationAsync(unitOfWork.Connection, year, ProvinceCalendar.DayOf(now), cancellationToken);
        if (!open)
        {
            return Problems.Conflict($"{year} 年度学分登记已于 {closedOn:yyyy-MM-dd} 截止；如需补登，请联系平台运营重新开放", "registration-closed");
        }
        var policy = await PolicyStore.ActiveAsync(unitOfWork.Connection, unitOfWork.Transaction, cancellationToken);
        await LedgerBook.PostAsync(unitOfWork, new LedgerEntry
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
        return null;
    }

    /// <summary>
    /// Teachers see their own applications; each approver sees those in scope waiting for their step (or, with a
    /// status, any status), the operator all.
    /// </summary>
    private static async Task<IResult> ListAsync(string? status, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var waitingFor = ApprovalChain.ByStatus.FirstOrDefault(s => s.Value.Role == user.Role).Key;
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("Status", status ?? (user.Role == Roles.Teacher || user.IsOperator ? null : waitingFor), System.Data.DbType.String);
        // A teacher sees only their own, always: a teacher token without a teacher id sees nothing, not the school's.
        parameters.Add("TeacherId", user.Role == Roles.Teacher ? user.TeacherId ?? Guid.Empty : null, System.Data.DbType.Guid);
        if (user.Role != Roles.Teacher && !user.IsOperator && !Deciders.Contains(user.Role) && user.Role != Roles.DistrictAdmin)
        {
            return Problems.Forbidden("无权查看学时申请");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApplicationRow>(new CommandDefinition(SelectSql + $"""
             where (@Status is null or a.status = @Status)
              and (@TeacherId::uuid is null or a.teacher_id = @TeacherId)
              and (@TeacherId::uuid is not null or {PlatformUser.ScopeSql("a.school_path")})
            order by a.updated_at desc limit 500
            """, parameters, cancellationToken: cancellationToken));
        return TypedResults.Ok(rows);
    }

    private static async Task<IResult> GetAsync(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var view = await ViewAsync(db, id, cancellationToken);
        return view is null || !user.CanSeeTeacher(view.Application.TeacherId, view.Application.SchoolPath)
            ? Problems.NotFound("申请不存在或不在你的管理范围内")
            : TypedResults.Ok(view);
    }

    public sealed record ApplicationView(ApplicationRow Application, string StatusName, string? WaitingFor, IReadOnlyList<ApplicationStepView> Steps);

    /// <summary>One decision on an application: which step, what was decided, by whom and when.</summary>
    public sealed record ApplicationStepView
    {
        public string Step { get; init; } = "";
        public string Decision { get; init; } = "";
        public string? Reason { get; init; }
        public string Actor { get; init; } = "";
        public string ActorRole { get; init; } = "";
        public DateTimeOffset DecidedAt { get; init; }
    }

    private static async Task<ApplicationView?> ViewAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var application = await connection.QuerySingleOrDefaultAsync<ApplicationRow>(new CommandDefinition(SelectSql + " where a.id = @Id",
            new { Id = id }, cancellationToken: cancellationToken));
        if (application is null)
        {
            return null;
        }
        var steps = await connection.QueryAsync<ApplicationStepView>(new CommandDefinition("""
            select step, decision, reason, actor, actor_role, decided_at from credit_application_steps where application_id = @Id order by id
            """, new { Id = id }, cancellationToken: cancellationToken));
        return new ApplicationView(application, ApplicationStatuses.Names[application.Status],
            ApprovalChain.ByStatus.TryGetValue(application.Status, out var next) ? next.RoleName : null, [.. steps]);
    }

    private static Task<ApplicationRow?> LoadForUpdateAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<ApplicationRow>(new CommandDefinition(SelectSql + " where a.id = @Id for update of a",
            new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    private static Task SetStatusAsync(UnitOfWork unitOfWork, Guid id, string status, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update credit_applications set status = @Status, version = version + 1, updated_at = @Now where id = @Id",
            new { Id = id, Status = status, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    private static Task StepAsync(UnitOfWork unitOfWork, Guid id, string step, string decision, string? reason, PlatformUser user, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into credit_application_steps (application_id, step, decision, reason, actor, actor_role, decided_at)
            values (@Id, @Step, @Decision, @Reason, @Actor, @Role, @Now)
            """, new { Id = id, Step = step, Decision = decision, Reason = reason, Actor = $"{user.Name} ({user.AccountId})", user.Role, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}
