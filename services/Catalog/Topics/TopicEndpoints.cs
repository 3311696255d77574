using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.Topics;

[Description("一个选修专题：名称、适用学段和全部课程")]
public sealed record TopicRequest(
    [property: Description("专题代码；可省略，填写时须与地址中的一致"), StringLength(TopicEndpoints.MaxCodeLength, MinimumLength = 1)] string? Code,
    [property: Required, MaxLength(TopicEndpoints.MaxNameLength), Description("专题名称")] string? Name,
    [property: MaxLength(TopicEndpoints.MaxDescriptionLength), Description("专题说明")] string? Description,
    [property: Required, MinLength(1), Codes(typeof(StageNames)), Description("适用学段，至少一个")] IReadOnlyList<string>? Stages,
    [property: Description("专题中的课程（整体替换）：须已发布，且适用于所选学段之一；不能重复")] IReadOnlyList<Guid>? CourseIds);

/// <summary>Elective topics (专题) of a program year: operators define them; everyone signed in reads them.</summary>
public static class TopicEndpoints
{
    public const int MaxCodeLength = 30;
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;

    public static IEndpointRouteBuilder MapTopicEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years/{year}/topics").WithTags("Topics");
        group.MapPut("/{topic}", SaveAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("SaveTopic").WithSummary("创建或修改选修专题")
            .WithDescription("按专题代码创建或整体替换（名称、学段、课程列表），版本号加一并通知其他服务。可重复提交。");
        group.MapGet("/", ListAsync).WithName("ListTopics").WithSummary("年度的选修专题列表").WithDescription("含每个专题的课程数与总学时；可按学段筛选。");
        group.MapGet("/{topic}", GetAsync).WithName("GetTopic").WithSummary("查看选修专题");
        return app;
    }

    /// <summary>Creates or replaces the topic with code <paramref name="topic"/>: name, stages and the whole course list.</summary>
    private static async Task<Results<Ok<TopicRow>, ValidationFailed, NotFoundProblem>> SaveAsync(string year,
        [StringLength(MaxCodeLength, MinimumLength = 1), Description("专题代码")] string topic, TopicRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var courseIds = request.CourseIds ?? [];
        var validation = new Validation()
            .Require(topic.Length is >= 1 and <= MaxCodeLength && (request.Code is null || request.Code == topic), "code",
                $"专题代码 1–{MaxCodeLength} 个字符，且与地址中的一致")
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= MaxNameLength, "name", $"专题名称必填，不超过 {MaxNameLength} 字")
            .Require((request.Description ?? "").Length <= MaxDescriptionLength, "description", $"专题说明不超过 {MaxDescriptionLength} 字");
        var stages = validation.Elements(request.Stages, "stages").Select(e => e.Item).ToList();
        validation.Require((request.Stages ?? []).Count > 0 && stages.All(StageNames.Names.ContainsKey), "stages", "至少一个学段，且必须是已知学段");
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        CourseStore.CheckUsable(courseIds, await CourseStore.FindAsync(unitOfWork, courseIds, cancellationToken), stages, "courseIds", validation);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var saved = await TopicStore.SaveAsync(unitOfWork, programYear.Id, topic, request.Name!.Trim(), request.Description?.Trim() ?? "", stages,
            courseIds, clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "topic-saved", "topic", $"{year}/{topic}",
            $"保存 {year} 年度专题 {topic}“{saved.Name}”：学段 {string.Join("、", stages)}，课程 {courseIds.Count} 门", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(saved);
    }

    private static async Task<Results<Ok<IReadOnlyList<TopicRow>>, ValidationFailed>> ListAsync(string year,
        [Codes(typeof(StageNames)), Description("只看适用于该学段的专题")] string? stage, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // The document lists the stages: an unknown one is a mistake to say, not a filter that matches nothing.
        if (new Validation().RequireKnownCode(stage, StageNames.Names, "stage", "学段") is { IsValid: false } refused)
        {
            return refused.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await TopicStore.ListAsync(connection, year, stage, cancellationToken));
    }

    private static async Task<Results<Ok<TopicRow>, NotFoundProblem>> GetAsync(string year, string topic, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await TopicStore.FindAsync(connection, year, topic, cancellationToken);
        if (row is null)
        {
            return Problems.NotFound($"年度 {year} 没有专题 {topic}");
        }
        return TypedResults.Ok(row);
    }
}
