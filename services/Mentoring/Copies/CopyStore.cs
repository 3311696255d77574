using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>An organisation as mentoring knows it.</summary>
public sealed record OrganisationRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
}

/// <summary>A teacher as mentoring needs them: where they teach, what, since when, and their development tier.</summary>
public sealed record TeacherRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public Guid SchoolId { get; init; }
    public string SchoolPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public DateOnly HireDate { get; init; }
    public string Tier { get; init; } = "";
    public bool InPost { get; init; }
}

/// <summary>A program year's dates that mentoring follows: when group lists are due.</summary>
public sealed record YearRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public DateOnly GroupListsDue { get; init; }
    public DateOnly StudyStarts { get; init; }
}

/// <summary>One teacher's study in a program year, read from the copies.</summary>
public sealed record StudyProgress
{
    public Guid TeacherId { get; init; }
    public int CoursesCompleted { get; init; }
    public decimal HoursCompleted { get; init; }
    public int ElectivesInProgress { get; init; }
    public bool OptedOut { get; init; }
}

/// <summary>
/// Reads and writes of mentoring's local copies of other services' facts. Every write is a snapshot that only a newer
/// version (or time) replaces, so messages that arrive late, twice or out of order leave the copy right.
/// </summary>
public static class CopyStore
{
    public const string TeacherSql = "select id, name, school_id, school_path, stage, subject, hire_date, tier, in_post from teachers";

    public static Task<OrganisationRow?> FindOrganisationAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<OrganisationRow>(new CommandDefinition(
            "select id, code, name, kind, path from organisations where code = @Code", new { Code = code }, cancellationToken: cancellationToken));

    public static Task UpsertOrganisationAsync(UnitOfWork unitOfWork, Guid id, string code, string name, string kind, Guid? parentId, string path,
        IReadOnlyList<string> stages, DateTimeOffset at, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
            values (@Id, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @At)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, path = excluded.path,
                stages = excluded.stages, updated_at = excluded.updated_at
            where organisations.updated_at <= excluded.updated_at
            """, new { Id = id, Code = code, Name = name, Kind = kind, ParentId = parentId, Path = path, Stages = stages.ToArray(), At = at },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<TeacherRow?> FindTeacherAsync(NpgsqlConnection connection, Guid id, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TeacherRow>(new CommandDefinition(TeacherSql + " where id = @Id", new { Id = id }, transaction,
            cancellationToken: cancellationToken));

    public static Task UpsertTeacherAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, hire_date, tier, class_teacher, in_post, updated_at)
            values (@TeacherId, @Version, @Name, @SchoolId, @SchoolPath, @Stage, @Subject, @HireDate, @Tier, @ClassTeacher, @InPost, @ChangedAt)
            on conflict (id) do update
            set version = excluded.version, name = excluded.name, school_id = excluded.school_id, school_path = excluded.school_path,
                stage = excluded.stage, subject = excluded.subject, hire_date = excluded.hire_date, tier = excluded.tier,
                class_teacher = excluded.class_teacher, in_post = excluded.in_post, updated_at = excluded.updated_at
            where teachers.version < excluded.version
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<YearRow?> FindYearAsync(NpgsqlConnection connection, string code, NpgsqlTransaction? transaction, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<YearRow>(new CommandDefinition(
            "select id, code, name, group_lists_due, study_starts from program_years where code = @Code", new { Code = code }, transaction,
            cancellationToken: cancellationToken));

    public static Task UpsertYearAsync(ProgramYearScheduled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into program_years (id, code, name, group_lists_due, study_starts, credit_registration_closes, version)
            values (@ProgramYearId, @Code, @Name, @GroupListsDue, @StudyStarts, @CreditRegistrationCloses, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, group_lists_due = excluded.group_lists_due, study_starts = excluded.study_starts,
                credit_registration_closes = excluded.credit_registration_closes, version = excluded.version
            where program_years.version < excluded.version
            """, new
        {
            m.ProgramYearId, m.Code, m.Name, m.Windows.GroupListsDue, m.Windows.StudyStarts, m.Windows.CreditRegistrationCloses, m.Version,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The topic's copy; its workshop opens with the first version that arrives.</summary>
    public static Task UpsertTopicAsync(TopicDefined m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into topics (id, program_year_id, code, name, stages, version)
            values (@TopicId, @ProgramYearId, @Code, @Name, @Stages, @Version)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, stages = excluded.stages, version = excluded.version
            where topics.version < excluded.version;
            insert into workshops (id, topic_id, program_year_id, opened_at)
            values (@TopicId, @TopicId, @ProgramYearId, @DefinedAt)
            on conflict (topic_id) do nothing;
            """, new { m.TopicId, m.ProgramYearId, m.Code, m.Name, Stages = m.Stages.ToArray(), m.Version, m.DefinedAt },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task UpsertSchoolTopicsAsync(SchoolTopicsChosen m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_topics (program_year_id, school_id, school_path, topic_ids, version)
            values (@ProgramYearId, @SchoolId, @SchoolPath, @TopicIds, @Version)
            on conflict (program_year_id, school_id) do update
            set school_path = excluded.school_path, topic_ids = excluded.topic_ids, version = excluded.version
            where school_topics.version < excluded.version
            """, new { m.ProgramYearId, m.SchoolId, m.SchoolPath, TopicIds = m.TopicIds.ToArray(), m.Version },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task RecordEnrolledAsync(CourseEnrolled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, @Kind, 'enrolled', @EnrolledAt)
            on conflict (enrollment_id) do nothing
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task RecordCompletedAsync(CourseCompleted m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, title, hours, category, completed_at, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, @Kind, 'completed', @CourseTitle, @Hours, @Category, @CompletedAt, @CompletedAt)
            on conflict (enrollment_id) do update
            set status = 'completed', title = excluded.title, hours = excluded.hours, category = excluded.category,
                completed_at = excluded.completed_at, changed_at = excluded.changed_at
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task RecordWithdrawnAsync(EnrollmentWithdrawn m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, '', 'withdrawn', @WithdrawnAt)
            on conflict (enrollment_id) do update set status = 'withdrawn', changed_at = excluded.changed_at
            where course_progress.status = 'enrolled'
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task RecordOptOutAsync(TeacherOptedOut m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into opt_outs (teacher_id, program_year_id, reason, recorded_at)
            values (@TeacherId, @ProgramYearId, @Reason, @RecordedAt)
            on conflict (teacher_id, program_year_id) do nothing
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Progress of <paramref name="teacherIds"/> in the year <paramref name="yearId"/> (all years when null).</summary>
    public static async Task<Dictionary<Guid, StudyProgress>> StudyProgressAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> teacherIds,
        Guid? yearId, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<StudyProgress>(new CommandDefinition("""
            select t.id as teacher_id,
                   count(p.enrollment_id) filter (where p.status = 'completed')::int as courses_completed,
                   coalesce(sum(p.hours) filter (where p.status = 'completed'), 0) as hours_completed,
                   count(p.enrollment_id) filter (where p.status = 'enrolled')::int as electives_in_progress,
                   exists (select 1 from opt_outs o where o.teacher_id = t.id and (cast(@YearId as uuid) is null or o.program_year_id = @YearId)) as opted_out
            from unnest(@Ids) as t(id)
            left join course_progress p on p.teacher_id = t.id and (cast(@YearId as uuid) is null or p.program_year_id = @YearId)
            group by t.id
            """, new { Ids = teacherIds.ToArray(), YearId = yearId }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.TeacherId);
    }
}
