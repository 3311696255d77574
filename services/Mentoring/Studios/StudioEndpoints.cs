using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Studios;

public sealed record NewStudio(
    [property: Required, MaxLength(MentoringLimits.TitleLength), Description("工作室名称，在设立单位内不重复")] string? Name,
    [property: Required, Description("主持名师的教师编号：设立单位辖区内在岗的卓越或领航教师")] Guid? MasterId);

public sealed record NewStudioActivity(
    [property: Required, MaxLength(MentoringLimits.TitleLength)] string? Title,
    [property: Required, Description("活动日期：今天或此前，且在平台记录的年度内")] DateOnly? HeldOn,
    [property: MaxLength(StudioEndpoints.DescriptionLength)] string? Description);

public sealed record StudioMemberView
{
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public DateTimeOffset JoinedAt { get; init; }
}

public sealed record StudioActivityView
{
    public Guid Id { get; init; }
    public string Title { get; init; } = "";
    public DateOnly HeldOn { get; init; }
    public string Description { get; init; } = "";
    public string CreatedBy { get; init; } = "";
}

public sealed record StudioRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public Guid MasterId { get; init; }
    public string MasterName { get; init; } = "";

    [Description("city＝市级工作室；county＝县级工作室")]
    public string Level { get; init; } = "";

    public string OrganisationPath { get; init; } = "";

    [Description("成员数（不含主持名师）")]
    public int Members { get; init; }
}

public sealed record StudioCreated(Guid Id, string Name, [property: Description("city＝市级；county＝县级")] string Level, string Master);

public sealed record StudioDetail(StudioRow Studio, IReadOnlyList<StudioMemberView> Members, IReadOnlyList<StudioActivityView> Activities);

public sealed record StudioMemberAdded(string Studio, string Member);

public sealed record StudioActivityRecorded(Guid Id, string Title, DateOnly HeldOn);

/// <summary>
/// Master-teacher studios (名师工作室, seed 002: 200 city-level studios): a city or county bureau sets one up around a
/// master (卓越) or education master (领航) teacher; the bureau or the master adds members and records activities.
/// </summary>
public static class StudioEndpoints
{
    public const int DescriptionLength = 5000;

    public static IEndpointRouteBuilder MapStudioEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Studios");
        group.MapPost("/organisations/{code}/studios", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("CreateStudio")
            .WithSummary("设立名师工作室")
            .WithDescription("市或区县教育局（code 为市或区县）围绕辖区内在岗的卓越或领航教师设立工作室，级别随设立单位（市级 / 县级）。同一单位内名称不重复。");
        group.MapGet("/studios", ListAsync)
            .WithName("ListStudios")
            .WithSummary("查看名师工作室")
            .WithDescription("教育局和运营方看范围内的工作室；教师看自己主持或参加的工作室。");
        group.MapGet("/studios/{studioId:guid}", GetAsync)
            .WithName("GetStudio")
            .WithSummary("查看名师工作室详情")
            .WithDescription("工作室、成员及活动记录（新的在前）。设立单位及其上级、主持名师和成员可查看。");
        group.MapPut("/studios/{studioId:guid}/members/{teacherId:guid}", AddMemberAsync)
            .WithName("AddStudioMember")
            .WithSummary("添加工作室成员")
            .WithDescription("主持名师或设立工作室的教育局可添加工作室所在市或区县的教师为成员。");
        group.MapPost("/studios/{studioId:guid}/activities", AddActivityAsync)
            .WithName("RecordStudioActivity")
            .WithSummary("记录工作室活动")
            .WithDescription("主持名师或设立工作室的教育局记录已开展的活动。");
        return app;
    }

    private static async Task<Results<Created<StudioCreated>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> CreateAsync(string code,
        NewStudio request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= MentoringLimits.TitleLength, "name",
                $"工作室名称必填，不超过 {MentoringLimits.TitleLength} 字")
            .Require(request.MasterId is not null, "masterId", "请指定主持名师");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var connection = unitOfWork.Connection;
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (organisation!.Kind is not (OrganisationKinds.City or OrganisationKinds.County))
        {
            return Problems.RuleBroken("名师工作室分市级和县级：请给出市或区县的代码", "studio-level");
        }
        var master = await CopyStore.FindTeacherAsync(connection, request.MasterId!.Value, null, cancellationToken);
        if (master is null || !master.SchoolPath.StartsWith(organisation.Path + "/", StringComparison.Ordinal))
        {
            return Problems.NotFound($"教师不存在或不在{organisation.Name}");
        }
        if (master.Tier is not (Tiers.Master or Tiers.Leading) || !master.InPost)
        {
            return Problems.RuleBroken($"{master.Name} 不是在岗的卓越或领航教师，不能主持名师工作室", "studio-master-tier");
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var name = request.Name!.Trim();
        var inserted = await StudioStore.InsertAsync(connection, id, name, master.Id, organisation.Kind, organisation.Id, organisation.Path,
            MentoringScope.By(user), clock.GetUtcNow(), cancellationToken);
        if (inserted == 0)
        {
            return Problems.Conflict($"{organisation.Name} 已有名为“{name}”的工作室", "duplicate-name", "name");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "studio-created", "studio", id.ToString(),
            $"在{organisation.Name}设立名师工作室“{name}”，主持名师 {master.Name}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/studios/{id}", new StudioCreated(id, name, organisation.Kind, master.Name));
    }

    /// <summary>Districts see the studios below them; a teacher the studios they lead or belong to.</summary>
    private static async Task<Ok<List<StudioRow>>> ListAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await StudioStore.VisibleAsync(connection, user, cancellationToken));
    }

    private static async Task<Results<Ok<StudioDetail>, NotFoundProblem>> GetAsync(Guid studioId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (studio, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken);
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var members = await StudioStore.MembersAsync(connection, studioId, cancellationToken);
        var activities = await StudioStore.ActivitiesAsync(connection, studioId, cancellationToken);
        return TypedResults.Ok(new StudioDetail(studio!, members, activities));
    }

    private static async Task<Results<Ok<StudioMemberAdded>, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>> AddMemberAsync(Guid studioId,
        Guid teacherId, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var connection = unitOfWork.Connection;
        var (studio, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken, "添加成员");
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, ForbiddenProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var teacher = await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken);
        if (teacher is null || !teacher.SchoolPath.StartsWith(studio!.OrganisationPath + "/", StringComparison.Ordinal))
        {
            return Problems.NotFound("教师不存在或不在工作室所在的市或区县");
        }
        if (teacher.Id == studio.MasterId)
        {
            return Problems.RuleBroken("主持名师不必再作为成员加入", "studio-master-member");
        }
        var added = await StudioStore.AddMemberAsync(connection, studioId, teacher.Id, clock.GetUtcNow(), cancellationToken);
        if (added == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已是“{studio.Name}”的成员", "already-member");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "studio-member-added", "studio", studioId.ToString(),
            $"{teacher.Name} 加入名师工作室“{studio.Name}”", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new StudioMemberAdded(studio.Name, teacher.Name));
    }

    private static async Task<Results<Created<StudioActivityRecorded>, ValidationFailed, NotFoundProblem, ForbiddenProblem>> AddActivityAsync(Guid studioId,
        NewStudioActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireTitle(request.Title, "title", "活动名称", MentoringLimits.TitleLength)
            .RequirePastDate(request.HeldOn, ProvinceCalendar.Today(clock), "heldOn", "活动日期")
            .Require((request.Description ?? "").Length <= DescriptionLength, "description", $"活动说明不超过 {DescriptionLength} 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (_, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken, "记录活动");
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, ForbiddenProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var title = request.Title!.Trim();
        await StudioStore.InsertActivityAsync(connection, id, studioId, title, request.HeldOn!.Value, request.Description ?? "", MentoringScope.By(user),
            clock.GetUtcNow(), cancellationToken);
        return TypedResults.Created($"/api/mentoring/studios/{studioId}", new StudioActivityRecorded(id, title, request.HeldOn.Value));
    }

    /// <summary>
    /// The studio if the caller may see it (district above, master, member), and whether they manage it (district above,
    /// master); with <paramref name="toManage"/>, a member who does not manage it is refused that (403). Else a 404.
    /// </summary>
    private static async Task<(StudioRow? Studio, bool Manages, PlatformProblemResult? Problem)> AccessAsync(NpgsqlConnection connection, PlatformUser user,
        Guid studioId, CancellationToken cancellationToken, string? toManage = null)
    {
        var studio = await StudioStore.FindAsync(connection, studioId, cancellationToken);
        var manages = studio is not null && (user.CanSeeOrganisation(studio.OrganisationPath) && user.Role != Roles.SchoolAdmin
                                             || user.TeacherId == studio.MasterId);
        var member = studio is not null && user.TeacherId is { } teacherId && await StudioStore.IsMemberAsync(connection, studioId, teacherId, cancellationToken);
        if (studio is null || !(manages || member))
        {
            return (null, false, Problems.NotFound("工作室不存在或不在你的管理范围内"));
        }
        return toManage is not null && !manages
            ? (null, false, Problems.Forbidden($"只有主持名师或设立工作室的教育局可以{toManage}"))
            : (studio, manages, null);
    }
}
