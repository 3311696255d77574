using Dapper;
using Npgsql;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.MyYear;

/// <summary>The reads of a teacher's year: their courses with progress, and their opt-out.</summary>
public static class MyYearStore
{
    private const string CoursesSql = """
        select e.id as enrollment_id, e.course_id, coalesce(c.title, '') as title, coalesce(c.hours, 0) as hours, coalesce(c.category, '') as category,
               coalesce(c.mode, '') as mode, e.kind, e.status, e.minutes_studied, e.percent, e.test_passed, e.assignment_handed_in,
               e.session_id, e.completed_at
        from enrollments e left join courses c on c.id = e.course_id
        where e.teacher_id = @TeacherId and e.program_year_id = @YearId and e.status <> 'withdrawn'
        order by e.kind desc, c.title
        """;

    public static async Task<IReadOnlyList<EnrolledCourse>> CoursesAsync(NpgsqlConnection connection, Guid yearId, Guid teacherId,
        CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<EnrolledCourse>(new CommandDefinition(CoursesSql, new { TeacherId = teacherId, YearId = yearId },
            cancellationToken: cancellationToken))];

    /// <summary>On the caller's connection: a second one from the pool while the first is held can starve the pool under load.</summary>
    public static async Task<ElectiveSummary> ElectiveSummaryAsync(NpgsqlConnection connection, YearRow year, Guid teacherId, CancellationToken cancellationToken)
    {
        var courses = await CoursesAsync(connection, year.Id, teacherId, cancellationToken);
        return YearArithmetic.Electives(courses.Where(c => c.Kind == "elective").Sum(c => c.Hours), year.MinElectiveHours);
    }

    /// <summary>The teacher's opt-out of the year, if the school recorded one.</summary>
    public static Task<(string StatementReference, DateTimeOffset RecordedAt)?> OptOutAsync(NpgsqlConnection connection, Guid yearId, Guid teacherId,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<(string StatementReference, DateTimeOffset RecordedAt)?>(new CommandDefinition(
            "select statement_reference, recorded_at from opt_outs where teacher_id = @TeacherId and program_year_id = @YearId",
            new { TeacherId = teacherId, YearId = yearId }, cancellationToken: cancellationToken));
}
