using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TrainingPlatform.Services.Enrollment.Progress;

/// <summary>One progress report from the learning side: cumulative figures as of <see cref="OccurredAt"/>.</summary>
[Description("一条学习进度报告：截至 occurredAt 的累计数字（不是增量）。未给出的数字不改变已记录的进度。")]
public sealed record ProgressReport(
    [property: Required, MinLength(1), MaxLength(CompletionRules.MaxReportIdLength),
        Description("报告编号，由学习平台生成，全局唯一：同一编号只记录一次，重发时用原编号")] string? ReportId,
    [property: Required, Description("教师编号（平台的教师 id）")] Guid? TeacherId,
    [property: Required, Description("课程编号")] Guid? CourseId,
    [property: Required, MinLength(1), Description("年度代码，如 2026")] string? ProgramYear,
    [property: Range(0, int.MaxValue), Description("累计学习分钟数")] int? MinutesStudied,
    [property: Range(CompletionRules.MinPercent, CompletionRules.MaxPercent), Description("累计学习进度百分比；达到 100 视为学完")] decimal? Percent,
    [property: Description("标准化测试是否已通过（通过后不会被撤销）")] bool? TestPassed,
    [property: Range(CompletionRules.MinTestScore, CompletionRules.MaxTestScore), Description("测试成绩；记录最高分")] decimal? TestScore,
    [property: Description("作业（课例类课程为观课报告）是否已提交")] bool? AssignmentHandedIn,
    [property: Description("这些数字的时间点（学习平台的时间，含时区）；不填为收到时间")] DateTimeOffset? OccurredAt);

public sealed record StudyState(int MinutesStudied, decimal Percent, bool TestPassed, decimal? TestScore, bool AssignmentHandedIn);

/// <summary>
/// How reports combine, and when a course is complete. Reports are cumulative and each figure only grows (minutes,
/// percentage, best score; a passed test or a handed-in assignment stays so), so merging is a maximum: the result is
/// the same whatever order reports arrive in and however often. A course is complete when its learning is done
/// (100 %), its standardized test is passed and its assignment — for a lesson case, the observation report — is in.
/// </summary>
public static class CompletionRules
{
    public const int MaxReportIdLength = 100;
    public const int MinPercent = 0;
    public const int MaxPercent = 100;
    public const int MinTestScore = 0;
    public const int MaxTestScore = 1000;

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
        if (string.IsNullOrWhiteSpace(r.ReportId) || r.ReportId.Length > MaxReportIdLength)
        {
            yield return ("reportId", $"报告编号必填，不超过 {MaxReportIdLength} 字符（用于去重）");
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
        if (r.Percent is < MinPercent or > MaxPercent)
        {
            yield return ("percent", $"学习进度必须在 {MinPercent}–{MaxPercent} 之间");
        }
        if (r.TestScore is < MinTestScore or > MaxTestScore)
        {
            yield return ("testScore", "测试成绩超出范围");
        }
    }
}
