using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Workshops;

public sealed record NewPost(string? Kind, string? Title, string? Body, IReadOnlyList<string>? Attachments);

public sealed record WorkshopRow
{
    public Guid Id { get; init; }
    public Guid ProgramYearId { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public DateTimeOffset OpenedAt { get; init; }
}

public sealed record PostRow
{
    public Guid Id { get; init; }
    public Guid? ParentId { get; init; }
    public string Kind { get; init; } = "";
    public string? Title { get; init; }
    public string Body { get; init; } = "";
    public string[] Attachments { get; init; } = [];
    public Guid AuthorId { get; init; }
    public string AuthorName { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// Workshops (工作坊): one per elective topic, opened from Catalog's topic, open after the year ends. Hosts post study
/// guides, briefings, resources, answers and discussion topics; members — teachers whose school chose the topic —
/// read and reply. Districts and the operator appoint hosts and read everything.
/// </summary>
public static class WorkshopEndpoints
{
    /// <summary>What hosts post (a reply is anyone's answer to a post).</summary>
    public static readonly IReadOnlyList<string> HostKinds = ["guide", "briefing", "resource", "answer", "discussion"];

    public static IEndpointRouteBuilder MapWorkshopEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Workshops");
        group.MapGet("/years/{year}/workshops", ListAsync);
        group.MapPut("/workshops/{workshopId:guid}/hosts/{teacherId:guid}", AppointHostAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapGet("/workshops/{workshopId:guid}/posts", PostsAsync);
        group.MapPost("/workshops/{workshopId:guid}/posts", PostAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher));
        group.MapPost("/workshops/{workshopId:guid}/posts/{postId:guid}/replies", ReplyAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher));
        return app;
    }

    private const string WorkshopSql = """
        select w.id, w.program_year_id, t.code, t.name, w.opened_at from workshops w join topics t on t.id = w.topic_id
        """;

    /// <summary>Which schools' teachers are members: those whose school chose the topic (read from the schools' choices copy).</summary>
    private const string MemberSchoolsSql = """
        exists (select 1 from school_topics s where s.program_year_id = w.program_year_id and w.topic_id = any(s.topic_ids) and s.school_id = @SchoolId)
        """;

    private static async Task<IResult> ListAsync(string year, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var schoolId = await SchoolOfAsync(connection, user, cancellationToken);
        var sees = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin ? "true"
            : $"({MemberSchoolsSql} or exists (select 1 from workshop_hosts h where h.workshop_id = w.id and h.teacher_id = @TeacherId))";
        return TypedResults.Ok(await connection.QueryAsync<WorkshopRow>(new CommandDefinition(
            WorkshopSql + $" where w.program_year_id = @YearId and {sees} order by t.code",
            new { YearId = programYear.Id, SchoolId = schoolId, user.TeacherId }, cancellationToken: cancellationToken)));
    }

    private static async Task<IResult> AppointHostAsync(Guid workshopId, Guid teacherId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teacher = await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var workshop = await connection.QuerySingleOrDefaultAsync<WorkshopRow>(new CommandDefinition(WorkshopSql + " where w.id = @Id",
            new { Id = workshopId }, cancellationToken: cancellationToken));
        if (workshop is null)
        {
            return Problems.NotFound("工作坊不存在");
        }
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            insert into workshop_hosts (workshop_id, teacher_id, appointed_by, appointed_at) values (@WorkshopId, @TeacherId, @By, @Now)
            on conflict do nothing
            """, new { WorkshopId = workshopId, TeacherId = teacher.Id, By = MentoringScope.By(user), Now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        return added == 0
            ? Problems.Conflict($"{teacher.Name} 已是“{workshop.Name}”工作坊的主持人", "already-host")
            : TypedResults.Ok(new { workshop = workshop.Name, host = teacher.Name });
    }

    private static async Task<IResult> PostsAsync(Guid workshopId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (workshop, _, problem) = await AccessAsync(connection, user, workshopId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var posts = (await connection.QueryAsync<PostRow>(new CommandDefinition("""
            select id, parent_id, kind, title, body, attachments, author_id, author_name, created_at
            from workshop_posts where workshop_id = @Id order by created_at, id
            """, new { Id = workshopId }, cancellationToken: cancellationToken))).ToList();
        var replies = posts.Where(p => p.ParentId is not null).ToLookup(p => p.ParentId);
        return TypedResults.Ok(new
        {
            workshop,
            posts = posts.Where(p => p.ParentId is null).Select(p => new { post = p, replies = replies[p.Id] }),
        });
    }

    private static async Task<IResult> PostAsync(Guid workshopId, NewPost request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = Validate(request).Require(request.Kind is not null && HostKinds.Contains(request.Kind), "kind",
            "类型须是 guide（研修指南）、briefing（简报）、resource（资源）、answer（答疑）或 discussion（话题）");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (workshop, host, problem) = await AccessAsync(connection, user, workshopId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (!host)
        {
            return Problems.Forbidden($"只有“{workshop!.Name}”工作坊的主持人可以发布{request.Kind}；成员可以回复");
        }
        return await InsertAsync(connection, user, workshopId, null, request, clock, cancellationToken);
    }

    private static async Task<IResult> ReplyAsync(Guid workshopId, Guid postId, NewPost request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = Validate(request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (_, _, problem) = await AccessAsync(connection, user, workshopId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var parent = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from workshop_posts where id = @PostId and workshop_id = @WorkshopId and parent_id is null)",
            new { PostId = postId, WorkshopId = workshopId }, cancellationToken: cancellationToken));
        return parent
            ? await InsertAsync(connection, user, workshopId, postId, request with { Kind = "reply", Title = null }, clock, cancellationToken)
            : Problems.NotFound("帖子不存在");
    }

    private static Validation Validate(NewPost request)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Body) && request.Body.Length <= 5000, "body", "内容必填，不超过 5000 字")
            .Require((request.Title ?? "").Length <= 100, "title", "标题不超过 100 字");
        var attachments = validation.Elements(request.Attachments, "attachments");
        return validation.Require(
            (request.Attachments ?? []).Count <= 10 && attachments.All(a => !string.IsNullOrWhiteSpace(a.Item) && a.Item.Length <= 500), "attachments",
            "附件为引用（文件编号或地址），最多 10 个，每个不超过 500 字");
    }

    private static async Task<IResult> InsertAsync(NpgsqlConnection connection, PlatformUser user, Guid workshopId, Guid? parentId, NewPost request,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var post = new PostRow
        {
            Id = Guid.CreateVersion7(now), ParentId = parentId, Kind = request.Kind!, Title = request.Title?.Trim(), Body = request.Body!.Trim(),
            Attachments = [.. (request.Attachments ?? []).Select(a => a.Trim())], AuthorId = user.TeacherId!.Value, AuthorName = user.Name, CreatedAt = now,
        };
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into workshop_posts (id, workshop_id, parent_id, kind, title, body, attachments, author_id, author_name, created_at)
            values (@Id, @WorkshopId, @ParentId, @Kind, @Title, @Body, @Attachments, @AuthorId, @AuthorName, @CreatedAt)
            """, new
        {
            post.Id, WorkshopId = workshopId, post.ParentId, post.Kind, post.Title, post.Body, post.Attachments, post.AuthorId, post.AuthorName, post.CreatedAt,
        }, cancellationToken: cancellationToken));
        return TypedResults.Created($"/api/mentoring/workshops/{workshopId}/posts", post);
    }

    /// <summary>
    /// The workshop if the caller may read it — a host, a member (their school chose the topic), a school admin of such a
    /// school, a district or the operator — and whether they host it; else 404.
    /// </summary>
    private static async Task<(WorkshopRow? Workshop, bool Host, IResult? Problem)> AccessAsync(NpgsqlConnection connection, PlatformUser user,
        Guid workshopId, CancellationToken cancellationToken)
    {
        var schoolId = await SchoolOfAsync(connection, user, cancellationToken);
        var access = await connection.QuerySingleOrDefaultAsync<AccessRow>(new CommandDefinition($"""
            select exists (select 1 from workshop_hosts h where h.workshop_id = w.id and h.teacher_id = @TeacherId) as host, {MemberSchoolsSql} as member
            from workshops w where w.id = @Id
            """, new { Id = workshopId, user.TeacherId, SchoolId = schoolId }, cancellationToken: cancellationToken));
        if (access is not { } a || !(a.Host || a.Member || user.Role is Roles.PlatformOperator or Roles.DistrictAdmin))
        {
            return (null, false, Problems.NotFound("工作坊不存在，或你的学校没有选择这个专题"));
        }
        var workshop = await connection.QuerySingleAsync<WorkshopRow>(new CommandDefinition(WorkshopSql + " where w.id = @Id", new { Id = workshopId },
            cancellationToken: cancellationToken));
        return (workshop, a.Host, null);
    }

    private sealed record AccessRow
    {
        public bool Host { get; init; }
        public bool Member { get; init; }
    }

    /// <summary>The caller's school: a teacher's from their profile copy, a school admin's from the token.</summary>
    private static async Task<Guid?> SchoolOfAsync(NpgsqlConnection connection, PlatformUser user, CancellationToken cancellationToken) =>
        user.TeacherId is { } teacherId
            ? (await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken))?.SchoolId
            : user.Role == Roles.SchoolAdmin ? user.OrganisationId : null;
}
