using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;

namespace TrainingPlatform.Benchmarks.CatalogSearch;

/// <summary>
/// A deterministic catalogue of teacher-training courses: titles and summaries composed from the vocabulary of
/// continuing education (班级管理, 课堂教学, 信息技术 …) with the stages, subjects, categories, modes and levels a
/// province's catalogue mixes. Each course belongs to one theme; the themes become the topics.
/// </summary>
internal static class GeneratedCatalogue
{
    /// <summary>A theme: its topic name, credit category, the phrases its titles are made of, and the stages it is for.</summary>
    public sealed record Theme(string Name, string Category, string[] Phrases, string[]? OnlyStages = null, int Weight = 10);

    public static readonly IReadOnlyList<Theme> Themes =
    [
        new("班级管理", CourseCategories.ClassTeacher, ["班级管理", "班主任工作", "主题班会", "班级文化建设", "学生行为习惯养成", "班干部培养", "班级常规管理"], Weight: 14),
        new("课堂教学", CourseCategories.Subject, ["课堂教学", "教学设计", "课堂提问", "课堂导入", "有效教学", "教学反思", "说课与评课"], Weight: 24),
        new("信息技术应用", CourseCategories.EducationalTechnology, ["信息技术", "多媒体课件", "交互式电子白板", "网络学习空间", "智慧课堂", "数字教育资源", "PPT课件"], Weight: 16),
        new("心理健康教育", CourseCategories.Subject, ["心理健康", "心理辅导", "情绪管理", "青春期心理", "学习心理", "压力疏导"], Weight: 10),
        new("微课程的设计与应用", CourseCategories.EducationalTechnology, ["微课", "微课程", "翻转课堂", "微视频", "录屏微课"], Weight: 8),
        new("中国传统文化", CourseCategories.Ethics, ["传统文化", "国学经典", "传统节日", "书法教学", "古诗词", "传统礼仪"], Weight: 8),
        new("师德师风", CourseCategories.Ethics, ["师德修养", "师风建设", "教师职业道德", "关爱学生", "廉洁从教", "教师礼仪"], Weight: 8),
        new("教育法律法规", CourseCategories.Law, ["教育法", "教师法", "未成年人保护法", "依法执教", "法治教育", "学生权益保护"], Weight: 6),
        new("家校共育", CourseCategories.ClassTeacher, ["家校合作", "家长会", "家庭教育指导", "家访", "家校沟通"], Weight: 6),
        new("作业设计", CourseCategories.Subject, ["作业设计", "分层作业", "双减背景下的作业", "作业评价", "实践性作业"], Weight: 8),
        new("核心素养与大单元教学", CourseCategories.Subject, ["核心素养", "大单元教学", "项目式学习", "跨学科学习", "深度学习"], Weight: 10),
        new("教学评价", CourseCategories.Subject, ["教学评价", "学业评价", "表现性评价", "课堂观察", "评价量规"], Weight: 6),
        new("阅读教学", CourseCategories.Subject, ["整本书阅读", "阅读教学", "群文阅读", "读写结合", "阅读策略"], Weight: 6),
        new("实验教学", CourseCategories.Subject, ["实验教学", "探究实验", "实验操作规范", "科学探究", "数字化实验"], Weight: 6),
        new("校本研修", CourseCategories.SchoolBased, ["校本研修", "教研组建设", "集体备课", "同课异构", "课例研究"], Weight: 8),
        new("教育科研", CourseCategories.Subject, ["教育科研", "课题研究", "行动研究", "教育论文写作", "教育叙事"], Weight: 5),
        new("融合教育", CourseCategories.Subject, ["融合教育", "随班就读", "特殊需要学生", "个别化教育计划"], Weight: 3),
        new("劳动教育与综合实践", CourseCategories.Subject, ["劳动教育", "综合实践活动", "研学旅行", "校园种植"], Weight: 5),
        new("校园安全", CourseCategories.Law, ["安全教育", "防溺水教育", "应急疏散演练", "食品安全", "校园欺凌防治"], Weight: 5),
        new("学历提升", CourseCategories.DegreeUpgrade, ["教育学原理", "教育心理学", "课程与教学论", "教育统计与测量"], Weight: 3),
        new("幼儿园保育教育", CourseCategories.Subject, ["幼儿游戏", "区域活动", "一日生活组织", "幼小衔接", "幼儿行为观察"], [Stages.Kindergarten], Weight: 8),
    ];

    private static readonly string[] TitlePatterns =
    [
        "{k}的理念与方法", "{st}{s}{k}的策略与方法", "{k}：{st}{s}案例分析", "{s}学科{k}专题研修", "基于{k}的{st}{s}教学改进",
        "{k}能力提升（{st}）", "{st}{k}典型问题与对策", "新课标背景下的{s}{k}", "{k}常见误区与破解", "走进{k}", "{st}{s}{k}实践",
        "{k}与{k2}", "{k}入门", "{k}进阶：从理论到课堂", "{st}教师{k}工作坊",
    ];

    private static readonly string[] Aspects =
    [
        "教学目标的确定", "学生学习的组织", "课堂互动与生成", "评价与反馈", "差异化指导", "资源的整合与利用", "学习任务的设计", "问题情境的创设",
        "学习习惯的培养", "小组合作学习", "教学节奏的把握", "学情分析",
    ];

    private static readonly string[] Activities = ["专家讲座", "课堂实录", "案例研讨", "名师示范课", "在线答疑", "微格训练", "同伴互评"];

    private static readonly string[] Goals =
    [
        "提升课堂教学的有效性", "形成可迁移的实践策略", "解决日常教学中的真实问题", "促进学生全面发展", "提高专业素养与实践能力",
        "把理念转化为课堂行为", "建立持续改进的反思习惯",
    ];

    private static readonly string[] SchoolStages = [Stages.Primary, Stages.Junior, Stages.Senior];

    public sealed record GeneratedCourse(CourseRequest Request, int Theme);

    public static IEnumerable<GeneratedCourse> Generate(int count, DateOnly today)
    {
        var random = new Random(20_000);
        var weights = Themes.Select(t => t.Weight).ToArray();
        var totalWeight = weights.Sum();
        for (var i = 1; i <= count; i++)
        {
            var themeIndex = Pick(random, weights, totalWeight);
            var theme = Themes[themeIndex];
            var stages = theme.OnlyStages ?? ChooseStages(random);
            var subjectStage = stages[random.Next(stages.Length)];
            // Subject courses name a subject most of the time; general themes seldom do.
            var withSubject = random.NextDouble() < (theme.Category == CourseCategories.Subject ? 0.7 : 0.15);
            var subject = withSubject ? Pick(random, Subjects.ByStage[subjectStage]) : null;
            var stageName = stages.Length == 1 ? StageNames.Names[stages[0]] : "中小学";
            var phrase = Pick(random, theme.Phrases);
            var otherPhrase = Pick(random, theme.Phrases.Where(p => p != phrase).ToArray());

            var title = Pick(random, TitlePatterns)
                .Replace("{k}", phrase, StringComparison.Ordinal)
                .Replace("{k2}", otherPhrase, StringComparison.Ordinal)
                .Replace("{st}", stageName, StringComparison.Ordinal)
                .Replace("{s}", subject ?? "", StringComparison.Ordinal);
            if (random.NextDouble() < 0.3)
            {
                title += $"（第{"一二三四五六"[random.Next(6)]}讲）";
            }
            var summary = $"本课程面向{stageName}{subject}教师，围绕{phrase}展开，重点讨论{Pick(random, Aspects)}与{Pick(random, Aspects)}。"
                          + $"结合{otherPhrase}的典型课例，通过{Pick(random, Activities)}、{Pick(random, Activities)}等方式，帮助教师{Pick(random, Goals)}。"
                          + (random.NextDouble() < 0.5 ? $"课程包含{random.Next(3, 9)}个学习单元，每个单元配有练习与讨论，学员需提交一份{phrase}实践作业。" : "")
                          + (random.NextDouble() < 0.05 ? "附配套PPT课件与教学设计模板。" : "");

            var mode = random.NextDouble() switch { < 0.75 => DeliveryModes.Online, < 0.88 => DeliveryModes.SchoolBased, _ => DeliveryModes.Concentrated };
            var level = random.NextDouble() switch
            {
                < 0.10 => TrainingLevels.National, < 0.45 => TrainingLevels.Provincial, < 0.65 => TrainingLevels.City, < 0.85 => TrainingLevels.County,
                < 0.92 => TrainingLevels.Township, _ => TrainingLevels.School,
            };
            SessionRequest[] sessions = mode == DeliveryModes.Concentrated
                ? [new SessionRequest($"{Pick(random, Places)}教师进修学校", today.AddDays(30 + i % 60), today.AddDays(33 + i % 60), 40 + i % 80)]
                : [];
            var request = new CourseRequest($"BK{i:00000}", title, summary, random.Next(1, 9) * 2, theme.Category, mode, level, stages,
                subject is null ? [] : [subject], sessions);
            yield return new GeneratedCourse(request, themeIndex);
        }
    }

    private static readonly string[] Places = ["滨州市", "枣庄市", "济南市", "青岛市", "潍坊市", "临沂市", "德州市", "聊城市"];

    private static string[] ChooseStages(Random random) => random.NextDouble() switch
    {
        < 0.70 => [Pick(random, SchoolStages)],
        < 0.85 => [.. SchoolStages],
        < 0.95 => [Stages.Junior, Stages.Senior],
        _ => [.. Stages.All],
    };

    private static int Pick(Random random, int[] weights, int total)
    {
        var x = random.Next(total);
        for (var i = 0; i < weights.Length; i++)
        {
            if ((x -= weights[i]) < 0)
            {
                return i;
            }
        }
        return weights.Length - 1;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
