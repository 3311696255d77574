using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TrainingPlatform.Services.Enrollment.Progress;

/// <summary>One progress report from the learning side: cumulative figures as of <see cref="OccurredAt"/>.</summary>
public sealed record ProgressReport(
    string? ReportId,
    Guid? TeacherId,
    Guid? CourseId,
    string? ProgramYear,
    int? MinutesStudied,
    decimal? Percent,
    bool? TestPassed,
    decimal? TestScore,
    bool? AssignmentHandedIn,
    DateTimeOffset? OccurredAt);

public sealed record StudyState(int MinutesStudied, decimal Percent, bool TestPassed, decimal? TestScore, bool AssignmentHandedIn);

/// <summary>
/// How reports combine, and when a course is complete. Reports are cumulative and each figure only grows (minutes,
/// percentage, best score; a passed test or a handed-in assignment stays so), so merging is a maximum: the result is
/// the same whatever order reports arrive in and however often. A course is complete when its learning is done
/// (100 %), its standardized test is passed and its assignment — for a lesson case, the observation report — is in.
/// </summary>
public static class CompletionRules
{
    public static StudyState Merge(StudyState current, ProgressReport report) => new(
        Math.Max(current.MinutesStudied, report.MinutesStudied ?? 0),
        Math.Max(current.Percent, report.Percent ?? 0),
        current.TestPassed || report.TestPassed == true,
        report.TestScore is { } score && (current.TestScore is null || score > current.TestScore) ? score : current.TestScore,
        current.AssignmentHandedIn || report.AssignmentHandedIn == true);

    /// <summary>
    /// What a report says, as a hash: equal for the same report sent again (decimals compared by value, times by instant),
    /// different for any other enrollment or figure.
    /// </summary>
    public static string Fingerprint(ProgressReport r)
    {
        static string Of(decimal? value) => value?.ToString("G29", CultureInfo.InvariantCulture) ?? "";
        var content = string.Join('|',
            r.TeacherId, r.CourseId, r.ProgramYear?.Trim(), r.MinutesStudied?.ToString(CultureInfo.InvariantCulture), Of(r.Percent),
            r.TestPassed, Of(r.TestScore), r.AssignmentHandedIn, r.OccurredAt?.UtcTicks.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }

    public static bool IsComplete(StudyState state) => state.Percent >= 100 && state.TestPassed && state.AssignmentHandedIn;

    /// <summary>The fields of a report that break a rule (field → rule).</summary>
    public static IEnumerable<(string Field, string Rule)> Problems(ProgressReport r)
    {
        if (string.IsNullOrWhiteSpace(r.ReportId) || r.ReportId.Length > 100)
        {
            yield return ("reportId", "报告编号必填，不超过 100 字符（用于去重）");
        }
        if (r.TeacherId is null)
        {
            yield return ("teacherId", "教师必填");
        }
        if (r.CourseId is null)
        {
            yield return ("courseId", "课程必填");
        }
        if (string.IsNullOrWhiteSpace(r.ProgramYear))
        {
            yield return ("programYear", "年度必填");
        }
        if (r.MinutesStudied is < 0)
        {
            yield return ("minutesStudied", "学习分钟数不能为负");
        }
        if (r.Percent is < 0 or > 100)
        {
            yield return ("percent", "学习进度必须在 0–100 之间");
        }
        if (r.TestScore is < 0 or > 1000)
        {
            yield return ("testScore", "测试成绩超出范围");
        }
    }
}
