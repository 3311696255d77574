using System.ComponentModel;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Catalog.Topics;

[Description("一个选修专题，含课程数与总学时")]
public sealed record TopicRow
{
    public Guid Id { get; init; }
    public Guid ProgramYearId { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    [Codes(typeof(StageNames))] public string[] Stages { get; init; } = [];
    public int Version { get; init; }
    [Description("专题中的课程，按课程编号排序")] public Guid[] CourseIds { get; init; } = [];
    public int CourseCount { get; init; }
    public decimal TotalHours { get; init; }
}

/// <summary>Topics and their courses; every change is announced as a full <see cref="TopicDefined"/> snapshot.</summary>
public static class TopicStore
{
    private const string SelectSql = """
        select t.id, t.program_year_id, t.code, t.name, t.description, t.stages, t.version,
               coalesce(array_agg(c.id order by c.code) filter (where c.id is not null), '{}') as course_ids,
               count(c.id)::int as course_count, coalesce(sum(c.hours), 0) as total_hours
        from topics t
        left join topic_courses tc on tc.topic_id = t.id
        left join courses c on c.id = tc.course_id
        """;

    private const string GroupBy = " group by t.id";

    /// <summary>The topics of the year <paramref name="year"/> (by code), of one stage when <paramref name="stage"/> is given.</summary>
    public static async Task<IReadOnlyList<TopicRow>> ListAsync(NpgsqlConnection connection, string year, string? stage,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<TopicRow>(new CommandDefinition(SelectSql + """
             join program_years y on y.id = t.program_year_id
            where y.code = @Year and (@Stage is null or @Stage = any(t.stages))
            """ + GroupBy + " order by t.code", new { Year = year, Stage = stage }, cancellationToken: cancellationToken))];

    public static Task<TopicRow?> FindAsync(NpgsqlConnection connection, string year, string topic, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TopicRow>(new CommandDefinition(SelectSql + """
             join program_years y on y.id = t.program_year_id
            where y.code = @Year and t.code = @Topic
            """ + GroupBy, new { Year = year, Topic = topic }, cancellationToken: cancellationToken));

    public static async Task<TopicRow?> LoadAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.QuerySingleOrDefaultAsync<TopicRow>(new CommandDefinition(SelectSql + " where t.id = @Id" + GroupBy,
            new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Creates or replaces the topic <paramref name="code"/> of the year, and announces it.</summary>
    public static async Task<TopicRow> SaveAsync(UnitOfWork unitOfWork, Guid yearId, string code, string name, string description,
        IReadOnlyList<string> stages, IReadOnlyList<Guid> courseIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = await unitOfWork.Connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            insert into topics (id, program_year_id, code, name, description, stages, version, created_at, updated_at)
            values (@Id, @YearId, @Code, @Name, @Description, @Stages, 1, @Now, @Now)
            on conflict (program_year_id, code) do update
            set name = excluded.name, description = excluded.description, stages = excluded.stages, updated_at = excluded.updated_at,
                version = topics.version + 1
            returning id
            """, new { Id = Guid.CreateVersion7(now), YearId = yearId, Code = code, Name = name, Description = description, Stages = stages.ToArray(), Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            delete from topic_courses where topic_id = @Id and course_id <> all(@CourseIds);
            insert into topic_courses (topic_id, course_id) select @Id, unnest(@CourseIds) on conflict do nothing;
            """, new { Id = id, CourseIds = courseIds.Distinct().ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        return await AnnounceAsync(unitOfWork, id, now, cancellationToken);
    }

    /// <summary>A new course version takes the old one's place in every topic.</summary>
    public static async Task ReplaceCourseAsync(UnitOfWork unitOfWork, Guid oldCourseId, Guid newCourseId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var topics = await unitOfWork.Connection.QueryAsync<Guid>(new CommandDefinition("""
            update topic_courses set course_id = @New where course_id = @Old returning topic_id
            """, new { Old = oldCourseId, New = newCourseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        foreach (var topic in topics.Distinct())
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
                "update topics set version = version + 1, updated_at = @Now where id = @Id", new { Id = topic, Now = now },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
            await AnnounceAsync(unitOfWork, topic, now, cancellationToken);
        }
    }

    private static async Task<TopicRow> AnnounceAsync(UnitOfWork unitOfWork, Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var topic = (await LoadAsync(unitOfWork, id, cancellationToken))!;
        await unitOfWork.PublishAsync(new TopicDefined(topic.Id, topic.ProgramYearId, topic.Code, topic.Name, topic.Stages, topic.CourseIds,
            topic.Version, now), cancellationToken);
        return topic;
    }
}
