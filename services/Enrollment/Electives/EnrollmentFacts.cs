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
        connection.QuerySingleOrDefaultAsync<YearRow>(new CommandDefinition($"select {YearColumns} from program_years where code = @Code",
            new { Code = code }, cancellationToken: cancellationToken));

    public static Task<TeacherRow?> TeacherAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TeacherRow>(new CommandDefinition(TeacherRow.SelectSql + " where id = @Id", new { Id = id },
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

    private const string YearColumns = """
        id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens, topic_selection_closes,
        course_selection_opens, study_starts, required_study_ends, credit_registration_closes
        """;

    /// <summary>
    /// Everything the elective rule needs, with the program year itself, read in one round trip (seven statements in
    /// one batch): on course-selection day every click pays for each trip, in PostgreSQL's CPU and in the service's.
    /// The course comes back too, so the handler does not read it again, and so do the elective hours already chosen,
    /// so the answer's running total needs no second read. Null when the year does not exist.
    /// </summary>
    public static async Task<ElectiveReading?> ForElectiveAsync(NpgsqlConnection connection, string yearCode, Guid teacherId, Guid courseId,
        DateOnly today, Func<int, (int First, int Last)> cycleOf, CancellationToken cancellationToken)
    {
        await using var reads = await connection.QueryMultipleAsync(new CommandDefinition($"""
            select {YearColumns} from program_years where code = @Code;
            {TeacherRow.SelectSql} where id = @TeacherId;
            select id, content_id, title, hours, category, mode, level, stages, status from courses where id = @CourseId;
            select a.id, a.window_name, a.organisation_path, a.opens_on, a.closes_on, a.kind, a.reason, a.adjusted_at
            from window_adjustments a join program_years y on y.id = a.program_year_id
            where y.code = @Code and a.window_name = 'course_selection';
            select exists (select 1 from opt_outs o join program_years y on y.id = o.program_year_id where o.teacher_id = @TeacherId and y.code = @Code)
                       as opted_out,
                   exists (select 1 from school_topics s join teachers t on t.school_id = s.school_id join program_years y on y.id = s.program_year_id
                           where t.id = @TeacherId and y.code = @Code) as school_has_chosen,
                   exists (select 1 from teachers te
                           join school_topics s on s.school_id = te.school_id
                           join program_years y on y.id = s.program_year_id
                           join topics t on t.id = any(s.topic_ids)
                           where te.id = @TeacherId and y.code = @Code and @CourseId = any(t.course_ids)) as in_topics,
                   exists (select 1 from enrollments e join program_years y on y.id = e.program_year_id
                           where e.teacher_id = @TeacherId and y.code = @Code and e.course_id = @CourseId and e.status <> 'withdrawn') as already_enrolled;
            select y.code as program_year_code, c.title as course_title, e.status, extract(year from y.study_starts)::int as study_year
            from enrollments e
            join courses c on c.id = e.course_id
            join program_years y on y.id = e.program_year_id
            where e.teacher_id = @TeacherId and c.content_id = (select content_id from courses where id = @CourseId) and e.status <> 'withdrawn'
            order by e.enrolled_at;
            select coalesce(sum(c.hours), 0)
            from enrollments e join program_years y on y.id = e.program_year_id left join courses c on c.id = e.course_id
            where e.teacher_id = @TeacherId and y.code = @Code and e.kind = 'elective' and e.status <> 'withdrawn';
            """, new { Code = yearCode, TeacherId = teacherId, CourseId = courseId }, cancellationToken: cancellationToken));
        var year = await reads.ReadSingleOrDefaultAsync<YearRow>();
        if (year is null)
        {
            return null;
        }
        var teacher = await reads.ReadSingleOrDefaultAsync<TeacherRow>();
        var course = await reads.ReadSingleOrDefaultAsync<CourseCopyRow>();
        var window = WindowRules.For(SelectionWindows.CourseSelection, teacher?.SchoolPath ?? "", year.Windows, await reads.ReadAsync<WindowAdjustment>());
        var facts = await reads.ReadSingleAsync<(bool OptedOut, bool SchoolHasChosen, bool InTopics, bool AlreadyEnrolled)>();
        // 重复参训 counts the five-year cycle this year's study falls in.
        var cycle = cycleOf(year.StudyStarts.Year);
        var earlier = (await reads.ReadAsync<EarlierEnrollmentRow>())
            .FirstOrDefault(e => e.StudyYear >= cycle.First && e.StudyYear <= cycle.Last) is { } row
            ? new EarlierEnrollment { ProgramYearCode = row.ProgramYearCode, CourseTitle = row.CourseTitle, Status = row.Status }
            : null;
        var electiveHours = await reads.ReadSingleAsync<decimal>();
        return new ElectiveReading(year, new ElectiveFacts(today, window, year.StudyStarts, teacher is not null, teacher?.InPost ?? false,
            teacher?.Stage ?? "", facts.OptedOut, course?.Status == "published", course?.Stages ?? [], facts.SchoolHasChosen, facts.InTopics,
            facts.AlreadyEnrolled, earlier), course, electiveHours);
    }

    private sealed record EarlierEnrollmentRow
    {
        public string ProgramYearCode { get; init; } = "";
        public string CourseTitle { get; init; } = "";
        public string Status { get; init; } = "";
        public int StudyYear { get; init; }
    }
}

/// <summary>What one read gives an elective choice: the year, the rule's facts, the course, the elective hours already chosen.</summary>
public sealed record ElectiveReading(YearRow Year, ElectiveFacts Facts, CourseCopyRow? Course, decimal ElectiveHours);
