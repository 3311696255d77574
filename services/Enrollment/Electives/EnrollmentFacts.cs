using Dapper;
using Npgsql;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Enrollment.Copies;

namespace TrainingPlatform.Services.Enrollment.Electives;

public sealed record YearRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public decimal MinAnnualHours { get; init; }
    public decimal MinElectiveHours { get; init; }
    public DateOnly GroupListsDue { get; init; }
    public DateOnly TopicSelectionOpens { get; init; }
    public DateOnly TopicSelectionCloses { get; init; }
    public DateOnly CourseSelectionOpens { get; init; }
    public DateOnly StudyStarts { get; init; }
    public DateOnly RequiredStudyEnds { get; init; }
    public DateOnly CreditRegistrationCloses { get; init; }

    public ProgramYearWindows Windows => new(GroupListsDue, TopicSelectionOpens, TopicSelectionCloses, CourseSelectionOpens, StudyStarts,
        RequiredStudyEnds, CreditRegistrationCloses);
}

public sealed record CourseCopyRow
{
    public Guid Id { get; init; }
    public Guid ContentId { get; init; }
    public string Title { get; init; } = "";
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string[] Stages { get; init; } = [];
    public string Status { get; init; } = "";
}

/// <summary>Reads of the local copies that the enrollment rules need; nothing here calls another service.</summary>
public static class EnrollmentFacts
{
    public static Task<YearRow?> YearAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<YearRow>(new CommandDefinition("""
            select id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens, topic_selection_closes,
                   course_selection_opens, study_starts, required_study_ends, credit_registration_closes
            from program_years where code = @Code
            """, new { Code = code }, cancellationToken: cancellationToken));

    public static Task<TeacherRow?> TeacherAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TeacherRow>(new CommandDefinition(TeacherCopy.SelectSql + " where id = @Id", new { Id = id },
            cancellationToken: cancellationToken));

    /// <summary>The course-selection window that applies to the school at <paramref name="schoolPath"/>.</summary>
    public static async Task<EffectiveWindow> CourseSelectionWindowAsync(NpgsqlConnection connection, YearRow year, string schoolPath,
        CancellationToken cancellationToken)
    {
        var adjustments = await connection.QueryAsync<WindowAdjustment>(new CommandDefinition("""
            select id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at
            from window_adjustments where program_year_id = @YearId and window_name = 'course_selection'
            """, new { YearId = year.Id }, cancellationToken: cancellationToken));
        return WindowRules.For(SelectionWindows.CourseSelection, schoolPath, year.Windows, adjustments);
    }

    /// <summary>
    /// Everything the elective rule needs, read in one round trip (five statements in one batch): on course-selection
    /// day every click pays for each trip, in PostgreSQL's CPU and in the service's. The course comes back too, so the
    /// handler does not read it again.
    /// </summary>
    public static async Task<(ElectiveFacts Facts, CourseCopyRow? Course)> ForElectiveAsync(NpgsqlConnection connection, YearRow year, Guid teacherId,
        Guid courseId, DateOnly today, (int First, int Last) cycle, CancellationToken cancellationToken)
    {
        await using var reads = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {TeacherCopy.SelectSql} where id = @TeacherId;
            select id, content_id, title, hours, category, mode, level, stages, status from courses where id = @CourseId;
            select id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at
            from window_adjustments where program_year_id = @YearId and window_name = 'course_selection';
            select exists (select 1 from opt_outs where teacher_id = @TeacherId and program_year_id = @YearId) as opted_out,
                   exists (select 1 from school_topics s join teachers t on t.school_id = s.school_id
                           where t.id = @TeacherId and s.program_year_id = @YearId) as school_has_chosen,
                   exists (select 1 from teachers te
                           join school_topics s on s.school_id = te.school_id and s.program_year_id = @YearId
                           join topics t on t.id = any(s.topic_ids)
                           where te.id = @TeacherId and @CourseId = any(t.course_ids)) as in_topics,
                   exists (select 1 from enrollments where teacher_id = @TeacherId and program_year_id = @YearId and course_id = @CourseId
                           and status <> 'withdrawn') as already_enrolled;
            select y.code as program_year_code, c.title as course_title, e.status
            from enrollments e
            join courses c on c.id = e.course_id
            join program_years y on y.id = e.program_year_id
            where e.teacher_id = @TeacherId and c.content_id = (select content_id from courses where id = @CourseId) and e.status <> 'withdrawn'
              and extract(year from y.study_starts)::int between @First and @Last
            order by e.enrolled_at limit 1;
            """, new { TeacherId = teacherId, YearId = year.Id, CourseId = courseId, cycle.First, cycle.Last }, cancellationToken: cancellationToken));
        var teacher = await reads.ReadSingleOrDefaultAsync<TeacherRow>();
        var course = await reads.ReadSingleOrDefaultAsync<CourseCopyRow>();
        var window = WindowRules.For(SelectionWindows.CourseSelection, teacher?.SchoolPath ?? "", year.Windows, await reads.ReadAsync<WindowAdjustment>());
        var facts = await reads.ReadSingleAsync<(bool OptedOut, bool SchoolHasChosen, bool InTopics, bool AlreadyEnrolled)>();
        var earlier = await reads.ReadFirstOrDefaultAsync<EarlierEnrollment>();
        return (new ElectiveFacts(today, window, year.StudyStarts, teacher is not null, teacher?.InPost ?? false, teacher?.Stage ?? "",
            facts.OptedOut, course?.Status == "published", course?.Stages ?? [], facts.SchoolHasChosen, facts.InTopics, facts.AlreadyEnrolled,
            earlier), course);
    }
}
