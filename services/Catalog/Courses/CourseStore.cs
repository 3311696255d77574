using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using TrainingPlatform.Services.Catalog.Topics;

namespace TrainingPlatform.Services.Catalog.Courses;

public sealed record CourseRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public int Version { get; init; }
    public Guid ContentId { get; init; }
    public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string[] Stages { get; init; } = [];
    public string[] Subjects { get; init; } = [];
    public Guid? SupersedesId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? PublishedAt { get; init; }
    public DateTimeOffset? RetiredAt { get; init; }
    public string? RetiredReason { get; init; }
    public IReadOnlyList<SessionRow> Sessions { get; init; } = [];
}

public sealed record SessionRow
{
    public Guid Id { get; init; }
    public string Place { get; init; } = "";
    public DateOnly StartsOn { get; init; }
    public DateOnly EndsOn { get; init; }
    public int Capacity { get; init; }
}

public static class CourseStatuses
{
    public const string Draft = "draft";
    public const string Published = "published";
    public const string Retired = "retired";
}

/// <summary>Courses and their sessions: saving drafts, publishing versions, retiring; each change announced through the outbox.</summary>
public static class CourseStore
{
    private const string InsertSql = """
        insert into courses (id, code, version, content_id, status, title, summary, hours, category, mode, level, stages, subjects,
                             supersedes_id, search, created_by, created_at, updated_at)
        values (@Id, @Code, @Version, @ContentId, 'draft', @Title, @Summary, @Hours, @Category, @Mode, @Level, @Stages, @Subjects,
                @SupersedesId, setweight(array_to_tsvector(@TitleTerms), 'A') || setweight(array_to_tsvector(@SummaryTerms), 'B'),
                @By, @Now, @Now)
        on conflict (code, version) do nothing
        """;

    private const string UpdateDraftSql = """
        update courses
        set title = @Title, summary = @Summary, hours = @Hours, category = @Category, mode = @Mode, level = @Level,
            stages = @Stages, subjects = @Subjects, updated_at = @Now,
            search = setweight(array_to_tsvector(@TitleTerms), 'A') || setweight(array_to_tsvector(@SummaryTerms), 'B')
        where id = @Id and status = 'draft'
        """;

    private const string SelectSql = """
        select id, code, version, content_id, status, title, summary, hours, category, mode, level, stages, subjects, supersedes_id,
               created_at, updated_at, published_at, retired_at, retired_reason
        from courses
        """;

    /// <summary>Saves a new draft; null when the code and version exist already.</summary>
    public static async Task<CourseRow?> InsertDraftAsync(UnitOfWork unitOfWork, CourseRequest request, int version, Guid contentId,
        Guid? supersedes, string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(now);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertSql,
            Parameters(request, id, now, new { Code = request.Code, Version = version, ContentId = contentId, SupersedesId = supersedes, By = by }),
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return null;
        }
        await ReplaceSessionsAsync(unitOfWork, id, request.Sessions ?? [], cancellationToken);
        return await LoadAsync(unitOfWork, id, cancellationToken);
    }

    public static async Task UpdateDraftAsync(UnitOfWork unitOfWork, Guid id, CourseRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(UpdateDraftSql, Parameters(request, id, now, null),
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await ReplaceSessionsAsync(unitOfWork, id, request.Sessions ?? [], cancellationToken);
    }

    public static async Task<CourseRow?> LoadAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken, bool forUpdate = false)
    {
        var course = await unitOfWork.Connection.QuerySingleOrDefaultAsync<CourseRow>(new CommandDefinition(
            SelectSql + " where id = @Id" + (forUpdate ? " for update" : ""), new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        return course is null ? null : course with { Sessions = await SessionsAsync(unitOfWork.Connection, id, unitOfWork.Transaction, cancellationToken) };
    }

    public static async Task<CourseRow?> LoadAsync(Npgsql.NpgsqlConnection connection, Guid id, CancellationToken cancellationToken)
    {
        var course = await connection.QuerySingleOrDefaultAsync<CourseRow>(new CommandDefinition(SelectSql + " where id = @Id", new { Id = id },
            cancellationToken: cancellationToken));
        return course is null ? null : course with { Sessions = await SessionsAsync(connection, id, null, cancellationToken) };
    }

    /// <summary>
    /// Publishes a draft. A new version takes the place of the one it supersedes, in topics and required packages
    /// too, and the old one is retired: a course's hours and category never change under an existing enrolment.
    /// </summary>
    public static async Task<CourseRow> PublishAsync(UnitOfWork unitOfWork, CourseRow draft, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update courses set status = 'published', published_at = @Now, updated_at = @Now where id = @Id",
            new { draft.Id, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var published = draft with { Status = CourseStatuses.Published, PublishedAt = now, UpdatedAt = now };
        await unitOfWork.PublishAsync(ToEvent(published), cancellationToken);

        if (draft.SupersedesId is { } previous)
        {
            var old = await LoadAsync(unitOfWork, previous, cancellationToken, forUpdate: true);
            if (old is { Status: CourseStatuses.Published })
            {
                await RetireAsync(unitOfWork, old, $"已由第 {draft.Version} 版取代", now, cancellationToken);
            }
            await TopicStore.ReplaceCourseAsync(unitOfWork, previous, draft.Id, now, cancellationToken);
            await RequiredPackageStore.ReplaceCourseAsync(unitOfWork, previous, draft.Id, now, cancellationToken);
        }
        return published;
    }

    public static async Task RetireAsync(UnitOfWork unitOfWork, CourseRow course, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update courses set status = 'retired', retired_at = @Now, retired_reason = @Reason, updated_at = @Now where id = @Id",
            new { course.Id, Now = now, Reason = reason }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new CourseRetired(course.Id, course.ContentId, reason, now), cancellationToken);
    }

    /// <summary>The courses among <paramref name="ids"/> that exist, whatever their status (sessions not loaded).</summary>
    public static async Task<IReadOnlyDictionary<Guid, CourseRow>> FindAsync(UnitOfWork unitOfWork, IEnumerable<Guid> ids,
        CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<CourseRow>(new CommandDefinition(SelectSql + " where id = any(@Ids)", new { Ids = ids.Distinct().ToArray() },
            unitOfWork.Transaction, cancellationToken: cancellationToken))).ToDictionary(c => c.Id);

    /// <summary>
    /// Checks that every course of a topic or package exists, is published and applies to one of
    /// <paramref name="stages"/>; each refusal is named by its place in the list.
    /// </summary>
    public static void CheckUsable(IReadOnlyList<Guid> ids, IReadOnlyDictionary<Guid, CourseRow> found, IReadOnlyCollection<string> stages,
        string field, BuildingBlocks.Http.Validation validation)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (!found.TryGetValue(ids[i], out var course))
            {
                validation.Add($"{field}[{i}]", $"课程 {ids[i]} 不存在");
            }
            else if (course.Status != CourseStatuses.Published)
            {
                validation.Add($"{field}[{i}]", $"课程“{course.Title}”{(course.Status == CourseStatuses.Draft ? "尚未发布" : "已停用")}，不能加入");
            }
            else if (!course.Stages.Any(stages.Contains))
            {
                validation.Add($"{field}[{i}]", $"课程“{course.Title}”不适用于所选学段");
            }
        }
        if (ids.Distinct().Count() != ids.Count)
        {
            validation.Add(field, "课程不能重复");
        }
    }

    public static CoursePublished ToEvent(CourseRow c) => new(c.Id, c.Code, c.Version, c.ContentId, c.Title, c.Hours, c.Category, c.Mode, c.Level,
        c.Stages, c.Subjects, [.. c.Sessions.Select(s => new CourseSession(s.Id, s.Place, s.StartsOn, s.EndsOn, s.Capacity))], c.SupersedesId,
        c.PublishedAt ?? c.UpdatedAt);

    private static object Parameters(CourseRequest r, Guid id, DateTimeOffset now, object? extra)
    {
        var parameters = new DynamicParameters(new
        {
            Id = id,
            r.Title,
            Summary = r.Summary ?? "",
            r.Hours,
            r.Category,
            r.Mode,
            r.Level,
            Stages = (r.Stages ?? []).ToArray(),
            Subjects = (r.Subjects ?? []).Distinct().ToArray(),
            Now = now,
            TitleTerms = CjkTokens.ForIndex(r.Title ?? ""),
            SummaryTerms = CjkTokens.ForIndex(r.Summary ?? ""),
        });
        if (extra is not null)
        {
            parameters.AddDynamicParams(extra);
        }
        return parameters;
    }

    private static async Task ReplaceSessionsAsync(UnitOfWork unitOfWork, Guid courseId, IReadOnlyList<SessionRequest> sessions, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("delete from course_sessions where course_id = @CourseId",
            new { CourseId = courseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        foreach (var s in sessions)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into course_sessions (id, course_id, place, starts_on, ends_on, capacity)
                values (@Id, @CourseId, @Place, @StartsOn, @EndsOn, @Capacity)
                """, new { Id = Guid.CreateVersion7(), CourseId = courseId, s.Place, s.StartsOn, s.EndsOn, s.Capacity },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
        }
    }

    private static async Task<IReadOnlyList<SessionRow>> SessionsAsync(Npgsql.NpgsqlConnection connection, Guid courseId,
        Npgsql.NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<SessionRow>(new CommandDefinition(
            "select id, place, starts_on, ends_on, capacity from course_sessions where course_id = @CourseId order by starts_on, id",
            new { CourseId = courseId }, transaction, cancellationToken: cancellationToken))];
}
