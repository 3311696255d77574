using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Catalog.Courses;

/// <summary>The course catalogue: operators write drafts, publish versions and retire them; everyone signed in browses.</summary>
public static class CourseEndpoints
{
    public static IEndpointRouteBuilder MapCourseEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/courses").WithTags("Courses");
        var operators = group.MapGroup("").RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        operators.MapPost("/", CreateAsync).WithName("CreateCourse").WithSummary("创建课程草稿")
            .WithDescription("新课程以草稿保存（第 1 版），发布后教师才能看到。课程编号全省唯一。");
        operators.MapPut("/{id:guid}", UpdateDraftAsync).WithName("UpdateCourseDraft").WithSummary("修改课程草稿")
            .WithDescription("只有草稿可以修改，整体替换（含场次）；已发布的课程请创建新版本。");
        operators.MapPost("/{id:guid}/publish", PublishAsync).WithName("PublishCourse").WithSummary("发布课程")
            .WithDescription("草稿发布后教师可见。若它是某课程的新版本，则在专题和必修包中取代旧版本，旧版本随即停用。集中培训课程至少需要一个场次。");
        operators.MapPost("/{id:guid}/retire", RetireAsync).WithName("RetireCourse").WithSummary("停用课程")
            .WithDescription("已发布的课程停用后不能再选，已有的选课不受影响。");
        operators.MapPost("/{id:guid}/versions", NewVersionAsync).WithName("CreateCourseVersion").WithSummary("为已发布课程创建新版本")
            .WithDescription("修改已发布课程的学时、类别等的唯一途径：新版本是沿用原编号的草稿，发布后取代旧版本；已有选课的学时不变。");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetCourse").WithSummary("查看课程")
            .WithDescription("含场次。草稿只有平台运营可见。");
        group.MapGet("/", CourseSearch.SearchAsync).WithName("SearchCourses").WithSummary("浏览和搜索课程")
            .WithDescription("按学段、学科、专题、类别、形式、级别筛选，可输入中文搜索词；分页返回（默认每页 20 条，最多 100 条）。");
        return app;
    }

    private static async Task<Results<Created<CourseRow>, ValidationFailed, ConflictProblem>> CreateAsync(CourseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = CourseRules.Validate(request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var now = clock.GetUtcNow();
        var course = await CourseStore.InsertDraftAsync(unitOfWork, request, 1, Guid.CreateVersion7(now), null, By(http), now, cancellationToken);
        if (course is null)
        {
            return Problems.Conflict($"课程编号 {request.Code} 已存在；修改已发布的课程请创建新版本", "duplicate-code", "code");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "course-created", "course", course.Id.ToString(),
            $"创建课程草稿 {course.Code}“{course.Title}”（第 {course.Version} 版）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/courses/{course.Id}", course);
    }

    private static async Task<Results<Ok<CourseRow>, ValidationFailed, NotFoundProblem, ConflictProblem>> UpdateDraftAsync(Guid id, CourseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var course = await CourseStore.LoadAsync(unitOfWork, id, cancellationToken, forUpdate: true);
        if (course is null)
        {
            return Problems.NotFound($"课程 {id} 不存在");
        }
        if (course.Status != CourseStatuses.Draft)
        {
            return Problems.Conflict(
                $"课程“{course.Title}”已{(course.Status == CourseStatuses.Published ? "发布" : "停用")}，学时、类别等不能直接修改；请创建新版本（POST /api/catalog/courses/{id}/versions）", "course-published");
        }
        var validation = CourseRules.Validate(request with { Code = course.Code });
        validation.Require(request.Code is null || request.Code == course.Code, "code", "课程编号不能修改");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await CourseStore.UpdateDraftAsync(unitOfWork, id, request, clock.GetUtcNow(), cancellationToken);
        var updated = await CourseStore.LoadAsync(unitOfWork, id, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "course-draft-updated", "course", id.ToString(),
            $"修改课程草稿 {course.Code}“{updated!.Title}”（第 {course.Version} 版）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(updated!);
    }

    private static async Task<Results<Ok<CourseRow>, NotFoundProblem, ConflictProblem, RuleProblem>> PublishAsync(Guid id, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var course = await CourseStore.LoadAsync(unitOfWork, id, cancellationToken, forUpdate: true);
        if (course is null)
        {
            return Problems.NotFound($"课程 {id} 不存在");
        }
        if (course.Status != CourseStatuses.Draft)
        {
            return Problems.Conflict($"课程“{course.Title}”当前状态为 {course.Status}，只有草稿可以发布", "not-draft");
        }
        if (CourseRules.PublishProblem(course.Mode, course.Sessions.Count) is { } problem)
        {
            return Problems.RuleBroken(problem, "concentrated-needs-session");
        }
        var published = await CourseStore.PublishAsync(unitOfWork, course, clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "course-published", "course", id.ToString(),
            $"发布课程 {course.Code}“{course.Title}”（第 {course.Version} 版）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(published);
    }

    [Description("停用一门已发布的课程")]
    public sealed record RetireRequest(
        [property: Required, MaxLength(CourseRules.MaxRetireReasonLength), Description("停用原因，教师和管理员可见")] string? Reason);

    private static async Task<Results<Ok<CourseRow>, ValidationFailed, NotFoundProblem, ConflictProblem>> RetireAsync(Guid id, RetireRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > CourseRules.MaxRetireReasonLength)
        {
            return new Validation().Require(false, "reason", $"停用原因必填，不超过 {CourseRules.MaxRetireReasonLength} 字").ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var course = await CourseStore.LoadAsync(unitOfWork, id, cancellationToken, forUpdate: true);
        if (course is null)
        {
            return Problems.NotFound($"课程 {id} 不存在");
        }
        if (course.Status != CourseStatuses.Published)
        {
            return Problems.Conflict($"课程“{course.Title}”当前状态为 {course.Status}，只有已发布的课程可以停用", "not-published");
        }
        await CourseStore.RetireAsync(unitOfWork, course, request.Reason, clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "course-retired", "course", id.ToString(),
            $"停用课程 {course.Code}“{course.Title}”（第 {course.Version} 版），原因：{request.Reason.Trim()}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok((await LoadForAsync(db, id, cancellationToken))!);
    }

    /// <summary>A new draft version of a published course: the way to change its hours, category or anything else.</summary>
    private static async Task<Results<Created<CourseRow>, ValidationFailed, NotFoundProblem, ConflictProblem>> NewVersionAsync(Guid id, CourseRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var current = await CourseStore.LoadAsync(unitOfWork, id, cancellationToken, forUpdate: true);
        if (current is null)
        {
            return Problems.NotFound($"课程 {id} 不存在");
        }
        if (current.Status != CourseStatuses.Published)
        {
            return Problems.Conflict($"只有已发布的课程可以创建新版本；“{current.Title}”当前状态为 {current.Status}", "not-published");
        }
        var validation = CourseRules.Validate(request with { Code = current.Code });
        validation.Require(request.Code is null || request.Code == current.Code, "code", "新版本沿用原课程编号");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var now = clock.GetUtcNow();
        var draft = await CourseStore.InsertDraftAsync(unitOfWork, request with { Code = current.Code }, current.Version + 1, current.ContentId,
            current.Id, By(http), now, cancellationToken);
        if (draft is null)
        {
            return Problems.Conflict($"课程 {current.Code} 的第 {current.Version + 1} 版已存在", "version-exists");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "course-version-created", "course", draft.Id.ToString(),
            $"为已发布课程 {current.Code}“{current.Title}”创建第 {draft.Version} 版草稿（原版本 {current.Id}）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/catalog/courses/{draft.Id}", draft);
    }

    private static async Task<Results<Ok<CourseRow>, NotFoundProblem>> GetAsync(Guid id, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var course = await LoadForAsync(db, id, cancellationToken);
        // Drafts are the operators' work in progress.
        if (course is null || (course.Status == CourseStatuses.Draft && !PlatformUser.From(http.User).IsOperator))
        {
            return Problems.NotFound($"课程 {id} 不存在");
        }
        return TypedResults.Ok(course);
    }

    private static async Task<CourseRow?> LoadForAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await CourseStore.LoadAsync(connection, id, cancellationToken);
    }

    internal static string By(HttpContext http)
    {
        var user = PlatformUser.From(http.User);
        return $"{user.Name} ({user.AccountId})";
    }
}
