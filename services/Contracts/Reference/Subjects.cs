using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Contracts.Reference;

/// <summary>
/// The subjects (学科) of each stage, as the province's plan lists them (seed 004): senior 16, junior 15, primary 11;
/// kindergartens train their in-post teachers and directors. Stage and subject values in messages come from here.
/// </summary>
public static class Subjects
{
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByStage = new Dictionary<string, IReadOnlyList<string>>
    {
        [Stages.Senior] =
        [
            "语文", "数学", "英语", "物理", "化学", "生物", "政治", "历史", "地理", "音乐", "美术", "体育与健康", "信息技术", "通用技术",
            "综合实践活动", "心理健康教育",
        ],
        [Stages.Junior] =
        [
            "语文", "数学", "英语", "物理", "化学", "生物", "思想品德", "历史", "地理", "体育", "音乐", "美术", "信息技术", "综合实践活动",
            "心理健康教育",
        ],
        [Stages.Primary] =
        [
            "语文", "数学", "英语", "科学", "音乐", "体育", "美术", "品德与生活(社会)", "信息技术", "综合实践活动", "心理健康教育",
        ],
        [Stages.Kindergarten] = ["幼儿园教师", "园长"],
    };

    /// <summary>
    /// Every subject of any stage → the stages (in Chinese) that teach it: the codes a request's subject may take (which
    /// stage's list applies is the rule's business, <see cref="IsValid"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Names = ByStage
        .SelectMany(s => s.Value.Select(subject => (Subject: subject, Stage: s.Key)))
        .GroupBy(s => s.Subject)
        .ToDictionary(g => g.Key, g => string.Join("、", g.Select(s => StageNames.Names[s.Stage])) + "学科");

    public static bool IsValid(string? stage, string? subject) =>
        stage is not null && subject is not null && ByStage.TryGetValue(stage, out var subjects) && subjects.Contains(subject);
}

/// <summary>Development tiers (seed 002): 春苗 → 扬帆 → 深蓝 → 卓越 → 领航.</summary>
public static class Tiers
{
    public const string NewTeacher = "new_teacher";   // 春苗
    public const string Rising = "rising";            // 扬帆
    public const string Backbone = "backbone";        // 深蓝
    public const string Master = "master";            // 卓越
    public const string Leading = "leading";          // 领航

    public static readonly IReadOnlyList<string> All = [NewTeacher, Rising, Backbone, Master, Leading];

    /// <summary>Each tier as teachers call it, for messages, sheets and the API's documentation.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [NewTeacher] = "春苗", [Rising] = "扬帆", [Backbone] = "深蓝", [Master] = "卓越", [Leading] = "领航",
    };

    /// <summary>Seed 002: a teacher is new (春苗) for their first three years of service.</summary>
    public const int NewTeacherYears = 3;

    /// <summary>
    /// Hired within the last <paramref name="years"/> years: after the same day that many years ago (hired exactly then,
    /// the years are done). One rule for whoever asks, Mentoring's pairing and the demo province's tiers alike.
    /// </summary>
    public static bool InFirstYears(DateOnly hireDate, DateOnly today, int years = NewTeacherYears) => hireDate > today.AddYears(-years);
}
