using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Catalog;

namespace TrainingPlatform.Services.Catalog.ProgramYears;

[Description("年度工程：学时要求与各时间节点")]
public sealed record ProgramYearRequest(
    [property: Description("年度代码，如 2026；创建时必填，修改时可省略（代码不能修改）")]
    [property: RegularExpression(ProgramYearRules.CodeRegex)]
    string? Code,
    [property: Required, MaxLength(ProgramYearRules.MaxNameLength), Description("年度工程名称")] string? Name,
    [property: Required, Range(0.0, ProgramYearRules.MaxAnnualHours, MinimumIsExclusive = true), Description("年度最低学时，最多一位小数")]
    decimal? MinAnnualHours,
    [property: Required, Range(0.0, ProgramYearRules.MaxAnnualHours), Description("其中最低选修学时，不超过年度最低学时，最多一位小数")]
    decimal? MinElectiveHours,
    [property: Required] WindowsRequest? Windows);

[Description("年度的各时间节点（省内日期），须按先后顺序：学校选专题开始 ≤ 截止 < 学习开始；选专题开始 ≤ 教师选课开始 < 学习开始；研修组名单上报 ≤ 学习开始 ≤ 必修课学习结束 ≤ 学分登记截止")]
public sealed record WindowsRequest(
    [property: Required, Description("研修组名单上报日期")] DateOnly? GroupListsDue,
    [property: Required, Description("学校选专题开始日期")] DateOnly? TopicSelectionOpens,
    [property: Required, Description("学校选专题截止日期")] DateOnly? TopicSelectionCloses,
    [property: Required, Description("教师选课开始日期")] DateOnly? CourseSelectionOpens,
    [property: Required, Description("学习开始日期：此日起专题与选课冻结")] DateOnly? StudyStarts,
    [property: Required, Description("必修课学习结束日期")] DateOnly? RequiredStudyEnds,
    [property: Required, Description("学分登记截止日期")] DateOnly? CreditRegistrationCloses);

/// <summary>What makes a program year acceptable: hour minimums that fit together, and windows in a sensible order.</summary>
public static partial class ProgramYearRules
{
    public const string CodeRegex = "^[A-Za-z0-9-]{2,20}$";
    public const int MaxNameLength = 100;
    public const int MaxAnnualHours = 1000;

    public static Validation Validate(ProgramYearRequest request, out ProgramYearWindows? windows)
    {
        var validation = new Validation()
            .Require(request.Code is { } code && CodePattern().IsMatch(code), "code", "年度代码必填，2–20 位字母、数字或连字符，如 2026")
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= MaxNameLength, "name", $"年度工程名称必填，不超过 {MaxNameLength} 字");
        validation.Require(request.MinAnnualHours is > 0 and <= MaxAnnualHours, "minAnnualHours", $"年度最低学时必须大于 0、不超过 {MaxAnnualHours}");
        validation.Require(request.MinElectiveHours is >= 0 && request.MinElectiveHours <= (request.MinAnnualHours ?? 0), "minElectiveHours",
            "最低选修学时不能为负，也不能超过年度最低学时");
        foreach (var (field, hours) in new[] { ("minAnnualHours", request.MinAnnualHours), ("minElectiveHours", request.MinElectiveHours) })
        {
            validation.Require(hours is null || decimal.Round(hours.Value, 1) == hours.Value, field, "学时最多保留一位小数");
        }
        windows = ValidateWindows(request.Windows, validation);
        return validation;
    }

    private static ProgramYearWindows? ValidateWindows(WindowsRequest? w, Validation validation)
    {
        if (w is null)
        {
            validation.Add("windows", "各时间节点必填");
            return null;
        }
        var dates = new (string Field, DateOnly? Value)[]
        {
            ("windows.groupListsDue", w.GroupListsDue), ("windows.topicSelectionOpens", w.TopicSelectionOpens),
            ("windows.topicSelectionCloses", w.TopicSelectionCloses), ("windows.courseSelectionOpens", w.CourseSelectionOpens),
            ("windows.studyStarts", w.StudyStarts), ("windows.requiredStudyEnds", w.RequiredStudyEnds),
            ("windows.creditRegistrationCloses", w.CreditRegistrationCloses),
        };
        var missing = dates.Where(d => d.Value is null).ToList();
        foreach (var (field, _) in missing)
        {
            validation.Add(field, "日期必填");
        }
        // Study's year becomes its credits' year in Credits' cycles, and the windows are shifted by days: none may lie
        // where no cycle reaches or no date exists.
        foreach (var (field, value) in dates)
        {
            validation.RequireSupportedYear(value?.Year, field, "日期");
        }
        if (missing.Count > 0)
        {
            return null;
        }

        var windows = new ProgramYearWindows(w.GroupListsDue!.Value, w.TopicSelectionOpens!.Value, w.TopicSelectionCloses!.Value,
            w.CourseSelectionOpens!.Value, w.StudyStarts!.Value, w.RequiredStudyEnds!.Value, w.CreditRegistrationCloses!.Value);
        foreach (var (field, rule) in OrderProblems(windows))
        {
            validation.Add(field, rule);
        }
        return windows;
    }

    /// <summary>Every pair of dates that is out of order, named by the later field and explained in Chinese.</summary>
    public static IEnumerable<(string Field, string Rule)> OrderProblems(ProgramYearWindows w)
    {
        static string D(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (w.TopicSelectionCloses < w.TopicSelectionOpens)
        {
            yield return ("windows.topicSelectionCloses", $"学校选专题截止日期（{D(w.TopicSelectionCloses)}）不能早于开始日期（{D(w.TopicSelectionOpens)}）");
        }
        if (w.CourseSelectionOpens < w.TopicSelectionOpens)
        {
            yield return ("windows.courseSelectionOpens", $"教师选课开始日期（{D(w.CourseSelectionOpens)}）不能早于学校选专题开始日期（{D(w.TopicSelectionOpens)}）");
        }
        if (w.StudyStarts <= w.CourseSelectionOpens)
        {
            yield return ("windows.studyStarts", $"学习开始日期（{D(w.StudyStarts)}）必须晚于教师选课开始日期（{D(w.CourseSelectionOpens)}）：学习开始后选课即冻结");
        }
        if (w.StudyStarts <= w.TopicSelectionCloses)
        {
            yield return ("windows.studyStarts", $"学习开始日期（{D(w.StudyStarts)}）必须晚于学校选专题截止日期（{D(w.TopicSelectionCloses)}）");
        }
        if (w.GroupListsDue > w.StudyStarts)
        {
            yield return ("windows.groupListsDue", $"研修组名单上报日期（{D(w.GroupListsDue)}）不能晚于学习开始日期（{D(w.StudyStarts)}）");
        }
        if (w.RequiredStudyEnds < w.StudyStarts)
        {
            yield return ("windows.requiredStudyEnds", $"必修课学习结束日期（{D(w.RequiredStudyEnds)}）不能早于学习开始日期（{D(w.StudyStarts)}）");
        }
        if (w.CreditRegistrationCloses < w.RequiredStudyEnds)
        {
            yield return ("windows.creditRegistrationCloses", $"学分登记截止日期（{D(w.CreditRegistrationCloses)}）不能早于必修课学习结束日期（{D(w.RequiredStudyEnds)}）");
        }
    }

    [GeneratedRegex(CodeRegex)]
    private static partial Regex CodePattern();
}
