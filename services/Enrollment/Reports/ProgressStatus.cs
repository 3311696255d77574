using System.Globalization;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.MyYear;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>A teacher's year as the reports see it: sums over their enrollments (withdrawn ones left out).</summary>
public sealed record TeacherYearFigures(
    bool OptedOut,
    string? OptOutStatement,
    bool Started,
    decimal HoursDone,
    decimal ElectiveHours,
    DateOnly SelectionCloses);

public sealed record ProgressVerdict(string Status, string Reason);

/// <summary>
/// Where a teacher stands in the year, one status (<see cref="ProgressStatuses"/>) each, first that applies:
/// <list type="number">
/// <item><c>opted_out</c>: the school recorded an opt-out (it counts against the year).</item>
/// <item><c>completed</c>: hours done (completed courses) ≥ the year's minimum.</item>
/// <item><c>not_started</c>: nothing studied at all: no minutes, progress, test or assignment on any course.</item>
/// <item><c>behind</c>: once study has started, hours done are below the minimum × the share of the required-study
/// period elapsed (<see cref="ExpectedHours"/>); or, once the school's course selection has closed, the elective
/// hours chosen are below the year's elective minimum (they can no longer be made up by choosing).</item>
/// <item><c>on_track</c>: the rest.</item>
/// </list>
/// The list, roll-up and export filter and count in SQL with <see cref="SqlCase"/>, which states the same rule over the
/// same figures; the endpoints show <see cref="Assess"/>'s status and reason.
/// </summary>
public static class ProgressStatus
{
    /// <summary>
    /// Hours a teacher should have done by <paramref name="today"/>: none before study starts, then the annual minimum
    /// in proportion to the days of the required-study period gone by (all of it from its last day on), rounded down to
    /// a tenth of an hour.
    /// </summary>
    public static decimal ExpectedHours(YearRow year, DateOnly today) => Math.Floor(year.MinAnnualHours * PeriodElapsed(year, today) * 10) / 10;

    /// <summary>The share (0–1) of the required-study period gone by on <paramref name="today"/>: 0 up to its first day, 1 from its last.</summary>
    public static decimal PeriodElapsed(YearRow year, DateOnly today)
    {
        var length = year.RequiredStudyEnds.DayNumber - year.StudyStarts.DayNumber;
        var elapsed = today.DayNumber - year.StudyStarts.DayNumber;
        return elapsed <= 0 ? 0m : length <= 0 || elapsed >= length ? 1m : (decimal)elapsed / length;
    }

    /// <summary>Electives are due once the school's course selection has closed (its last day is over).</summary>
    public static bool ElectivesDue(DateOnly today, DateOnly selectionCloses) => today > selectionCloses;

    /// <summary>
    /// The same rule in SQL over columns <c>opted_out, hours_done, started, elective_hours, selection_closes</c>, with
    /// <c>@MinAnnualHours, @MinElectiveHours, @ExpectedHours</c> (from <see cref="ExpectedHours"/>) and <c>@Today</c>.
    /// </summary>
    public const string SqlCase = """
        case when opted_out then 'opted_out'
             when hours_done >= @MinAnnualHours then 'completed'
             when not started then 'not_started'
             when hours_done < @ExpectedHours or (@Today > selection_closes and elective_hours < @MinElectiveHours) then 'behind'
             else 'on_track' end
        """;

    public static ProgressVerdict Assess(YearRow year, DateOnly today, TeacherYearFigures teacher)
    {
        var done = Hours(teacher.HoursDone);
        if (teacher.OptedOut)
        {
            return new(ProgressStatuses.OptedOut, $"学校已登记本年度不参训（保证书编号 {teacher.OptOutStatement}），本年度考核不合格");
        }
        if (teacher.HoursDone >= year.MinAnnualHours)
        {
            return new(ProgressStatuses.Completed, $"已完成 {done} 学时，达到年度要求 {Hours(year.MinAnnualHours)} 学时");
        }

        var expected = ExpectedHours(year, today);
        var shortfalls = new List<string>();
        if (teacher.HoursDone < expected)
        {
            var share = PeriodElapsed(year, today);
            var elapsed = share >= 1 ? $"必修学习期截止于 {Day(year.RequiredStudyEnds)}" : $"必修学习期已过 {Math.Floor(share * 100):0}%";
            shortfalls.Add($"已完成 {done} 学时，按进度此时应完成 {Hours(expected)} 学时（{elapsed}）");
        }
        if (ElectivesDue(today, teacher.SelectionCloses) && teacher.ElectiveHours < year.MinElectiveHours)
        {
            shortfalls.Add($"已选选修 {Hours(teacher.ElectiveHours)} 学时，少于 {Hours(year.MinElectiveHours)} 学时（选课已于 {Day(teacher.SelectionCloses)} 截止）");
        }

        if (!teacher.Started)
        {
            var notYet = today < year.StudyStarts ? $"尚未开始学习（学习将于 {Day(year.StudyStarts)} 开始）" : "尚未开始学习";
            return new(ProgressStatuses.NotStarted, string.Join("；", [notYet, .. shortfalls]));
        }
        return shortfalls.Count > 0
            ? new(ProgressStatuses.Behind, string.Join("；", shortfalls))
            : new(ProgressStatuses.OnTrack, $"已完成 {done} 学时，进度正常（此时应完成 {Hours(expected)} 学时）");
    }

    /// <summary>
    /// How deep the roll-up groups below <paramref name="rootPath"/>: one level down (a county by school, a township by
    /// school), but never above counties: a city and the province are rolled up by county.
    /// </summary>
    public static int RollUpDepth(string rootPath) => Math.Max(Depth(rootPath) + 1, CountyDepth);

    /// <summary>Province / city / county: counties sit at the third level of every path.</summary>
    public const int CountyDepth = 3;

    public static int Depth(string path) => path.Length == 0 ? 0 : path.Count(c => c == '/') + 1;

    private static string Hours(decimal hours) => YearArithmetic.Hours(hours);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
