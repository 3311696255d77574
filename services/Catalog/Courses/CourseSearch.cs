using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Catalog.Courses;

public record CourseSummary
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public int Version { get; init; }
    public string Status { get; init; } = "";
    public string Title { get; init; } = "";
    public string Summary { get; init; } = "";
    public decimal Hours { get; init; }
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
    public string[] Stages { get; init; } = [];
    public string[] Subjects { get; init; } = [];
    public string[] Topics { get; init; } = [];
}

public sealed record CoursePage(long Total, int Page, int PageSize, IReadOnlyList<CourseSummary> Items);

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

    public static async Task<IResult> SearchAsync(HttpContext http, NpgsqlDataSource db, SearchCache cache, string? q, string? stage, string? subject,
        Guid? topic, string? category, string? mode, string? level, string? status, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(page is null or >= 1, "page", "页码从 1 开始")
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条")
            .Require(status is null or CourseStatuses.Published || user.IsOperator, "status", "只有平台运营可以查看草稿和已停用课程")
            .Require(status is null or CourseStatuses.Draft or CourseStatuses.Published or CourseStatuses.Retired or "all", "status",
                "状态应为 draft、published、retired 或 all")
            .Require((q ?? "").Length <= 100, "q", "搜索词不超过 100 字");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var tsQuery = string.IsNullOrWhiteSpace(q) ? null : CjkTokens.ToTsQuery(q);
        var size = pageSize ?? 20;
        var number = page ?? 1;

        var parameters = new DynamicParameters();
        var where = new List<string>();
        void Filter(string sql, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(sql);
                parameters.Add(name, value);
            }
        }
        Filter("c.status = @Status", "Status", status is "all" ? null : status ?? CourseStatuses.Published);
        Filter("c.stages @> array[@Stage]", "Stage", stage); // the form the GIN index on stages can answer
        Filter("(cardinality(c.subjects) = 0 or @Subject = any(c.subjects))", "Subject", subject);
        Filter("exists (select 1 from topic_courses tc where tc.course_id = c.id and tc.topic_id = @Topic)", "Topic", topic);
        Filter("c.category = @Category", "Category", category);
        Filter("c.mode = @Mode", "Mode", mode);
        Filter("c.level = @Level", "Level", level);
        Filter("c.search @@ @TsQuery::tsquery", "TsQuery", tsQuery);
        parameters.Add("Phrase", q?.Trim() ?? "");
        parameters.Add("Limit", size);
        parameters.Add("Offset", (number - 1) * size);
        if (!string.IsNullOrWhiteSpace(q) && tsQuery is null)
        {
            where.Add("false"); // punctuation only: nothing can match
        }

        // The matches narrow (id and sort keys), counted once and paged; only the page's rows are read in full and get
        // their topics. A window count over full rows carried every match's title, summary and arrays through the
        // sort (spilling to disk on broad queries).
        var filter = where.Count > 0 ? "where " + string.Join(" and ", where) : "";
        var sql = $"""
            with matches as (
                select c.id, c.code, c.version, (@Phrase <> '' and strpos(c.title, @Phrase) > 0) as title_has_phrase
                from courses c
                {filter}
            ), page as (
                select * from matches order by title_has_phrase desc, code, version desc limit @Limit offset @Offset
            )
            select (select count(*) from matches) as total, c.id, c.code, c.version, c.status, c.title, c.summary, c.hours, c.category,
                   c.mode, c.level, c.stages, c.subjects,
                   array(select t.name from topic_courses tc join topics t on t.id = tc.topic_id where tc.course_id = c.id order by t.name) as topics
            from page p
            join courses c on c.id = p.id
            order by p.title_has_phrase desc, p.code, p.version desc
            """;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // The answer depends on nothing but these (who asks only decides whether a status other than published may be asked).
        var key = string.Join('\u001f', q?.Trim(), stage, subject, topic, category, mode, level, status, number, size);
        return TypedResults.Ok(await cache.GetOrSearchAsync(connection, key, async () =>
        {
            var rows = (await connection.QueryAsync<CourseSummaryWithTotal>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).ToList();
            var total = rows.Count > 0 ? rows[0].Total
                : number == 1 ? 0
                : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    $"select count(*) from courses c {filter}", parameters,
                    cancellationToken: cancellationToken));
            return new CoursePage(total, number, size, rows);
        }, cancellationToken));
    }

    private sealed record CourseSummaryWithTotal : CourseSummary
    {
        public long Total { get; init; }
    }
}
