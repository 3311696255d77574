using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Catalog.Courses;

[Description("课程（草稿）的内容：创建、修改草稿和创建新版本共用")]
public sealed record CourseRequest(
    [property: Description("课程编号，全省唯一；创建时必填，修改草稿与创建新版本时可省略（编号不能修改）")]
    [property: RegularExpression(CourseRules.CodeRegex)]
    string? Code,
    [property: Required, MaxLength(CourseRules.MaxTitleLength)] string? Title,
    [property: Description("课程简介"), MaxLength(CourseRules.MaxSummaryLength)] string? Summary,
    [property: Required, Description("学时，大于 0，最多一位小数")]
    [property: Range(0.0, CourseRules.MaxHours, MinimumIsExclusive = true)]
    decimal? Hours,
    [property: Required, Codes(typeof(CourseCategories)), Description("学时类别")] string? Category,
    [property: Required, Codes(typeof(DeliveryModes)), Description("培训形式；只有集中培训有场次")] string? Mode,
    [property: Required, Codes(typeof(TrainingLevels)), Description("培训级别")] string? Level,
    [property: Required, MinLength(1), Codes(typeof(StageNames)), Description("适用学段，至少一个，不能重复")] IReadOnlyList<string>? Stages,
    [property: Codes(typeof(Subjects)), Description("适用学科，须属于所选学段；不填表示所选学段的所有学科")] IReadOnlyList<string>? Subjects,
    [property: Description("集中培训的场次；发布集中培训课程前至少需要一个")] IReadOnlyList<SessionRequest>? Sessions);

[Description("集中培训的一个场次")]
public sealed record SessionRequest(
    [property: Required, MaxLength(CourseRules.MaxPlaceLength), Description("培训地点")] string? Place,
    [property: Required] DateOnly? StartsOn,
    [property: Required, Description("结束日期，不早于开始日期")] DateOnly? EndsOn,
    [property: Required, Range(1, CourseRules.MaxCapacity), Description("容量（人数）")] int? Capacity);

/// <summary>What a course must be to be saved, and what it must have to be published.</summary>
public static partial class CourseRules
{
    public const string CodeRegex = "^[A-Za-z0-9_-]{2,30}$";
    public const int MaxTitleLength = 200;
    public const int MaxSummaryLength = 4000;
    public const int MaxHours = 500;
    public const int MaxPlaceLength = 200;
    public const int MaxCapacity = 100_000;
    public const int MaxRetireReasonLength = 500;

    public static Validation Validate(CourseRequest r)
    {
        var v = new Validation()
            .Require(r.Code is { } code && CodePattern().IsMatch(code), "code", "课程编号必填，2–30 位字母、数字、连字符或下划线")
            .RequireTitle(r.Title, "title", "课程名称", MaxTitleLength)
            .Require((r.Summary ?? "").Length <= MaxSummaryLength, "summary", $"课程简介不超过 {MaxSummaryLength} 字")
            .Require(r.Hours is > 0 and <= MaxHours, "hours", $"学时必须大于 0、不超过 {MaxHours}")
            .Require(r.Hours is null || decimal.Round(r.Hours.Value, 1) == r.Hours.Value, "hours", "学时最多保留一位小数")
            .Require(r.Category is not null && CourseCategories.Names.ContainsKey(r.Category), "category",
                $"类别必须是以下之一：{string.Join("、", CourseCategories.Names.Select(c => $"{c.Key}（{c.Value}）"))}")
            .Require(r.Mode is not null && DeliveryModes.Names.ContainsKey(r.Mode), "mode",
                $"培训形式必须是以下之一：{string.Join("、", DeliveryModes.Names.Select(c => $"{c.Key}（{c.Value}）"))}")
            .Require(r.Level is not null && TrainingLevels.Names.ContainsKey(r.Level), "level",
                $"培训级别必须是以下之一：{string.Join("、", TrainingLevels.Names.Select(c => $"{c.Key}（{c.Value}）"))}");

        var stages = v.Elements(r.Stages, "stages").Select(e => e.Item).ToList();
        v.Require((r.Stages ?? []).Count > 0, "stages", "至少选择一个适用学段");
        foreach (var stage in stages.Where(s => !StageNames.Names.ContainsKey(s)))
        {
            v.Add("stages", $"未知学段：{stage}（应为 {string.Join("、", StageNames.Names.Keys)}）");
        }
        v.Require(stages.Distinct().Count() == stages.Count, "stages", "学段不能重复");
        foreach (var (subject, _) in v.Elements(r.Subjects, "subjects").Where(s => !stages.Any(stage => Subjects.IsValid(stage, s.Item))))
        {
            v.Add("subjects", $"学科“{subject}”不属于所选学段");
        }

        v.Require((r.Sessions ?? []).Count == 0 || r.Mode == DeliveryModes.Concentrated, "sessions", "只有集中培训课程有场次");
        foreach (var (s, at) in v.Elements(r.Sessions, "sessions"))
        {
            v.Require(!string.IsNullOrWhiteSpace(s.Place) && s.Place.Length <= MaxPlaceLength, $"{at}.place", $"培训地点必填，不超过 {MaxPlaceLength} 字");
            v.Require(s.StartsOn is not null, $"{at}.startsOn", "开始日期必填");
            v.Require(s.EndsOn is not null && (s.StartsOn is null || s.EndsOn >= s.StartsOn), $"{at}.endsOn", "结束日期必填，且不能早于开始日期");
            v.Require(s.Capacity is > 0 and <= MaxCapacity, $"{at}.capacity", $"容量必须是 1–{MaxCapacity} 之间的整数");
        }
        return v;
    }

    /// <summary>A draft may be published once it is complete: a concentrated course needs at least one session.</summary>
    public static string? PublishProblem(string mode, int sessionCount) =>
        mode == DeliveryModes.Concentrated && sessionCount == 0 ? "集中培训课程至少需要一个场次（地点、日期、容量）才能发布" : null;

    [System.Text.RegularExpressions.GeneratedRegex(CodeRegex)]
    private static partial System.Text.RegularExpressions.Regex CodePattern();
}
