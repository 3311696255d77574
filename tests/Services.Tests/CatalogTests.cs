using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TrainingPlatform.Services.Catalog.Topics;
using Xunit;

namespace TrainingPlatform.Services.Tests;

public sealed class CourseCatalogTests : CatalogTestBase
{
    [Fact]
    public async Task A_published_course_changes_only_through_a_new_version_which_takes_its_place_in_topics()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2031"), HttpStatusCode.Created);
        var draft = await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", CourseBody("C-100", "班级管理的理念与方法"), HttpStatusCode.Created);
        var id = draft.GetProperty("id").GetGuid();
        Assert.Equal("draft", draft.GetProperty("status").GetString());

        // A draft is edited freely and is invisible to teachers.
        await SendOk(Operator, HttpMethod.Put, $"/api/catalog/courses/{id}", CourseBody("C-100", "班级管理的理念与方法", hours: 6));
        await Problem(Teacher("S1"), HttpMethod.Get, $"/api/catalog/courses/{id}", null, HttpStatusCode.NotFound);

        var published = await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/publish");
        Assert.Equal(6m, published.GetProperty("hours").GetDecimal());
        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2031/topics/T01",
            new { name = "班级管理", stages = new[] { "primary" }, courseIds = new[] { id } });

        // Hours and category of a published course do not silently change.
        var refused = await Problem(Operator, HttpMethod.Put, $"/api/catalog/courses/{id}", CourseBody("C-100", "班级管理的理念与方法", hours: 8),
            HttpStatusCode.Conflict);
        Assert.Contains("新版本", refused.GetProperty("detail").GetString());
        Assert.Equal("course-published", refused.GetProperty("rule").GetString());
        Assert.Equal(6m, (await SendOk(Teacher("S1"), HttpMethod.Get, $"/api/catalog/courses/{id}")).GetProperty("hours").GetDecimal());

        var v2 = await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/versions", CourseBody("C-100", "班级管理的理念与方法", hours: 8),
            HttpStatusCode.Created);
        var v2Id = v2.GetProperty("id").GetGuid();
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        Assert.Equal(draft.GetProperty("contentId").GetGuid(), v2.GetProperty("contentId").GetGuid());
        await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{v2Id}/publish");

        var old = await SendOk(Teacher("S1"), HttpMethod.Get, $"/api/catalog/courses/{id}");
        Assert.Equal("retired", old.GetProperty("status").GetString());
        var topic = await SendOk(Teacher("S1"), HttpMethod.Get, "/api/catalog/years/2031/topics/T01");
        Assert.Equal([v2Id], topic.GetProperty("courseIds").EnumerateArray().Select(e => e.GetGuid()));
        Assert.Equal(8m, topic.GetProperty("totalHours").GetDecimal());

        Assert.Equal(2, await OutboxCountAsync("CoursePublished"));
        Assert.Equal(1, await OutboxCountAsync("CourseRetired"));
        Assert.Equal(2, await OutboxCountAsync("TopicDefined"));
    }

    [Fact]
    public async Task Bad_courses_are_refused_naming_each_field_and_only_operators_write()
    {
        var problem = await Problem(Operator, HttpMethod.Post, "/api/catalog/courses", new
        {
            code = "C-1", title = "", hours = 0, category = "fun", mode = "online", level = "provincial", stages = new[] { "college" },
        }, HttpStatusCode.BadRequest);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "title", "hours", "category", "stages" }, fields);
        await Problem(Teacher("S1"), HttpMethod.Post, "/api/catalog/courses", CourseBody("C-2", "x"), HttpStatusCode.Forbidden);
        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from courses"));

        var concentrated = await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses",
            new { code = "C-3", title = "集中研修", hours = 24, category = "subject", mode = "concentrated", level = "county", stages = new[] { "kindergarten" } },
            HttpStatusCode.Created);
        var unpublishable = await Problem(Operator, HttpMethod.Post, $"/api/catalog/courses/{concentrated.GetProperty("id").GetGuid()}/publish", null,
            HttpStatusCode.UnprocessableEntity);
        Assert.Contains("场次", unpublishable.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Search_finds_chinese_words_in_titles_and_summaries_with_title_phrases_first_and_filters_by_topic()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2032"), HttpStatusCode.Created);
        var management = await PublishedCourseAsync("S-1", "班级管理的理念与方法");
        var summaryOnly = await PublishedCourseAsync("S-2", "班主任工作漫谈", summary: "介绍班级管理中的常见问题");
        var microLesson = await PublishedCourseAsync("S-3", "微课的选题与设计", stages: ["senior"]);
        await PublishedCourseAsync("S-4", "课堂管理技巧");
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", CourseBody("S-5", "班级管理草稿"), HttpStatusCode.Created);
        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2032/topics/T05",
            new { name = "微课程的设计与应用", stages = new[] { "senior" }, courseIds = new[] { microLesson } });

        static IEnumerable<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid());
        var teacher = Teacher("S1");
        var found = await SendOk(teacher, HttpMethod.Get, "/api/catalog/courses?q=" + Uri.EscapeDataString("班级管理"));
        Assert.Equal([management, summaryOnly], Ids(found)); // the title phrase first; the draft is not shown; 课堂管理 does not match
        Assert.Equal(2, found.GetProperty("total").GetInt64());

        Assert.Equal([microLesson], Ids(await SendOk(teacher, HttpMethod.Get, "/api/catalog/courses?q=" + Uri.EscapeDataString("微"))));
        var topicId = (await SendOk(teacher, HttpMethod.Get, "/api/catalog/years/2032/topics/T05")).GetProperty("id").GetGuid();
        var inTopic = await SendOk(teacher, HttpMethod.Get, $"/api/catalog/courses?topic={topicId}");
        Assert.Equal([microLesson], Ids(inTopic));
        Assert.Equal("微课程的设计与应用", inTopic.GetProperty("items")[0].GetProperty("topics")[0].GetString());
        Assert.Equal(3, (await SendOk(teacher, HttpMethod.Get, "/api/catalog/courses?stage=primary")).GetProperty("total").GetInt64());

        await Problem(teacher, HttpMethod.Get, "/api/catalog/courses?status=draft", null, HttpStatusCode.BadRequest);
        Assert.Equal(1, (await SendOk(Operator, HttpMethod.Get, "/api/catalog/courses?status=draft")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_required_package_totals_its_hours_and_gives_each_teacher_the_same_draw_every_time()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2033"), HttpStatusCode.Created);
        var national = await PublishedCourseAsync("R-1", "国家级优课课例：小学语文", 4, ["primary"]);
        var observation = await PublishedCourseAsync("R-2", "有效观评课的方法与技术", 2, ["primary"]);
        var pool = new List<Guid>();
        for (var i = 1; i <= 8; i++)
        {
            pool.Add(await PublishedCourseAsync($"R-P{i}", $"市级优课课例点评第{i}课", 3, ["primary"]));
        }
        var law = new[] { await PublishedCourseAsync("R-L1", "未成年人保护法", 2, ["primary"]), await PublishedCourseAsync("R-L2", "教育法", 2, ["primary"]) };
        var package = await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2033/required-packages", new
        {
            stage = "primary",
            subject = "语文",
            items = new object[]
            {
                new { title = "国家级优课", courseIds = new[] { national } },
                new { title = "观评课", courseIds = new[] { observation } },
                new { title = "学科课例点评", courseIds = pool, drawCount = 4 },
                new { title = "教育政策与法律法规", courseIds = law },
            },
        });
        Assert.Equal(22m, package.GetProperty("totalHours").GetDecimal());

        var teacherId = Guid.NewGuid();
        var first = await SendOk(Teacher("S1", teacherId), HttpMethod.Get, "/api/catalog/years/2033/required-packages/for?stage=primary&subject=" + Uri.EscapeDataString("语文"));
        var again = await SendOk(Teacher("S1", teacherId), HttpMethod.Get, "/api/catalog/years/2033/required-packages/for?stage=primary&subject=" + Uri.EscapeDataString("语文"));
        var courses = first.GetProperty("courses").EnumerateArray().Select(c => c.GetGuid()).ToList();
        Assert.Equal(1 + 1 + 4 + 2, courses.Count);
        Assert.Equal(courses, again.GetProperty("courses").EnumerateArray().Select(c => c.GetGuid()));
        Assert.Equal(4, courses.Count(pool.Contains));

        // A course of another stage cannot be pushed to primary teachers; nothing is saved.
        var senior = await PublishedCourseAsync("R-S", "高中课程", 4, ["senior"]);
        var refused = await Problem(Operator, HttpMethod.Put, "/api/catalog/years/2033/required-packages", new
        {
            stage = "primary", subject = "语文", items = new object[] { new { title = "x", courseIds = new[] { senior } } },
        }, HttpStatusCode.BadRequest);
        Assert.True(refused.GetProperty("errors").TryGetProperty("items[0].courseIds[0]", out _));
        Assert.Equal(1, (await SendOk(Operator, HttpMethod.Get, "/api/catalog/years/2033/required-packages")).EnumerateArray()
            .Single().GetProperty("version").GetInt32());
    }
}

public sealed class ProgramYearAndTopicChoiceTests : CatalogTestBase
{
    [Fact]
    public async Task Dates_out_of_order_are_refused_with_the_reason_and_nothing_changes()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2040"), HttpStatusCode.Created);
        var problem = await Problem(Operator, HttpMethod.Put, "/api/catalog/years/2040", YearBody("2040", courseOpens: 12, studyStarts: 10),
            HttpStatusCode.BadRequest);
        var rule = problem.GetProperty("errors").GetProperty("windows.studyStarts")[0].GetString();
        Assert.Contains("选课", rule);
        var year = await SendOk(Teacher("S1"), HttpMethod.Get, "/api/catalog/years/2040");
        Assert.Equal(1, year.GetProperty("version").GetInt32());
        await Problem(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2040", YearBody("2040"), HttpStatusCode.Forbidden);
        Assert.Equal(1, await OutboxCountAsync("ProgramYearScheduled"));
    }

    [Fact]
    public async Task A_school_chooses_inside_the_window_changes_until_study_starts_and_is_then_frozen()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2041"), HttpStatusCode.Created);
        var course = await PublishedCourseAsync("K-1", "班级管理的理念与方法");
        var topicA = (await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2041/topics/T01",
            new { name = "班级管理", stages = new[] { "primary", "junior" }, courseIds = new[] { course } })).GetProperty("id").GetGuid();
        var topicB = (await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2041/topics/T02",
            new { name = "中国传统文化", stages = new[] { "primary" }, courseIds = Array.Empty<Guid>() })).GetProperty("id").GetGuid();

        var chosen = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2041/schools/S1/topics", new { topicIds = new[] { topicA } });
        Assert.Equal("chosen", chosen.GetProperty("status").GetString());
        var changed = await SendOk(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2041/schools/S1/topics", new { topicIds = new[] { topicA, topicB } });
        Assert.Equal(2, changed.GetProperty("version").GetInt32());

        // Its teachers and its district see it; another school's admin may neither see nor choose for it.
        var seen = await SendOk(Teacher("S1"), HttpMethod.Get, "/api/catalog/years/2041/schools/S1/topics");
        Assert.Equal(["T01", "T02"], seen.GetProperty("topics").EnumerateArray().Select(t => t.GetProperty("code").GetString()));
        await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/catalog/years/2041/schools/S1/topics");
        await Problem(Teacher("S2"), HttpMethod.Get, "/api/catalog/years/2041/schools/S1/topics", null, HttpStatusCode.NotFound);
        await Problem(SchoolAdmin("S2"), HttpMethod.Put, "/api/catalog/years/2041/schools/S1/topics", new { topicIds = new[] { topicA } },
            HttpStatusCode.NotFound);
        // A junior school cannot take a primary-only topic; kindergartens choose none.
        var wrongStage = await Problem(SchoolAdmin("S3"), HttpMethod.Put, "/api/catalog/years/2041/schools/S3/topics", new { topicIds = new[] { topicB } },
            HttpStatusCode.BadRequest);
        Assert.True(wrongStage.GetProperty("errors").TryGetProperty("topicIds[0]", out _));
        await Problem(SchoolAdmin("K1"), HttpMethod.Put, "/api/catalog/years/2041/schools/K1/topics", new { topicIds = new[] { topicA } },
            HttpStatusCode.UnprocessableEntity);

        // Operators (and districts, in their scope) see who has not chosen; kindergartens are not listed.
        // (The broker is shared with the tests running beside this one, and the schools their Directory announces reach
        // this copy too: the lists are read for this tree's schools.)
        string[] ours = ["S1", "S2", "S3", "K1"];
        var pending = await SendOk(Operator, HttpMethod.Get, "/api/catalog/years/2041/topic-choices?status=pending");
        Assert.Equal(["S3", "S2"], pending.GetProperty("schools").EnumerateArray().Select(s => s.GetProperty("code").GetString()).Where(ours.Contains));
        Assert.Equal(1, pending.GetProperty("chosen").GetInt32());
        var district = await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/catalog/years/2041/topic-choices?status=pending");
        Assert.Equal(["S2"], district.GetProperty("schools").EnumerateArray().Select(s => s.GetProperty("code").GetString()).Where(ours.Contains));

        // Study starts today: the choice is frozen, with the reason, and announced once.
        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2041", YearBody("2041", topicOpens: -10, topicCloses: -5, courseOpens: -4, studyStarts: 0));
        var frozen = await Problem(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2041/schools/S1/topics", new { topicIds = new[] { topicA } },
            HttpStatusCode.Conflict);
        Assert.Contains("冻结", frozen.GetProperty("detail").GetString());
        Assert.Equal("frozen", frozen.GetProperty("rule").GetString());
        var freezer = Catalog.Services.GetServices<IHostedService>().OfType<TopicFreezer>().Single();
        await freezer.FreezeBatchAsync(CancellationToken.None);
        await freezer.FreezeBatchAsync(CancellationToken.None);
        Assert.Equal("frozen", (await SendOk(Teacher("S1"), HttpMethod.Get, "/api/catalog/years/2041/schools/S1/topics")).GetProperty("status").GetString());
        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "select count(*) from outbox_messages where message_type like '%SchoolTopicsChosen%' and body->>'change' = 'frozen'"));
        Assert.Equal(["chosen", "changed"], await connection.QueryAsync<string>("select change from school_topic_choice_history order by id"));
    }

    [Fact]
    public async Task A_school_that_missed_the_window_chooses_after_the_operator_extends_it_for_its_district()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2042", topicOpens: -6, topicCloses: -1, courseOpens: -1, studyStarts: 10),
            HttpStatusCode.Created);
        var topic = (await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2042/topics/T01",
            new { name = "班级管理", stages = new[] { "primary", "junior" }, courseIds = Array.Empty<Guid>() })).GetProperty("id").GetGuid();
        var closed = await Problem(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2042/schools/S1/topics", new { topicIds = new[] { topic } },
            HttpStatusCode.Conflict);
        Assert.Contains("截止", closed.GetProperty("detail").GetString());
        Assert.Equal("window-closed", closed.GetProperty("rule").GetString());

        // An extension must end before study starts, and needs a reason.
        await Problem(Operator, HttpMethod.Post, "/api/catalog/years/2042/windows/topic_selection/adjustments",
            new { organisationCode = "371602", closesOn = Today.AddDays(10), kind = "extended", reason = "暴雨停电" }, HttpStatusCode.BadRequest);
        await Problem(Operator, HttpMethod.Post, "/api/catalog/years/2042/windows/topic_selection/adjustments",
            new { organisationCode = "371602", closesOn = Today.AddDays(3), kind = "extended" }, HttpStatusCode.BadRequest);
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years/2042/windows/topic_selection/adjustments",
            new { organisationCode = "371602", closesOn = Today.AddDays(3), kind = "extended", reason = "暴雨停电，延长三天" }, HttpStatusCode.Created);

        var dates = await SendOk(Teacher("S1"), HttpMethod.Get, "/api/catalog/years/2042/my-dates");
        Assert.True(dates.GetProperty("topicSelectionOpen").GetBoolean());
        Assert.Equal("暴雨停电，延长三天", dates.GetProperty("topicSelection").GetProperty("reason").GetString());
        Assert.False((await SendOk(Teacher("S3"), HttpMethod.Get, "/api/catalog/years/2042/my-dates")).GetProperty("topicSelectionOpen").GetBoolean());

        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2042/schools/S1/topics", new { topicIds = new[] { topic } });
        await Problem(SchoolAdmin("S3"), HttpMethod.Put, "/api/catalog/years/2042/schools/S3/topics", new { topicIds = new[] { topic } },
            HttpStatusCode.Conflict);
        var kept = await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/catalog/years/2042/windows/adjustments");
        Assert.Equal("暴雨停电，延长三天", kept[0].GetProperty("reason").GetString());
        Assert.Equal(1, await OutboxCountAsync("SelectionWindowAdjusted"));
    }
}
