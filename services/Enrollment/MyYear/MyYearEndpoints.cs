using System.Globalization;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Services.Enrollment.Electives;

namespace TrainingPlatform.Services.Enrollment.MyYear;

public sealed record EnrolledCourse
{
    public Guid EnrollmentId { get; init; }
    public Guid CourseId { get; init; }
    public string Title { get; init; } = "";
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public int MinutesStudied { get; init; }
    public decimal Percent { get; init; }
    public bool TestPassed { get; init; }
    public bool AssignmentHandedIn { get; init; }
    public Guid? SessionId { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

public sealed record ElectiveSummary(decimal ElectiveHoursChosen, decimal MinElectiveHours, decimal ShortBy, string Message);

/// <summary>
/// Hours of a year, as the teacher is told them. Pure: chosen elective hours against the minimum, and the year's
/// hours done against the annual minimum, in plain Chinese.
/// </summary>
public static class YearArithmetic
{
    public static ElectiveSummary Electives(decimal chosen, decimal minimum)
    {
        var shortBy = Math.Max(0, minimum - chosen);
        var message = shortBy > 0
            ? $"已选选修 {Hours(chosen)} 学时，还差 {Hours(shortBy)} 学时才达到本年度最低选修要求（{Hours(minimum)} 学时）"
            : $"已选选修 {Hours(chosen)} 学时，已达到本年度最低选修要求（{Hours(minimum)} 学时）";
        return new ElectiveSummary(chosen, minimum, shortBy, message);
    }

    public static string Hours(decimal hours) => hours.ToString("0.#", CultureInfo.InvariantCulture);
}

/// <summary>"My year": the teacher's required and elective courses, progress, hours against the minimums, and deadlines.</summary>
public static class MyYearEndpoints
{
    public static IEndpointRouteBuilder MapMyYearEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/enrollment/years/{year}/me", GetAsync).WithTags("My year").RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        return app;
    }

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

    private static async Task<IResult> GetAsync(string year, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await EnrollmentFacts.YearAsync(connection, year, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var teacher = await EnrollmentFacts.TeacherAsync(connection, teacherId, cancellationToken);
        var courses = await CoursesAsync(connection, programYear.Id, teacherId, cancellationToken);
        var window = await EnrollmentFacts.CourseSelectionWindowAsync(connection, programYear, teacher?.SchoolPath ?? "", cancellationToken);
        var optOut = await connection.QuerySingleOrDefaultAsync<(string StatementReference, DateTimeOffset RecordedAt)?>(new CommandDefinition(
            "select statement_reference, recorded_at from opt_outs where teacher_id = @TeacherId and program_year_id = @YearId",
            new { TeacherId = teacherId, YearId = programYear.Id }, cancellationToken: cancellationToken));
        var today = ProvinceCalendar.Today(clock);

        var required = courses.Where(c => c.Kind == "required").ToList();
        var electives = courses.Where(c => c.Kind == "elective").ToList();
        var electiveSummary = YearArithmetic.Electives(electives.Sum(c => c.Hours), programYear.MinElectiveHours);
        var done = courses.Where(c => c.Status == "completed").Sum(c => c.Hours);
        var planned = courses.Sum(c => c.Hours);
        var messages = new List<string> { electiveSummary.Message };
        messages.Add(done >= programYear.MinAnnualHours
            ? $"本年度已完成 {YearArithmetic.Hours(done)} 学时，已达到年度要求（{YearArithmetic.Hours(programYear.MinAnnualHours)} 学时）"
            : $"本年度已完成 {YearArithmetic.Hours(done)} 学时，还需 {YearArithmetic.Hours(programYear.MinAnnualHours - done)} 学时（年度要求 {YearArithmetic.Hours(programYear.MinAnnualHours)} 学时）");
        if (teacher is null)
        {
            messages.Add("尚未收到你的教师档案，必修课程将在档案同步后自动推送");
        }
        if (optOut is not null)
        {
            messages.Add($"学校已登记你本年度不参训（保证书编号 {optOut.Value.StatementReference}），本年度考核记为不合格");
        }
        return TypedResults.Ok(new
        {
            programYear = new { programYear.Code, programYear.Name, programYear.MinAnnualHours, programYear.MinElectiveHours },
            today,
            courseSelection = new { window.OpensOn, window.ClosesOn, open = window.IsOpenOn(today) && today < programYear.StudyStarts, frozen = today >= programYear.StudyStarts },
            deadlines = new { programYear.StudyStarts, programYear.RequiredStudyEnds, programYear.CreditRegistrationCloses },
            requiredHours = required.Sum(c => c.Hours),
            electives = electiveSummary,
            hoursPlanned = planned,
            hoursDone = done,
            optedOut = optOut is not null,
            messages,
            required,
            electiveCourses = electives,
        });
    }
}
