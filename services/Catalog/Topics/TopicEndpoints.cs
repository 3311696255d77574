using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.Topics;

public sealed record TopicRequest(string? Code, string? Name, string? Description, IReadOnlyList<string>? Stages, IReadOnlyList<Guid>? CourseIds);

/// <summary>Elective topics (专题) of a program year: operators define them; everyone signed in reads them.</summary>
public static class TopicEndpoints
{
    public static IEndpointRouteBuilder MapTopicEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years/{year}/topics").WithTags("Topics");
        group.MapPut("/{topic}", SaveAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync);
        group.MapGet("/{topic}", GetAsync);
        return app;
    }

    /// <summary>Creates or replaces the topic with code <paramref name="topic"/>: name, stages and the whole course list.</summary>
    private static async Task<IResult> SaveAsync(string year, string topic, TopicRequest request, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var courseIds = request.CourseIds ?? [];
        var validation = new Validation()
            .Require(topic.Length is >= 1 and <= 30 && (request.Code is null || request.Code == topic), "code", "专题代码 1–30 个字符，且与地址中的一致")
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= 100, "name", "专题名称必填，不超过 100 字")
            .Require((request.Description ?? "").Length <= 2000, "description", "专题说明不超过 2000 字");
        var stages = validation.Elements(request.Stages, "stages").Select(e => e.Item).ToList();
        validation.Require((request.Stages ?? []).Count > 0 && stages.All(Subjects.ByStage.ContainsKey), "stages", "至少一个学段，且必须是已知学段");
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
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(saved);
    }

    private static async Task<IResult> ListAsync(string year, string? stage, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var topics = await connection.QueryAsync<TopicRow>(new CommandDefinition(TopicStore.SelectSql + """
             join program_years y on y.id = t.program_year_id
            where y.code = @Year and (@Stage is null or @Stage = any(t.stages))
            """ + TopicStore.GroupBy + " order by t.code", new { Year = year, Stage = stage }, cancellationToken: cancellationToken));
        return TypedResults.Ok(topics);
    }

    private static async Task<IResult> GetAsync(string year, string topic, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TopicRow>(new CommandDefinition(TopicStore.SelectSql + """
             join program_years y on y.id = t.program_year_id
            where y.code = @Year and t.code = @Topic
            """ + TopicStore.GroupBy, new { Year = year, Topic = topic }, cancellationToken: cancellationToken));
        return row is null ? Problems.NotFound($"年度 {year} 没有专题 {topic}") : TypedResults.Ok(row);
    }
}
