using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Catalog.Organisations;

namespace TrainingPlatform.Services.Catalog.Topics;

/// <summary>A school's current choice of topics for a year.</summary>
public sealed record ChoiceRow
{
    public Guid[] TopicIds { get; init; } = [];
    public int Version { get; init; }
    public DateTimeOffset ChosenAt { get; init; }
    public DateTimeOffset ChangedAt { get; init; }
    public DateTimeOffset? FrozenAt { get; init; }
}

/// <summary>A choice frozen because study started, as it is announced.</summary>
public sealed record FrozenChoice
{
    public Guid ProgramYearId { get; init; }
    public Guid SchoolId { get; init; }
    public string SchoolPath { get; init; } = "";
    public Guid[] TopicIds { get; init; } = [];
    public int Version { get; init; }
}

/// <summary>Schools' topic choices, their history, and their freezing when study starts; each change announced through the outbox.</summary>
public static class TopicChoiceStore
{
    /// <summary>The school's choice, locked: one school's choices are serialised, so two admins clicking at once cannot both be "first".</summary>
    public static Task<ChoiceRow?> LockAsync(UnitOfWork unitOfWork, Guid yearId, Guid schoolId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<ChoiceRow>(new CommandDefinition("""
            select topic_ids, version, chosen_at, changed_at, frozen_at from school_topic_choices
            where program_year_id = @YearId and school_id = @SchoolId for update
            """, new { YearId = yearId, SchoolId = schoolId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<ChoiceRow?> FindAsync(NpgsqlConnection connection, Guid yearId, Guid schoolId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<ChoiceRow>(new CommandDefinition("""
            select topic_ids, version, chosen_at, changed_at, frozen_at from school_topic_choices
            where program_year_id = @YearId and school_id = @SchoolId
            """, new { YearId = yearId, SchoolId = schoolId }, cancellationToken: cancellationToken));

    /// <summary>The topics among <paramref name="ids"/> that belong to the year, with their names and stages.</summary>
    public static async Task<IReadOnlyDictionary<Guid, (Guid Id, string Name, string[] Stages)>> TopicsAsync(UnitOfWork unitOfWork, Guid yearId,
        IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<(Guid Id, string Name, string[] Stages)>(new CommandDefinition(
            "select id, name, stages from topics where program_year_id = @YearId and id = any(@Ids)",
            new { YearId = yearId, Ids = ids.ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToDictionary(t => t.Id);

    /// <summary>Saves the school's choice as <paramref name="version"/>, keeps it in the history, and announces it.</summary>
    public static async Task SaveAsync(UnitOfWork unitOfWork, Guid yearId, OrganisationRow school, IReadOnlyList<Guid> topicIds, int version,
        string change, string by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_topic_choices (program_year_id, school_id, school_path, topic_ids, version, chosen_by, chosen_at, changed_at)
            values (@YearId, @SchoolId, @SchoolPath, @TopicIds, @Version, @By, @Now, @Now)
            on conflict (program_year_id, school_id) do update
            set topic_ids = excluded.topic_ids, version = excluded.version, school_path = excluded.school_path, changed_at = excluded.changed_at;
            insert into school_topic_choice_history (program_year_id, school_id, topic_ids, change, changed_by, changed_at)
            values (@YearId, @SchoolId, @TopicIds, @Change, @By, @Now);
            """, new
        {
            YearId = yearId, SchoolId = school.Id, SchoolPath = school.Path, TopicIds = topicIds.ToArray(), Version = version,
            By = by, Now = now, Change = change,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new SchoolTopicsChosen(yearId, school.Id, school.Path, [.. topicIds], change, version, now), cancellationToken);
    }

    /// <summary>
    /// The chosen topics with their courses. "My school's topics and their courses" is what every teacher opens on
    /// course-selection day: topics and courses in one round trip, counted and summed here rather than in a second query.
    /// </summary>
    public static async Task<IReadOnlyList<ChosenTopic>> ChosenTopicsAsync(NpgsqlConnection connection, IReadOnlyList<Guid> topicIds,
        CancellationToken cancellationToken)
    {
        using var rows = await connection.QueryMultipleAsync(new CommandDefinition("""
            select t.id, t.code, t.name from topics t where t.id = any(@Ids) order by t.code;
            select tc.topic_id, c.id, c.code, c.title, c.hours, c.category, c.mode, c.level
            from topic_courses tc join courses c on c.id = tc.course_id
            where tc.topic_id = any(@Ids)
            order by c.code;
            """, new { Ids = topicIds.ToArray() }, cancellationToken: cancellationToken));
        var chosen = (await rows.ReadAsync<ChosenTopic>()).ToList();
        var courses = (await rows.ReadAsync<TopicCourse>()).ToLookup(c => c.TopicId);
        return [.. chosen.Select(t => t with
        {
            Courses = [.. courses[t.Id]], CourseCount = courses[t.Id].Count(), TotalHours = courses[t.Id].Sum(c => c.Hours),
        })];
    }

    public static async Task<IReadOnlyList<TopicChoiceChange>> HistoryAsync(NpgsqlConnection connection, string year, Guid schoolId,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<TopicChoiceChange>(new CommandDefinition("""
            select h.topic_ids, h.change, h.changed_by, h.changed_at
            from school_topic_choice_history h join program_years y on y.id = h.program_year_id
            where y.code = @Year and h.school_id = @SchoolId order by h.id
            """, new { Year = year, SchoolId = schoolId }, cancellationToken: cancellationToken))];

    /// <summary>The schools at and below <paramref name="root"/> (the whole province when empty) that choose topics, with their choice status.</summary>
    public static async Task<IReadOnlyList<SchoolChoiceStatus>> SchoolsAsync(NpgsqlConnection connection, Guid yearId, string root,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("YearId", yearId);
        return [.. await connection.QueryAsync<SchoolChoiceStatus>(new CommandDefinition($"""
            select o.code, o.name, o.path,
                   case when c.school_id is null then 'pending' else 'chosen' end as status,
                   coalesce(cardinality(c.topic_ids), 0) as topic_count, c.changed_at
            from organisations o
            left join school_topic_choices c on c.school_id = o.id and c.program_year_id = @YearId
            where o.kind = 'school' and o.stages <> array['kindergarten'] and {PlatformUser.ScopeSql("o.path")}
            order by o.path
            """, parameters, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// Freezes up to <paramref name="batchSize"/> choices of years whose study has started; SKIP LOCKED, so replicas
    /// share the work.
    /// </summary>
    public static async Task<IReadOnlyList<FrozenChoice>> FreezeDueAsync(UnitOfWork unitOfWork, DateOnly today, DateTimeOffset now, int batchSize,
        CancellationToken cancellationToken) =>
        [.. await unitOfWork.Connection.QueryAsync<FrozenChoice>(new CommandDefinition("""
            with due as (
                select c.program_year_id, c.school_id
                from school_topic_choices c join program_years y on y.id = c.program_year_id
                where c.frozen_at is null and y.study_starts <= @Today
                limit @BatchSize
                for update of c skip locked
            )
            update school_topic_choices c
            set frozen_at = @Now, version = c.version + 1
            from due
            where c.program_year_id = due.program_year_id and c.school_id = due.school_id
            returning c.program_year_id, c.school_id, c.school_path, c.topic_ids, c.version
            """, new { Today = today, Now = now, BatchSize = batchSize }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))];
}
