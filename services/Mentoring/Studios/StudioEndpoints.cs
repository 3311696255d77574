using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Studios;

public sealed record NewStudio(string? Name, Guid? MasterId);

public sealed record NewActivity(string? Title, DateOnly? HeldOn, string? Description);

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
    public string Level { get; init; } = "";
    public string OrganisationPath { get; init; } = "";
    public int Members { get; init; }
}

/// <summary>
/// Master-teacher studios (名师工作室, seed 002: 200 city-level studios): a city or county bureau sets one up around a
/// master (卓越) or education master (领航) teacher; the bureau or the master adds members and records activities.
/// </summary>
public static class StudioEndpoints
{
    public static IEndpointRouteBuilder MapStudioEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Studios");
        group.MapPost("/organisations/{code}/studios", CreateAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapGet("/studios", ListAsync);
        group.MapGet("/studios/{studioId:guid}", GetAsync);
        group.MapPut("/studios/{studioId:guid}/members/{teacherId:guid}", AddMemberAsync);
        group.MapPost("/studios/{studioId:guid}/activities", AddActivityAsync);
        return app;
    }

    private const string StudioSql = """
        select s.id, s.name, s.master_id, coalesce(t.name, '') as master_name, s.level, s.organisation_path,
               (select count(*) from studio_members m where m.studio_id = s.id)::int as members
        from studios s left join teachers t on t.id = s.master_id
        """;

    private static async Task<IResult> CreateAsync(string code, NewStudio request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= 100, "name", "工作室名称必填，不超过 100 字")
            .Require(request.MasterId is not null, "masterId", "请指定主持名师");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
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
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into studios (id, name, master_id, level, organisation_id, organisation_path, created_by, created_at)
            values (@Id, @Name, @MasterId, @Level, @OrganisationId, @Path, @By, @Now)
            on conflict (organisation_id, name) do nothing
            """, new
        {
            Id = id, Name = request.Name!.Trim(), MasterId = master.Id, Level = organisation.Kind, OrganisationId = organisation.Id, organisation.Path,
            By = MentoringScope.By(user), Now = clock.GetUtcNow(),
        }, cancellationToken: cancellationToken));
        return inserted == 0
            ? Problems.Conflict($"{organisation.Name} 已有名为“{request.Name.Trim()}”的工作室", "duplicate-name", "name")
            : TypedResults.Created($"/api/mentoring/studios/{id}", new { id, name = request.Name.Trim(), level = organisation.Kind, master = master.Name });
    }

    /// <summary>Districts see the studios below them; a teacher the studios they lead or belong to.</summary>
    private static async Task<IResult> ListAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin
            ? PlatformUser.ScopeSql("s.organisation_path")
            : "(s.master_id = @TeacherId or exists (select 1 from studio_members m where m.studio_id = s.id and m.teacher_id = @TeacherId))";
        return TypedResults.Ok(await connection.QueryAsync<StudioRow>(new CommandDefinition(StudioSql + $" where {where} order by s.organisation_path, s.name",
            parameters, cancellationToken: cancellationToken)));
    }

    private static async Task<IResult> GetAsync(Guid studioId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (studio, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var members = await connection.QueryAsync<StudioMemberView>(new CommandDefinition("""
            select m.teacher_id, coalesce(t.name, '') as name, coalesce(t.school_path, '') as school_path, m.joined_at
            from studio_members m left join teachers t on t.id = m.teacher_id where m.studio_id = @Id order by m.joined_at
            """, new { Id = studioId }, cancellationToken: cancellationToken));
        var activities = await connection.QueryAsync<StudioActivityView>(new CommandDefinition(
            "select id, title, held_on, description, created_by from studio_activities where studio_id = @Id order by held_on desc",
            new { Id = studioId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(new { studio, members, activities });
    }

    private static async Task<IResult> AddMemberAsync(Guid studioId, Guid teacherId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (studio, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken, "添加成员");
        if (problem is not null)
        {
            return problem;
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
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            insert into studio_members (studio_id, teacher_id, joined_at) values (@StudioId, @TeacherId, @Now) on conflict do nothing
            """, new { StudioId = studioId, TeacherId = teacher.Id, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return added == 0 ? Problems.Conflict($"{teacher.Name} 已是“{studio.Name}”的成员", "already-member") : TypedResults.Ok(new { studio = studio.Name, member = teacher.Name });
    }

    private static async Task<IResult> AddActivityAsync(Guid studioId, NewActivity request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireTitle(request.Title, "title", "活动名称", 100)
            .RequirePastDate(request.HeldOn, ProvinceCalendar.Today(clock), "heldOn", "活动日期")
            .Require((request.Description ?? "").Length <= 5000, "description", "活动说明不超过 5000 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (_, _, problem) = await AccessAsync(connection, user, studioId, cancellationToken, "记录活动");
        if (problem is not null)
        {
            return problem;
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into studio_activities (id, studio_id, title, held_on, description, created_by, created_at)
            values (@Id, @StudioId, @Title, @HeldOn, @Description, @By, @Now)
            """, new
        {
            Id = id, StudioId = studioId, Title = request.Title!.Trim(), request.HeldOn, Description = request.Description ?? "", By = MentoringScope.By(user),
            Now = clock.GetUtcNow(),
        }, cancellationToken: cancellationToken));
        return TypedResults.Created($"/api/mentoring/studios/{studioId}", new { id, title = request.Title.Trim(), request.HeldOn });
    }

    /// <summary>
    /// The studio if the caller may see it (district above, master, member), and whether they manage it (district above,
    /// master); with <paramref name="toManage"/>, a member who does not manage it is refused that.
    /// </summary>
    private static async Task<(StudioRow? Studio, bool Manages, IResult? Problem)> AccessAsync(NpgsqlConnection connection, PlatformUser user, Guid studioId,
        CancellationToken cancellationToken, string? toManage = null)
    {
        var studio = await connection.QuerySingleOrDefaultAsync<StudioRow>(new CommandDefinition(StudioSql + " where s.id = @Id", new { Id = studioId },
            cancellationToken: cancellationToken));
        var manages = studio is not null && (user.CanSeeOrganisation(studio.OrganisationPath) && user.Role != Roles.SchoolAdmin
                                             || user.TeacherId == studio.MasterId);
        var member = studio is not null && user.TeacherId is { } teacherId && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from studio_members where studio_id = @Id and teacher_id = @TeacherId)", new { Id = studioId, TeacherId = teacherId },
            cancellationToken: cancellationToken));
        if (studio is null || !(manages || member))
        {
            return (null, false, Problems.NotFound("工作室不存在或不在你的管理范围内"));
        }
        return toManage is not null && !manages
            ? (null, false, Problems.Forbidden($"只有主持名师或设立工作室的教育局可以{toManage}"))
            : (studio, manages, null);
    }
}
