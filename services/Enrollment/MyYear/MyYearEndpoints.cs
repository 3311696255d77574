using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
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
    [Description("学时类别代码（ethics、subject …）；课程信息尚未同步时为空")]
    public string Category { get; init; } = "";
    [Description("培训形式代码（online、concentrated、school_based）；课程信息尚未同步时为空")]
    public string Mode { get; init; } = "";
    [Codes(typeof(EnrollmentKindNames))]
    public string Kind { get; init; } = "";
    [Codes(typeof(EnrollmentStatuses))]
    public string Status { get; init; } = "";
    [Description("累计学习分钟数")]
    public int MinutesStudied { get; init; }
    [Description("学习进度百分比（0–100）")]
    public decimal Percent { get; init; }
    public bool TestPassed { get; init; }
    public bool AssignmentHandedIn { get; init; }
    public Guid? SessionId { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

/// <summary>Elective hours chosen against the year's minimum.</summary>
public sealed record ElectiveSummary(
    [property: Description("已选选修学时")] decimal ElectiveHoursChosen,
    [property: Description("本年度最低选修学时")] decimal MinElectiveHours,
    [property: Description("还差多少学时（已达到时为 0）")] decimal ShortBy,
    [property: Description("给教师看的中文说明")] string Message);

/// <summary>The program year as the teacher's page heads it.</summary>
public sealed record MyYearProgramYear(
    [property: Description("年度代码")] string Code,
    string Name,
    [property: Description("年度最低学时")] decimal MinAnnualHours,
    [property: Description("年度最低选修学时")] decimal MinElectiveHours);

/// <summary>The course-selection window that applies to the teacher's school.</summary>
public sealed record MyCourseSelection(
    DateOnly OpensOn,
    DateOnly ClosesOn,
    [property: Description("今天能否选课、退选")] bool Open,
    [property: Description("学习已开始，选课已冻结")] bool Frozen);

/// <summary>The year's deadlines.</summary>
public sealed record MyDeadlines(
    [property: Description("学习开始日（选课冻结）")] DateOnly StudyStarts,
    [property: Description("必修学习截止日")] DateOnly RequiredStudyEnds,
    [property: Description("学时登记截止日")] DateOnly CreditRegistrationCloses);

/// <summary>"My year": everything the teacher's page shows of one program year.</summary>
public sealed record MyYearView(
    MyYearProgramYear ProgramYear,
    [property: Description("今天（省内日期）")] DateOnly Today,
    MyCourseSelection CourseSelection,
    MyDeadlines Deadlines,
    [property: Description("必修课程学时合计")] decimal RequiredHours,
    ElectiveSummary Electives,
    [property: Description("已选（必修与选修）课程学时合计")] decimal HoursPlanned,
    [property: Description("已完成课程学时合计")] decimal HoursDone,
    [property: Description("学校已登记本年度不参训")] bool OptedOut,
    [property: Description("给教师看的中文提示")] IReadOnlyList<string> Messages,
    IReadOnlyList<EnrolledCourse> Required,
    IReadOnlyList<EnrolledCourse> ElectiveCourses);

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
        app.MapGet("/api/enrollment/years/{year}/me", GetAsync).WithTags("My year").RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("GetMyYear")
            .WithSummary("我的年度：课程、进度与学时")
            .WithDescription("教师本人的年度：必修与选修课程及学习进度、已完成学时与年度要求、已选选修学时与最低要求、选课时间与各项截止日，以及中文提示。");
        return app;
    }

    private static async Task<Results<Ok<MyYearView>, NotFoundProblem>> GetAsync([Description("年度代码，如 2026")] string year, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await EnrollmentFacts.YearAsync(connection, year, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var teacher = await EnrollmentFacts.TeacherAsync(connection, teacherId, cancellationToken);
        var courses = await MyYearStore.CoursesAsync(connection, programYear.Id, teacherId, cancellationToken);
        var window = await EnrollmentFacts.CourseSelectionWindowAsync(connection, programYear, teacher?.SchoolPath ?? "", cancellationToken);
        var optOut = await MyYearStore.OptOutAsync(connection, programYear.Id, teacherId, cancellationToken);
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
        return TypedResults.Ok(new MyYearView(
            new MyYearProgramYear(programYear.Code, programYear.Name, programYear.MinAnnualHours, programYear.MinElectiveHours),
            today,
            new MyCourseSelection(window.OpensOn, window.ClosesOn, window.IsOpenOn(today) && today < programYear.StudyStarts, today >= programYear.StudyStarts),
            new MyDeadlines(programYear.StudyStarts, programYear.RequiredStudyEnds, programYear.CreditRegistrationCloses),
            required.Sum(c => c.Hours),
            electiveSummary,
            planned,
            done,
            optOut is not null,
            messages,
            required,
            electives));
    }
}
