using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.ProgramYears;
using TrainingPlatform.Services.Catalog.RequiredPackages;
using TrainingPlatform.Services.Catalog.Topics;

namespace TrainingPlatform.Services.Catalog.Demo;

/// <summary>
/// On first start with <c>Demo:Seed</c>, the seed's program year (004) as a newcomer can try it today: topic
/// selection and course selection are open now and study starts in two weeks; the six elective topics (over 200
/// hours); kindergarten courses; and a 22-hour required package for every stage and subject, with its four lesson
/// cases drawn per teacher. Written through the same stores as real data, so it goes out as events.
/// </summary>
internal sealed partial class DemoCatalog(IConfiguration configuration, NpgsqlDataSource db, TimeProvider clock, ILogger<DemoCatalog> logger)
    : IHostedService
{
    private const long SeedLockKey = 0x6361_7461; // "cata"
    private const string By = "demo";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Demo:Seed"))
        {
            return;
        }
        await using var lockConnection = await db.OpenConnectionAsync(cancellationToken);
        await lockConnection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@SeedLockKey)", new { SeedLockKey }, cancellationToken: cancellationToken));
        try
        {
            if (await lockConnection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from program_years)", cancellationToken: cancellationToken)))
            {
                return;
            }
            var courses = await SeedAsync(cancellationToken);
            LogSeeded(courses);
        }
        finally
        {
            await lockConnection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@SeedLockKey)", new { SeedLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<int> SeedAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var today = ProvinceCalendar.Today(clock);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var yearRequest = DemoCourses.ProgramYear(today);
        ProgramYearRules.Validate(yearRequest, out var windows);
        var year = (await ProgramYearStore.CreateAsync(unitOfWork, yearRequest, windows!, now, cancellationToken))!;

        var created = 0;
        async Task<CourseRow> PublishedAsync(CourseRequest request)
        {
            created++;
            var code = $"KC{created:00000}";
            var draft = (await CourseStore.InsertDraftAsync(unitOfWork, request with { Code = code }, 1, Guid.CreateVersion7(now), null, By, now, cancellationToken))!;
            return await CourseStore.PublishAsync(unitOfWork, draft, now, cancellationToken);
        }

        foreach (var topic in DemoCourses.Topics)
        {
            var ids = new List<Guid>();
            foreach (var request in topic.Courses)
            {
                ids.Add((await PublishedAsync(request)).Id);
            }
            await TopicStore.SaveAsync(unitOfWork, year.Id, topic.Code, topic.Name, topic.Description, DemoCourses.SchoolStages, ids, now, cancellationToken);
        }
        foreach (var request in DemoCourses.KindergartenElectives(today))
        {
            await PublishedAsync(request);
        }

        var observation = await PublishedAsync(DemoCourses.Common("有效观评课的方法与技术", "观课议课的方法、量表与技术工具。", 2, CourseCategories.Subject));
        var law = new[]
        {
            await PublishedAsync(DemoCourses.Common("中华人民共和国未成年人保护法", "未成年人保护法解读与学校实践。", 2, CourseCategories.Law)),
            await PublishedAsync(DemoCourses.Common("中华人民共和国教育法", "教育法要点与教师的权利义务。", 2, CourseCategories.Law)),
        };
        foreach (var (stage, subject) in DemoCourses.StageSubjects())
        {
            var national = await PublishedAsync(DemoCourses.NationalLesson(stage, subject));
            var pool = new List<Guid>();
            foreach (var request in DemoCourses.CityLessonCases(stage, subject))
            {
                pool.Add((await PublishedAsync(request)).Id);
            }
            var package = new PackageRequest(stage, subject, [
                new ItemRequest("国家级“优课”课例学习", [national.Id], null),
                new ItemRequest("有效观评课的方法与技术", [observation.Id], null),
                new ItemRequest("学科课例点评（随机推送 4 个市级“优课”课例）", pool, 4),
                new ItemRequest("教育政策与法律法规", [.. law.Select(c => c.Id)], null),
            ]);
            var courses = await CourseStore.FindAsync(unitOfWork, package.Items!.SelectMany(i => i.CourseIds!), cancellationToken);
            var items = RequiredPackageRules.Build(year.Id, package, courses, new BuildingBlocks.Http.Validation());
            await RequiredPackageStore.SaveAsync(unitOfWork, year.Id, stage, subject, items, By, now, cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return created;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo catalogue created: the program year, 6 topics and {Courses} published courses")]
    private partial void LogSeeded(int courses);
}

/// <summary>The demo catalogue's contents, deterministic.</summary>
internal static class DemoCourses
{
    public static readonly IReadOnlyList<string> SchoolStages = [Stages.Primary, Stages.Junior, Stages.Senior];

    public static ProgramYearRequest ProgramYear(DateOnly today) => new(
        today.Year.ToString(System.Globalization.CultureInfo.InvariantCulture),
        $"{today.Year}年“互联网+教师专业发展”工程",
        36, 14,
        new WindowsRequest(
            GroupListsDue: today.AddDays(10),
            TopicSelectionOpens: today.AddDays(-3),
            TopicSelectionCloses: today.AddDays(5),
            CourseSelectionOpens: today.AddDays(-2),
            StudyStarts: today.AddDays(14),
            RequiredStudyEnds: today.AddDays(100),
            CreditRegistrationCloses: today.AddDays(140)));

    public sealed record DemoTopic(string Code, string Name, string Description, IReadOnlyList<CourseRequest> Courses);

    // Codes are given in seeding order (KC00001 …).
    private const string Code = "demo";

    private static CourseRequest Online(string title, string summary, decimal hours, string category, IReadOnlyList<string> stages,
        IReadOnlyList<string>? subjects = null, string level = TrainingLevels.Provincial) =>
        new(Code, title, summary, hours, category, DeliveryModes.Online, level, stages, subjects ?? [], []);

    public static CourseRequest Common(string title, string summary, decimal hours, string category) =>
        Online(title, summary, hours, category, Stages.All);

    private static DemoTopic Topic(string code, string name, string category, params (string Title, decimal Hours)[] courses) =>
        new(code, name, $"{name}专题：{string.Join("、", courses.Take(3).Select(c => c.Title))}等课程。",
            [.. courses.Select(c => Online(c.Title, $"{name}专题课程：{c.Title}。结合中小学教学实际，提供案例、练习与讨论。", c.Hours, category, SchoolStages))]);

    public static readonly IReadOnlyList<DemoTopic> Topics =
    [
        Topic("T01", "班级管理", CourseCategories.ClassTeacher,
            ("班级管理的理念与方法", 4), ("班主任与学生的沟通艺术", 4), ("主题班会的设计与实施", 4), ("班级文化建设", 4), ("学生行为习惯养成教育", 4),
            ("家校合作的策略与方法", 4), ("班级突发事件的预防与处理", 4), ("小学班级管理案例研究", 4), ("中学班级管理案例研究", 4)),
        Topic("T02", "中国传统文化", CourseCategories.Ethics,
            ("中华优秀传统文化概论", 4), ("论语与教师修养", 4), ("传统节日与校园文化", 4), ("古诗词中的教育智慧", 4), ("书法艺术入门", 4),
            ("传统礼仪教育", 4), ("国学经典诵读指导", 4), ("传统文化进课堂的实践", 4), ("非物质文化遗产与学校教育", 4)),
        Topic("T03", "学生心理健康教育", CourseCategories.Subject,
            ("中小学生心理发展特点", 4), ("学生心理问题的识别与干预", 4), ("心理健康教育课的设计", 4), ("学习动机与学习策略辅导", 4),
            ("青春期心理辅导", 4), ("考试焦虑的应对", 4), ("校园欺凌的预防与心理支持", 4), ("教师心理健康与压力管理", 4), ("团体心理辅导活动设计", 4)),
        Topic("T04", "信息技术支持的教学环节优化", CourseCategories.EducationalTechnology,
            ("信息技术与课堂导入", 4), ("交互式课件的设计与制作", 4), ("课堂即时反馈工具的应用", 4), ("信息技术支持的探究学习", 4),
            ("信息技术支持的课堂评价", 4), ("网络学习空间的建设与应用", 4), ("数字教育资源的检索与整合", 4), ("智慧课堂的教学设计", 4),
            ("信息技术支持的分层作业", 4)),
        Topic("T05", "微课程的设计与应用", CourseCategories.EducationalTechnology,
            ("微课程概述", 4), ("微课的选题与教学设计", 4), ("微课脚本的编写", 4), ("微课录制工具与技巧", 4), ("微课的后期编辑", 4),
            ("翻转课堂中的微课应用", 4), ("微课程的评价标准", 4), ("学科微课案例赏析", 4), ("微课资源库的建设", 4)),
        Topic("T06", "教师艺术修养", CourseCategories.Subject,
            ("音乐欣赏与教师修养", 4), ("美术鉴赏基础", 4), ("教师的语言艺术", 4), ("教师的形象与礼仪", 4), ("影视作品中的教育", 4),
            ("戏剧教育与课堂表演", 4), ("摄影与校园生活", 4), ("中国画欣赏", 4), ("合唱指挥入门", 4)),
    ];

    public static IReadOnlyList<CourseRequest> KindergartenElectives(DateOnly today) =>
    [
        Online("幼儿园一日生活的组织与管理", "幼儿园一日生活各环节的组织要点。", 4, CourseCategories.Subject, [Stages.Kindergarten]),
        Online("幼儿游戏的观察与指导", "在游戏中观察、记录与支持幼儿。", 4, CourseCategories.Subject, [Stages.Kindergarten]),
        Online("幼儿园区域活动的创设", "区域环境创设与材料投放。", 4, CourseCategories.Subject, [Stages.Kindergarten]),
        Online("幼儿行为观察与评价", "幼儿行为观察方法与发展评价。", 4, CourseCategories.Subject, [Stages.Kindergarten]),
        Online("家园共育的策略", "幼儿园与家庭的沟通合作。", 4, CourseCategories.Subject, [Stages.Kindergarten]),
        Online("幼儿园安全教育与卫生保健", "安全教育与卫生保健常识。", 4, CourseCategories.Law, [Stages.Kindergarten]),
        Online("幼儿教师职业道德", "幼儿教师师德规范与案例。", 4, CourseCategories.Ethics, [Stages.Kindergarten]),
        new(Code, "幼儿园教师集中研修（4 天）", "“分散-集中-分散”研修中的集中阶段：观摩、研讨与实践。", 24, CourseCategories.Subject,
            DeliveryModes.Concentrated, TrainingLevels.County, [Stages.Kindergarten], [],
            [new SessionRequest("滨州市滨城区教师进修学校", today.AddDays(30), today.AddDays(33), 60),
             new SessionRequest("枣庄市教师进修学校", today.AddDays(37), today.AddDays(40), 60)]),
    ];

    /// <summary>Every stage and subject that gets its own required package (kindergartens: one for the stage).</summary>
    public static IEnumerable<(string Stage, string Subject)> StageSubjects()
    {
        foreach (var stage in SchoolStages)
        {
            foreach (var subject in Subjects.ByStage[stage])
            {
                yield return (stage, subject);
            }
        }
        yield return (Stages.Kindergarten, "");
    }

    public static CourseRequest NationalLesson(string stage, string subject)
    {
        var label = Label(stage, subject);
        return Online($"国家级“优课”课例学习：{label}", $"深入学习 2 节{label}国家级“优课”课例及专家团队围绕教学设计、信息技术应用的点评。", 4,
            CourseCategories.Subject, [stage], subject.Length > 0 ? [subject] : [], TrainingLevels.National);
    }

    public static IEnumerable<CourseRequest> CityLessonCases(string stage, string subject)
    {
        var label = Label(stage, subject);
        for (var i = 1; i <= 8; i++)
        {
            yield return Online($"市级“优课”课例点评：{label}（第 {i} 课）", $"观评{label}市级“优课”课例第 {i} 课，提交观课报告。", 3,
                CourseCategories.Subject, [stage], subject.Length > 0 ? [subject] : [], TrainingLevels.City);
        }
    }

    private static string Label(string stage, string subject) => StageNames.Names[stage] + subject;
}
