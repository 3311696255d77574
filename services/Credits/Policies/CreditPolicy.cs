using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Credits.Policies;

/// <summary>Which credits a rule counts (any list left empty counts everything).</summary>
[Description("规则计入哪些学时；任一列表为空或省略即不按此项筛选")]
public sealed record RuleFilter(
    [property: Codes(typeof(CourseCategories)), Description("只计这些学时类别")] IReadOnlyList<string>? Categories = null,
    [property: Codes(typeof(DeliveryModes)), Description("只计这些培训形式")] IReadOnlyList<string>? Modes = null,
    [property: Codes(typeof(TrainingLevels)), Description("只计这些培训级别")] IReadOnlyList<string>? Levels = null,
    [property: Codes(typeof(CreditSources)), Description("只计这些学时来源")] IReadOnlyList<string>? Sources = null)
{
    public bool Counts(string category, string mode, string level, string source) =>
        (Categories is not { Count: > 0 } || Categories.Contains(category))
        && (Modes is not { Count: > 0 } || Modes.Contains(mode))
        && (Levels is not { Count: > 0 } || Levels.Contains(level))
        && (Sources is not { Count: > 0 } || Sources.Contains(source));
}

/// <summary>Over which period a rule is measured.</summary>
public static class RulePeriods
{
    public const string Cycle = "cycle";
    /// <summary>Every year of the cycle.</summary>
    public const string Year = "year";
    /// <summary>The teacher's first year (the year of their hire date), e.g. new-teacher concentrated training.</summary>
    public const string FirstYear = "first_year";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Cycle] = "整个周期", [Year] = "周期内每年", [FirstYear] = "入职首年",
    };
}

/// <summary>Whom a rule binds.</summary>
public static class RuleSubjects
{
    public const string All = "all";
    public const string ClassTeachers = "class_teachers";
    public const string NewNormalSchool = "new_normal_school";
    public const string NewOther = "new_other";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [All] = "全体教师", [ClassTeachers] = "班主任", [NewNormalSchool] = "新教师（师范类）", [NewOther] = "新教师（非师范类）",
    };
}

/// <summary>
/// One requirement: at least <see cref="MinHours"/> of the credits <see cref="Filter"/> counts, per <see cref="Period"/>.
/// A rule without a filter counts every credit.
/// </summary>
public sealed record CreditRule(
    [property: Required, Description("规则标识，在同一政策内唯一")] string Key,
    [property: Required, Description("规则名称，显示给教师和管理员")] string Label,
    [property: Required, Codes(typeof(RulePeriods)), Description("按什么期间计算")] string Period,
    [property: Required, Range(CreditRule.SmallestHours, CreditRule.MaxMinHours), Description("最低学时，最多一位小数")] decimal MinHours,
    RuleFilter? Filter = null,
    [property: Codes(typeof(RuleSubjects)), Description("适用对象，缺省为全体教师")] string AppliesTo = RuleSubjects.All)
{
    /// <summary>Hours carry at most one decimal, so the least a rule can ask for is a tenth of an hour.</summary>
    public const double SmallestHours = 0.1;

    /// <summary>No rule asks for more than this many hours.</summary>
    public const int MaxMinHours = 2000;

    /// <summary>
    /// Never null once made (null in a request means "count everything"), yet declared nullable so the document lets
    /// a request leave it null, as the rules do.
    /// </summary>
    public RuleFilter? Filter { get; init; } = Filter ?? new RuleFilter();

    /// <summary>The filter this rule counts by: every credit when none was given.</summary>
    public RuleFilter Counting() => Filter ?? new RuleFilter();
}

/// <summary>
/// A province's credit policy: its cycle and its rules. Data, not code: operators pick a preset and edit it. Each edit
/// is a new <see cref="Version"/>; a certificate names the version it was issued under.
/// </summary>
public sealed record CreditPolicy(string Code, string Name, int CycleYears, int FirstCycleYear, IReadOnlyList<CreditRule> Rules, int Version = 1)
{
    public (int First, int Last) CycleOf(int year) => CreditCycles.Containing(year, FirstCycleYear, CycleYears);
}

/// <summary>The seeds' policies (see the domain brief's table), shipped as presets.</summary>
public static class PolicyPresets
{
    private static readonly string[] TownshipOrAbove =
        [TrainingLevels.Township, TrainingLevels.County, TrainingLevels.City, TrainingLevels.Provincial, TrainingLevels.National];

    private static CreditRule Total(decimal hours) => new("cycle-total", "周期总学时", RulePeriods.Cycle, hours, new RuleFilter());

    public static readonly IReadOnlyList<CreditPolicy> All =
    [
        new("seed-000", "贵州某校：五年 360 学时，师德 60、学科 300、乡镇以上集中 240、班主任 30", 5, 2026,
        [
            Total(360),
            new("cycle-ethics", "师德", RulePeriods.Cycle, 60, new RuleFilter(Categories: [CourseCategories.Ethics])),
            new("cycle-subject", "学科培训（含新理念、新知识、新方法、新技能）", RulePeriods.Cycle, 300, new RuleFilter(Categories: [CourseCategories.Subject])),
            new("cycle-concentrated", "乡镇级及以上集中培训", RulePeriods.Cycle, 240, new RuleFilter(Modes: [DeliveryModes.Concentrated], Levels: TownshipOrAbove)),
            new("cycle-class-teacher", "班主任培训", RulePeriods.Cycle, 30, new RuleFilter(Categories: [CourseCategories.ClassTeacher]), RuleSubjects.ClassTeachers),
        ]),
        new("seed-001", "每年不少于 48 学时，师德每年 10、校本每年 36", 5, 2026,
        [
            Total(240),
            new("year-total", "年度学时", RulePeriods.Year, 48, new RuleFilter()),
            new("year-ethics", "年度师德", RulePeriods.Year, 10, new RuleFilter(Categories: [CourseCategories.Ethics])),
            new("year-school-based", "年度校本研修", RulePeriods.Year, 36, new RuleFilter(Categories: [CourseCategories.SchoolBased])),
        ]),
        new("seed-002", "五年 360 学时，师德每年 10、校本每年 10；新教师首年集中培训 60/120", 5, 2026,
        [
            Total(360),
            new("year-ethics", "年度师德", RulePeriods.Year, 10, new RuleFilter(Categories: [CourseCategories.Ethics])),
            new("year-school-based", "年度校本研修", RulePeriods.Year, 10, new RuleFilter(Categories: [CourseCategories.SchoolBased])),
            new("first-year-normal", "新教师首年集中培训（师范类）", RulePeriods.FirstYear, 60, new RuleFilter(Modes: [DeliveryModes.Concentrated]), RuleSubjects.NewNormalSchool),
            new("first-year-other", "新教师首年集中培训（非师范类）", RulePeriods.FirstYear, 120, new RuleFilter(Modes: [DeliveryModes.Concentrated]), RuleSubjects.NewOther),
        ]),
        new("seed-003", "五年 360 学时，其中校本研修 200", 5, 2026,
        [
            Total(360),
            new("cycle-school-based", "校本研修", RulePeriods.Cycle, 200, new RuleFilter(Categories: [CourseCategories.SchoolBased])),
        ]),
        new("seed-004", "山东：五年 360 学时，每年网络研修不少于 36", 5, 2026,
        [
            Total(360),
            new("year-online", "年度网络研修", RulePeriods.Year, 36, new RuleFilter(Modes: [DeliveryModes.Online])),
        ]),
    ];
}
