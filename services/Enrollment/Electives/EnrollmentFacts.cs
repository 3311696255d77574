using Dapper;
using Npgsql;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Enrollment;
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

    internal const string YearColumns = """
        id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens, topic_selection_closes,
        course_selection_opens, study_starts, required_study_ends, credit_registration_closes
        """;

    /// <summary>
    /// Everything the elective rule needs, with the program year itself, in one round trip: the catalog facts (year,
    /// windows, course, topics, the school's choice) from <paramref name="catalog"/>, checked by the stamp read as the
    /// batch's first statement (a second trip only when the copies changed since), and the teacher's own rows, read
    /// whatever the year and interpreted here, so a reload never needs them read again. On course-selection day every
    /// click pays for each statement, in PostgreSQL's CPU and in the service's. The course comes back too, so the handler
    /// does not read it again, and so do the elective hours already chosen, so the answer's running total needs no
    /// second read. Null when the year does not exist.
    /// </summary>
    public static async Task<ElectiveReading?> ForElectiveAsync(NpgsqlConnection connection, CatalogFactsCache catalog, string yearCode,
        Guid teacherId, Guid courseId, DateOnly today, Func<int, (int First, int Last)> cycleOf, CancellationToken cancellationToken)
    {
        long stamp;
        TeacherRow? teacher;
        List<Guid> optedOutYears;
        List<TeacherEnrollmentRow> enrollments;
        await using (var reads = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {CatalogFactsCache.StampSql};
            {TeacherRow.SelectSql} where id = @TeacherId;
            select program_year_id from opt_outs where teacher_id = @TeacherId;
            select program_year_id, course_id, kind, status from enrollments where teacher_id = @TeacherId and status <> 'withdrawn' order by enrolled_at;
            """, new { TeacherId = teacherId }, cancellationToken: cancellationToken)))
        {
            stamp = await reads.ReadSingleAsync<long>();
            teacher = await reads.ReadSingleOrDefaultAsync<TeacherRow>();
            optedOutYears = (await reads.ReadAsync<Guid>()).AsList();
            enrollments = (await reads.ReadAsync<TeacherEnrollmentRow>()).AsList();
        }
        var facts = await catalog.AtLeastAsync(connection, stamp, cancellationToken);
        if (facts.Year(yearCode) is not { } year)
        {
            return null;
        }
        var course = facts.Course(courseId);
        var window = WindowRules.For(SelectionWindows.CourseSelection, teacher?.SchoolPath ?? "", year.Windows, facts.CourseSelectionAdjustments(year.Id));
        var schoolHasChosen = teacher is not null && facts.SchoolHasChosen(year.Id, teacher.SchoolId);
        var inTopics = teacher is not null && facts.InSchoolTopics(year.Id, teacher.SchoolId, courseId);
        // 重复参训 counts the five-year cycle this year's study falls in: the first enrollment, in the order chosen, of a course
        // with this content in a year the copies know.
        var cycle = cycleOf(year.StudyStarts.Year);
        EarlierEnrollment? earlier = null;
        var alreadyEnrolled = false;
        var electiveHours = 0m;
        foreach (var e in enrollments)
        {
            var enrolledCourse = facts.Course(e.CourseId);
            if (e.ProgramYearId == year.Id)
            {
                alreadyEnrolled |= e.CourseId == courseId;
                if (e.Kind == EnrollmentKinds.Elective && enrolledCourse is not null)
                {
                    electiveHours += enrolledCourse.Hours;
                }
            }
            if (earlier is null && course is not null && enrolledCourse is not null && enrolledCourse.ContentId == course.ContentId
                && facts.Year(e.ProgramYearId) is { } enrolledYear
                && enrolledYear.StudyStarts.Year >= cycle.First && enrolledYear.StudyStarts.Year <= cycle.Last)
            {
                earlier = new EarlierEnrollment { ProgramYearCode = enrolledYear.Code, CourseTitle = enrolledCourse.Title, Status = e.Status };
            }
        }
        return new ElectiveReading(year, new ElectiveFacts(today, window, year.StudyStarts, teacher is not null, teacher?.InPost ?? false,
            teacher?.Stage ?? "", optedOutYears.Contains(year.Id), course?.Status == "published", course?.Stages ?? [], schoolHasChosen, inTopics,
            alreadyEnrolled, earlier), course, electiveHours);
    }

    private sealed record TeacherEnrollmentRow
    {
        public Guid ProgramYearId { get; init; }
        public Guid CourseId { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
    }
}
/// <summary>What one read gives an elective choice: the year, the rule's facts, the course, the elective hours already chosen.</summary>
public sealed record ElectiveReading(YearRow Year, ElectiveFacts Facts, CourseCopyRow? Course, decimal ElectiveHours);
