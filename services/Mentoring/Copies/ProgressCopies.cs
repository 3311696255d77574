using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>
/// Study progress from Enrollment's events, so mentors and guides see their mentees' and groups' progress without
/// asking Enrollment. Completion is final: a late enrolment or withdrawal never undoes it.
/// </summary>
public sealed class CourseEnrolledCopy(NpgsqlDataSource db) : IdempotentConsumer<CourseEnrolled>(db)
{
    protected override Task HandleAsync(CourseEnrolled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, @Kind, 'enrolled', @EnrolledAt)
            on conflict (enrollment_id) do nothing
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class CourseCompletedCopy(NpgsqlDataSource db) : IdempotentConsumer<CourseCompleted>(db)
{
    protected override Task HandleAsync(CourseCompleted m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, title, hours, category, completed_at, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, @Kind, 'completed', @CourseTitle, @Hours, @Category, @CompletedAt, @CompletedAt)
            on conflict (enrollment_id) do update
            set status = 'completed', title = excluded.title, hours = excluded.hours, category = excluded.category,
                completed_at = excluded.completed_at, changed_at = excluded.changed_at
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class EnrollmentWithdrawnCopy(NpgsqlDataSource db) : IdempotentConsumer<EnrollmentWithdrawn>(db)
{
    protected override Task HandleAsync(EnrollmentWithdrawn m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into course_progress (enrollment_id, teacher_id, program_year_id, course_id, kind, status, changed_at)
            values (@EnrollmentId, @TeacherId, @ProgramYearId, @CourseId, '', 'withdrawn', @WithdrawnAt)
            on conflict (enrollment_id) do update set status = 'withdrawn', changed_at = excluded.changed_at
            where course_progress.status = 'enrolled'
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class TeacherOptedOutCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherOptedOut>(db)
{
    protected override Task HandleAsync(TeacherOptedOut m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into opt_outs (teacher_id, program_year_id, reason, recorded_at)
            values (@TeacherId, @ProgramYearId, @Reason, @RecordedAt)
            on conflict (teacher_id, program_year_id) do nothing
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
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

public static class StudyProgressQueries
{
    /// <summary>Progress of <paramref name="teacherIds"/> in the year <paramref name="yearId"/> (all years when null).</summary>
    public static async Task<Dictionary<Guid, StudyProgress>> ForAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> teacherIds, Guid? yearId,
        CancellationToken cancellationToken)
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
