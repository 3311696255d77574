using System.ComponentModel;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using TrainingPlatform.Services.Catalog.Topics;

namespace TrainingPlatform.Services.Catalog.Courses;

[Description("一门课程的一个版本（含场次）")]
public sealed record CourseRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public int Version { get; init; }
    [Description("课程内容编号：同一课程的各版本相同")] public Guid ContentId { get; init; }
    [Codes(typeof(CourseStatuses))] public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public decimal Hours { get; init; }
    [Codes(typeof(CourseCategories))] public string Category { get; init; } = "";
    [Codes(typeof(DeliveryModes))] public string Mode { get; init; } = "";
    [Codes(typeof(TrainingLevels))] public string Level { get; init; } = "";
    [Codes(typeof(StageNames))] public string[] Stages { get; init; } = [];
    [Description("适用学科；空表示所列学段的所有学科")] public string[] Subjects { get; init; } = [];
    [Description("本版本取代的上一版本")] public Guid? SupersedesId { get; init; }
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

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Draft] = "草稿", [Published] = "已发布", [Retired] = "已停用",
    };
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

    /// <summary>The catalogue's stamp (migration 0004): moved by any change to courses or topics.</summary>
    public static Task<long> CatalogueStampAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition("select stamp from catalogue_stamp",
            cancellationToken: cancellationToken));

    /// <summary>
    /// One page of the courses matching <paramref name="search"/>: ranked by an exact phrase in the title first, then
    /// by code (newest version first); see <see cref="CourseSearch"/>.
    /// </summary>
    public static async Task<CoursePage> SearchAsync(NpgsqlConnection connection, CourseQuery search, CancellationToken cancellationToken)
    {
        var (q, tsQuery, number, size) = (search.Text, search.TsQuery, search.Page, search.PageSize);
        var parameters = new DynamicParameters();
        var where = new List<string>();
        void Filter(string sql, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(sql);
                parameters.Add(name, value);
            }
        }
        Filter("c.status = @Status", "Status", search.Status);
        Filter("c.stages @> array[@Stage]", "Stage", search.Stage); // the form the GIN index on stages can answer
        Filter("(cardinality(c.subjects) = 0 or @Subject = any(c.subjects))", "Subject", search.Subject);
        Filter("exists (select 1 from topic_courses tc where tc.course_id = c.id and tc.topic_id = @Topic)", "Topic", search.Topic);
        Filter("c.category = @Category", "Category", search.Category);
        Filter("c.mode = @Mode", "Mode", search.Mode);
        Filter("c.level = @Level", "Level", search.Level);
        Filter("c.search @@ @TsQuery::tsquery", "TsQuery", tsQuery);
        parameters.Add("Phrase", q?.Trim() ?? "");
        parameters.Add("Limit", size);
        parameters.Add("Offset", (number - 1L) * size); // long: a page near int.MaxValue must give an empty page, not a negative offset
        if (!string.IsNullOrWhiteSpace(q) && tsQuery is null)
        {
            where.Add("false"); // punctuation only: nothing can match
        }

        // The matches narrow (id and sort keys), counted once and paged; only the page's rows are read in full and get
        // their topics. A window count over full rows carried every match's title, summary and arrays through the
        // sort (spilling to disk on broad queries).
        var filter = where.Count > 0 ? "where " + string.Join(" and ", where) : "";
        var sql = $"""
            with matches as (
                select c.id, c.code, c.version, (@Phrase <> '' and strpos(c.title, @Phrase) > 0) as title_has_phrase
                from courses c
                {filter}
            ), page as (
                select * from matches order by title_has_phrase desc, code, version desc limit @Limit offset @Offset
            )
            select (select count(*) from matches) as total, c.id, c.code, c.version, c.status, c.title, c.summary, c.hours, c.category,
                   c.mode, c.level, c.stages, c.subjects,
                   array(select t.name from topic_courses tc join topics t on t.id = tc.topic_id where tc.course_id = c.id order by t.name) as topics
            from page p
            join courses c on c.id = p.id
            order by p.title_has_phrase desc, p.code, p.version desc
            """;
        var rows = (await connection.QueryAsync<CourseSummaryWithTotal>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).ToList();
        var total = rows.Count > 0 ? rows[0].Total
            : number == 1 ? 0
            : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"select count(*) from courses c {filter}", parameters,
                cancellationToken: cancellationToken));
        return new CoursePage(total, number, size, rows);
    }

    private sealed record CourseSummaryWithTotal : CourseSummary
    {
        public long Total { get; init; }
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
