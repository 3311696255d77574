using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Catalog.Courses;

[Description("搜索结果中的一门课程")]
public record CourseSummary
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public int Version { get; init; }
    [Codes(typeof(CourseStatuses))] public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public decimal Hours { get; init; }
    [Codes(typeof(CourseCategories))] public string Category { get; init; } = "";
    [Codes(typeof(DeliveryModes))] public string Mode { get; init; } = "";
    [Codes(typeof(TrainingLevels))] public string Level { get; init; } = "";
    [Codes(typeof(StageNames))] public string[] Stages { get; init; } = [];
    [Description("适用学科；空表示所列学段的所有学科")] public string[] Subjects { get; init; } = [];
    [Description("课程所在专题的名称")] public string[] Topics { get; init; } = [];
}

[Description("一页搜索结果")]
public sealed record CoursePage(
    [property: Description("符合条件的课程总数")] long Total,
    int Page,
    int PageSize,
    IReadOnlyList<CourseSummary> Items);

/// <summary>A search as the store runs it: the filters given, the status resolved, the text as a tsquery.</summary>
public sealed record CourseQuery(string? Text, string? TsQuery, string? Stage, string? Subject, Guid? Topic, string? Category, string? Mode,
    string? Level, string? Status, int Page, int PageSize);

/// <summary>What the search's status filter may ask for: a course status, or all of them.</summary>
public static class CourseStatusFilters
{
    public const string All = "all";

    public static readonly IReadOnlyDictionary<string, string> Names =
        CourseStatuses.Names.Append(new(All, "全部（草稿、已发布、已停用）")).ToDictionary();
}

/// <summary>
/// Browse and search: filters by stage, subject, topic, category, mode and level, and free text in Chinese over
/// titles and summaries (see <see cref="CjkTokens"/>). Ranked by an exact phrase in the title first, then by code
/// (newest version first). Teachers and admins see published courses; operators may ask for any status.
/// </summary>
/// <remarks>
/// There is no term-weight rank: the search vector is built with <c>array_to_tsvector</c>, whose terms have no
/// positions, and <c>setweight</c> keeps weights on positions, so the title's 'A' and the summary's 'B' are not stored
/// and <c>ts_rank</c> gives every course matching a query the same score. Ordering by it decided nothing (bar a Latin
/// prefix matching two words of one course) and cost reading every match's search vector, most of them from TOAST.
/// </remarks>
public static class CourseSearch
{
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 20;
    public const int MaxTextLength = 100;

    public static async Task<Results<Ok<CoursePage>, ValidationFailed>> SearchAsync(HttpContext http, NpgsqlDataSource db, SearchCache cache,
        [Description("搜索词：在课程名称和简介中查找（中文按字词匹配），名称中含完整搜索词的排在前面"), MaxLength(MaxTextLength)] string? q,
        [Codes(typeof(StageNames)), Description("适用学段")] string? stage,
        [Codes(typeof(Subjects)), Description("适用学科（也包括适用于所有学科的课程）")] string? subject,
        [Description("专题 id：只看该专题中的课程")] Guid? topic,
        [Codes(typeof(CourseCategories)), Description("学时类别")] string? category,
        [Codes(typeof(DeliveryModes)), Description("培训形式")] string? mode,
        [Codes(typeof(TrainingLevels)), Description("培训级别")] string? level,
        [Codes(typeof(CourseStatusFilters)), Description("课程状态，默认 published；其他状态只有平台运营可以查看")] string? status,
        [Range(1, int.MaxValue), Description("页码，从 1 开始，默认 1")] int? page,
        [Range(1, MaxPageSize), Description("每页条数，默认 20")] int? pageSize,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(page is null or >= 1, "page", "页码从 1 开始")
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条")
            .Require(status is null or CourseStatuses.Published || user.IsOperator, "status", "只有平台运营可以查看草稿和已停用课程")
            .Require(status is null || CourseStatusFilters.Names.ContainsKey(status), "status",
                "状态应为 draft、published、retired 或 all")
            .Require((q ?? "").Length <= MaxTextLength, "q", $"搜索词不超过 {MaxTextLength} 字")
            // The document lists the codes: an unknown one is a mistake to say, not a filter that matches nothing.
            .RequireKnownCode(stage, StageNames.Names, "stage", "学段")
            .RequireKnownCode(subject, Subjects.Names, "subject", "学科")
            .RequireKnownCode(category, CourseCategories.Names, "category", "学时类别")
            .RequireKnownCode(mode, DeliveryModes.Names, "mode", "培训形式")
            .RequireKnownCode(level, TrainingLevels.Names, "level", "培训级别");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var size = pageSize ?? DefaultPageSize;
        var number = page ?? 1;
        var search = new CourseQuery(q, string.IsNullOrWhiteSpace(q) ? null : CjkTokens.ToTsQuery(q), stage, subject, topic, category, mode,
            level, status is CourseStatusFilters.All ? null : status ?? CourseStatuses.Published, number, size);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // The answer depends on nothing but these (who asks only decides whether a status other than published may be asked).
        var key = string.Join('\u001f', q?.Trim(), stage, subject, topic, category, mode, level, status, number, size);
        return TypedResults.Ok(await cache.GetOrSearchAsync(connection, key,
            () => CourseStore.SearchAsync(connection, search, cancellationToken), cancellationToken));
    }
}
