using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Catalog.Courses;

public sealed record CourseRequest(
    string? Code,
    string? Title,
    string? Summary,
    decimal? Hours,
    string? Category,
    string? Mode,
    string? Level,
    IReadOnlyList<string>? Stages,
    IReadOnlyList<string>? Subjects,
    IReadOnlyList<SessionRequest>? Sessions);

public sealed record SessionRequest(string? Place, DateOnly? StartsOn, DateOnly? EndsOn, int? Capacity);

/// <summary>What a course must be to be saved, and what it must have to be published.</summary>
public static partial class CourseRules
{
    public static Validation Validate(CourseRequest r)
    {
        var v = new Validation()
            .Require(r.Code is { } code && CodePattern().IsMatch(code), "code", "课程编号必填，2–30 位字母、数字、连字符或下划线")
            .RequireTitle(r.Title, "title", "课程名称", 200)
            .Require((r.Summary ?? "").Length <= 4000, "summary", "课程简介不超过 4000 字")
            .Require(r.Hours is > 0 and <= 500, "hours", "学时必须大于 0、不超过 500")
            .Require(r.Hours is null || decimal.Round(r.Hours.Value, 1) == r.Hours.Value, "hours", "学时最多保留一位小数")
            .Require(r.Category is not null && CourseCategories.Names.ContainsKey(r.Category), "category",
                $"类别必须是以下之一：{string.Join("、", CourseCategories.Names.Select(c => $"{c.Key}（{c.Value}）"))}")
            .Require(r.Mode is not null && DeliveryModes.Names.ContainsKey(r.Mode), "mode",
                $"培训形式必须是以下之一：{string.Join("、", DeliveryModes.Names.Select(c => $"{c.Key}（{c.Value}）"))}")
            .Require(r.Level is not null && TrainingLevels.Names.ContainsKey(r.Level), "level",
                $"培训级别必须是以下之一：{string.Join("、", TrainingLevels.Names.Select(c => $"{c.Key}（{c.Value}）"))}");

        var stages = v.Elements(r.Stages, "stages").Select(e => e.Item).ToList();
        v.Require((r.Stages ?? []).Count > 0, "stages", "至少选择一个适用学段");
        foreach (var stage in stages.Where(s => !Subjects.ByStage.ContainsKey(s)))
        {
            v.Add("stages", $"未知学段：{stage}（应为 {string.Join("、", Stages.All)}）");
        }
        v.Require(stages.Distinct().Count() == stages.Count, "stages", "学段不能重复");
        foreach (var (subject, _) in v.Elements(r.Subjects, "subjects").Where(s => !stages.Any(stage => Subjects.IsValid(stage, s.Item))))
        {
            v.Add("subjects", $"学科“{subject}”不属于所选学段");
        }

        v.Require((r.Sessions ?? []).Count == 0 || r.Mode == DeliveryModes.Concentrated, "sessions", "只有集中培训课程有场次");
        foreach (var (s, at) in v.Elements(r.Sessions, "sessions"))
        {
            v.Require(!string.IsNullOrWhiteSpace(s.Place) && s.Place.Length <= 200, $"{at}.place", "培训地点必填，不超过 200 字");
            v.Require(s.StartsOn is not null, $"{at}.startsOn", "开始日期必填");
            v.Require(s.EndsOn is not null && (s.StartsOn is null || s.EndsOn >= s.StartsOn), $"{at}.endsOn", "结束日期必填，且不能早于开始日期");
            v.Require(s.Capacity is > 0 and <= 100_000, $"{at}.capacity", "容量必须是 1–100000 之间的整数");
        }
        return v;
    }

    /// <summary>A draft may be published once it is complete: a concentrated course needs at least one session.</summary>
    public static string? PublishProblem(string mode, int sessionCount) =>
        mode == DeliveryModes.Concentrated && sessionCount == 0 ? "集中培训课程至少需要一个场次（地点、日期、容量）才能发布" : null;

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9_-]{2,30}$")]
    private static partial System.Text.RegularExpressions.Regex CodePattern();
}
