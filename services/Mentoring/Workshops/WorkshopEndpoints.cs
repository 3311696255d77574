using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Workshops;

public sealed record NewPost(
    [property: Required, Codes(typeof(PostKinds))] string? Kind,
    [property: MaxLength(MentoringLimits.TitleLength)] string? Title,
    [property: Required, MaxLength(WorkshopEndpoints.BodyLength)] string? Body,
    [property: MaxLength(WorkshopEndpoints.MaxAttachments),
               Description("附件引用（文件编号或地址），每个不超过 500 字")] IReadOnlyList<string>? Attachments);

public sealed record NewReply(
    [property: Required, MaxLength(WorkshopEndpoints.BodyLength)] string? Body,
    [property: MaxLength(WorkshopEndpoints.MaxAttachments),
               Description("附件引用（文件编号或地址），每个不超过 500 字")] IReadOnlyList<string>? Attachments);

public sealed record WorkshopRow
{
    public Guid Id { get; init; }
    public Guid ProgramYearId { get; init; }

    [Description("专题代码")]
    public string Code { get; init; } = "";

    [Description("专题名称")]
    public string Name { get; init; } = "";

    public DateTimeOffset OpenedAt { get; init; }
}

public sealed record PostRow
{
    public Guid Id { get; init; }

    [Description("所回复的帖子；帖子本身为 null")]
    public Guid? ParentId { get; init; }

    [Description("帖子类型（guide 研修指南、briefing 简报、resource 资源、answer 答疑、discussion 话题），回复为 reply")]
    public string Kind { get; init; } = "";

    public string? Title { get; init; }
    public string Body { get; init; } = "";
    public string[] Attachments { get; init; } = [];
    public Guid AuthorId { get; init; }
    public string AuthorName { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record WorkshopHostAppointed(string Workshop, string Host);

/// <summary>A workshop with its posts, each with its replies (oldest first).</summary>
public sealed record WorkshopPosts(WorkshopRow Workshop, IReadOnlyList<PostThread> Posts);

public sealed record PostThread(PostRow Post, IReadOnlyList<PostRow> Replies);

/// <summary>What a workshop's hosts post; anyone who may read the workshop replies to a post (<see cref="Reply"/>).</summary>
public static class PostKinds
{
    public const string Reply = "reply";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["guide"] = "研修指南", ["briefing"] = "简报", ["resource"] = "资源", ["answer"] = "答疑", ["discussion"] = "话题",
    };
}

/// <summary>
/// Workshops (工作坊): one per elective topic, opened from Catalog's topic, open after the year ends. Hosts post study
/// guides, briefings, resources, answers and discussion topics; members — teachers whose school chose the topic —
/// read and reply. Districts and the operator appoint hosts and read everything.
/// </summary>
public static class WorkshopEndpoints
{
    public const int BodyLength = 5000;
    public const int MaxAttachments = 10;
    public const int AttachmentLength = 500;

    public static IEndpointRouteBuilder MapWorkshopEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Workshops");
        group.MapGet("/years/{year}/workshops", ListAsync)
            .WithName("ListWorkshops")
            .WithSummary("查看工作坊")
            .WithDescription("该年度的工作坊（每个选修专题一个）：教育局和运营方看全部；教师和学校管理员看本校所选专题的工作坊，以及自己主持的。");
        group.MapPut("/workshops/{workshopId:guid}/hosts/{teacherId:guid}", AppointHostAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("AppointWorkshopHost")
            .WithSummary("指定工作坊主持人")
            .WithDescription("把范围内的教师指定为工作坊主持人；主持人可发布研修指南、简报、资源、答疑和话题。");
        group.MapGet("/workshops/{workshopId:guid}/posts", PostsAsync)
            .WithName("ListWorkshopPosts")
            .WithSummary("查看工作坊帖子")
            .WithDescription("主持人、成员（本校选了该专题的教师）、这些学校的管理员、教育局和运营方可查看：全部帖子及其回复，按时间先后。");
        group.MapPost("/workshops/{workshopId:guid}/posts", PostAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher))
            .WithName("CreateWorkshopPost")
            .WithSummary("发布工作坊帖子")
            .WithDescription("仅工作坊主持人可发布；成员可回复。");
        group.MapPost("/workshops/{workshopId:guid}/posts/{postId:guid}/replies", ReplyAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher))
            .WithName("ReplyToWorkshopPost")
            .WithSummary("回复工作坊帖子")
            .WithDescription("能查看该工作坊的教师可回复帖子（不能回复回复）。");
        return app;
    }

    private static async Task<Results<Ok<List<WorkshopRow>>, NotFoundProblem>> ListAsync(string year, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var schoolId = await SchoolOfAsync(connection, user, cancellationToken);
        return TypedResults.Ok(await WorkshopStore.OfYearAsync(connection, programYear.Id, user.Role is Roles.PlatformOperator or Roles.DistrictAdmin,
            schoolId, user.TeacherId, cancellationToken));
    }

    private static async Task<Results<Ok<WorkshopHostAppointed>, NotFoundProblem, ConflictProblem>> AppointHostAsync(Guid workshopId, Guid teacherId,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var connection = unitOfWork.Connection;
        var teacher = await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var workshop = await WorkshopStore.FindAsync(connection, workshopId, cancellationToken);
        if (workshop is null)
        {
            return Problems.NotFound("工作坊不存在");
        }
        var added = await WorkshopStore.AddHostAsync(connection, workshopId, teacher.Id, MentoringScope.By(user), clock.GetUtcNow(), cancellationToken);
        if (added == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已是“{workshop.Name}”工作坊的主持人", "already-host");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "workshop-host-appointed", "workshop", workshopId.ToString(),
            $"聘 {teacher.Name} 为“{workshop.Name}”工作坊的主持人", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new WorkshopHostAppointed(workshop.Name, teacher.Name));
    }

    private static async Task<Results<Ok<WorkshopPosts>, NotFoundProblem>> PostsAsync(Guid workshopId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (workshop, _, problem) = await AccessAsync(connection, user, workshopId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var posts = await WorkshopStore.PostsAsync(connection, workshopId, cancellationToken);
        var replies = posts.Where(p => p.ParentId is not null).ToLookup(p => p.ParentId);
        return TypedResults.Ok(new WorkshopPosts(workshop!, [.. posts.Where(p => p.ParentId is null).Select(p => new PostThread(p, [.. replies[p.Id]]))]));
    }

    private static async Task<Results<Created<PostRow>, ValidationFailed, NotFoundProblem, ForbiddenProblem>> PostAsync(Guid workshopId, NewPost request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request.Body, request.Title, request.Attachments).Require(request.Kind is not null && PostKinds.Names.ContainsKey(request.Kind),
            "kind", "类型须是 guide（研修指南）、briefing（简报）、resource（资源）、answer（答疑）或 discussion（话题）");
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
        var post = await InsertAsync(connection, user, workshopId, null, request.Kind!, request.Title, request.Body!, request.Attachments, clock,
            cancellationToken);
        return TypedResults.Created($"/api/mentoring/workshops/{workshopId}/posts", post);
    }

    private static async Task<Results<Created<PostRow>, ValidationFailed, NotFoundProblem>> ReplyAsync(Guid workshopId, Guid postId, NewReply request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = Validate(request.Body, null, request.Attachments);
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
        if (!await WorkshopStore.IsPostAsync(connection, workshopId, postId, cancellationToken))
        {
            return Problems.NotFound("帖子不存在");
        }
        var reply = await InsertAsync(connection, user, workshopId, postId, PostKinds.Reply, null, request.Body!, request.Attachments, clock, cancellationToken);
        return TypedResults.Created($"/api/mentoring/workshops/{workshopId}/posts", reply);
    }

    private static Validation Validate(string? body, string? title, IReadOnlyList<string>? attachments)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(body) && body.Length <= BodyLength, "body", $"内容必填，不超过 {BodyLength} 字")
            .Require((title ?? "").Length <= MentoringLimits.TitleLength, "title", $"标题不超过 {MentoringLimits.TitleLength} 字");
        var elements = validation.Elements(attachments, "attachments");
        return validation.Require(
            (attachments ?? []).Count <= MaxAttachments && elements.All(a => !string.IsNullOrWhiteSpace(a.Item) && a.Item.Length <= AttachmentLength),
            "attachments", $"附件为引用（文件编号或地址），最多 {MaxAttachments} 个，每个不超过 {AttachmentLength} 字");
    }

    private static async Task<PostRow> InsertAsync(NpgsqlConnection connection, PlatformUser user, Guid workshopId, Guid? parentId, string kind,
        string? title, string body, IReadOnlyList<string>? attachments, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var post = new PostRow
        {
            Id = Guid.CreateVersion7(now), ParentId = parentId, Kind = kind, Title = title?.Trim(), Body = body.Trim(),
            Attachments = [.. (attachments ?? []).Select(a => a.Trim())], AuthorId = user.TeacherId!.Value, AuthorName = user.Name, CreatedAt = now,
        };
        await WorkshopStore.InsertPostAsync(connection, workshopId, post, cancellationToken);
        return post;
    }

    /// <summary>
    /// The workshop if the caller may read it — a host, a member (their school chose the topic), a school admin of such a
    /// school, a district or the operator — and whether they host it; else 404.
    /// </summary>
    private static async Task<(WorkshopRow? Workshop, bool Host, NotFoundProblem? Problem)> AccessAsync(NpgsqlConnection connection, PlatformUser user,
        Guid workshopId, CancellationToken cancellationToken)
    {
        var schoolId = await SchoolOfAsync(connection, user, cancellationToken);
        var access = await WorkshopStore.AccessAsync(connection, workshopId, user.TeacherId, schoolId, cancellationToken);
        if (access is not { } a || !(a.Host || a.Member || user.Role is Roles.PlatformOperator or Roles.DistrictAdmin))
        {
            return (null, false, Problems.NotFound("工作坊不存在，或你的学校没有选择这个专题"));
        }
        var workshop = await WorkshopStore.FindAsync(connection, workshopId, cancellationToken);
        return (workshop, a.Host, null);
    }

    /// <summary>The caller's school: a teacher's from their profile copy, a school admin's from the token.</summary>
    private static async Task<Guid?> SchoolOfAsync(NpgsqlConnection connection, PlatformUser user, CancellationToken cancellationToken) =>
        user.TeacherId is { } teacherId
            ? (await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken))?.SchoolId
            : user.Role == Roles.SchoolAdmin ? user.OrganisationId : null;
}
