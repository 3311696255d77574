using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The elective rules (Enrollment's <c>ElectiveRules</c>) and the learning side's bad reports, through the gateway on
/// the running platform, after <see cref="ProgramYearFlow"/>: 王丽 has completed one elective of this year. The demo
/// has only this year, so the operator schedules the next one through Catalog's public API and moves it through its
/// phases, as an operator would: 重复参训 while its window is open, a closed window for her school, then study started.
/// Every refusal is shown to leave the teacher's year as it was.
/// </summary>
internal static class ElectiveRulesFlow
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const string School = "371602001"; // 滨城区第一中学
    private const string Teacher = "371602198503120028"; // 王丽, senior 语文

    public static async Task RunAsync(HttpClient http, string password, ITestOutputHelper output)
    {
        var operatorToken = await Gateway.SignInAsync(http, "operator", password);
        var school = await Gateway.SignInAsync(http, $"school-{School}", password);
        var teacher = await Gateway.SignInAsync(http, Teacher, password);
        // The services' "today" is the province's calendar day (ProvinceCalendar); the test cannot move their clock,
        // so every date below is set relative to it.
        var today = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).DateTime);
        var year = today.Year.ToString(CultureInfo.InvariantCulture); // the demo's year, as ProgramYearFlow finds it

        // The course 王丽 completed this year, and its next version: same content, new title. Publishing it retires
        // the first version.
        var completed = (await Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", teacher)).GetProperty("electiveCourses")
            .EnumerateArray().Single(c => c.GetProperty("status").GetString() == "completed");
        var first = await Gateway.GetAsync(http, $"/api/catalog/courses/{completed.GetProperty("courseId").GetGuid()}", operatorToken);
        var firstTitle = first.GetProperty("title").GetString()!;
        var revised = await PublishNewVersionAsync(http, operatorToken, first, $"{firstTitle}（修订版）");
        var fresh = await PublishNewCourseAsync(http, operatorToken, "rules-fresh", "新课标下的单元整体教学设计");

        // The next program year, in the same five-year cycle: its topic and course windows open now. A year belongs
        // to the cycle of the calendar year its study starts in, so it starts study on the demo year's day; a later
        // day could fall in the next cycle when the test runs in a cycle's last December.
        var next = (int.Parse(year, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        var studyStarts = (await Gateway.GetAsync(http, $"/api/catalog/years/{year}", operatorToken))
            .GetProperty("windows").GetProperty("studyStarts").Deserialize<DateOnly>();
        await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/catalog/years", operatorToken,
            YearRequest(next, today, topicCloses: today.AddDays(5), studyStarts: studyStarts), HttpStatusCode.Created);
        var topic = await Gateway.SendOkAsync(http, HttpMethod.Put, $"/api/catalog/years/{next}/topics/rules", operatorToken, new
        {
            name = "大单元教学与课程内容更新",
            stages = new[] { "primary", "junior", "senior" },
            courseIds = new[] { revised, fresh },
        });
        await Gateway.SendOkAsync(http, HttpMethod.Put, $"/api/catalog/years/{next}/schools/{School}/topics", school,
            new { topicIds = new[] { topic.GetProperty("id").GetGuid() } });
        var electives = $"/api/enrollment/years/{next}/electives";
        await Gateway.EventuallyPostAsync(http, electives, teacher, new { courseId = fresh }, Patience);

        // 重复参训: the revised course has the content she completed this year. Until Enrollment has heard of the
        // revision it refuses for another reason, so asking again never enrols her.
        var repeated = await RefusedWithoutChangeAsync(http, teacher, next, HttpMethod.Post, electives, new { courseId = revised },
            HttpStatusCode.Conflict, "repeated-training");
        // She must be able to see which earlier enrollment it is: the year, the course as she took it, how it stands.
        Assert.Contains($"{year} 年度", repeated);
        Assert.Contains($"“{firstTitle}”", repeated);
        Assert.Contains("已完成", repeated);
        output.WriteLine($"repeated-training: {repeated}");

        // A retired course: the first version, gone since the revision. Checked before the duplicate, so she is told
        // it is retired (until Enrollment hears of the retirement: already enrolled; never a new enrollment).
        var retired = await RefusedWithoutChangeAsync(http, teacher, year, HttpMethod.Post, $"/api/enrollment/years/{year}/electives",
            new { courseId = first.GetProperty("id").GetGuid() }, HttpStatusCode.UnprocessableEntity, "course-unavailable");
        Assert.Contains("已停用", retired);

        // Her school's course selection closes early (a staggered batch that ended yesterday) while study is still weeks
        // away: closed, not frozen.
        var closedOn = today.AddDays(-1);
        await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/catalog/years/{next}/windows/course_selection/adjustments", operatorToken, new
        {
            organisationCode = School, opensOn = today.AddDays(-3), closesOn = closedOn, kind = "staggered", reason = "第一批学校错峰选课，已结束",
        }, HttpStatusCode.Created);
        await Gateway.EventuallyAsync(http, $"/api/enrollment/years/{next}/me", teacher,
            m => m.GetProperty("courseSelection").GetProperty("closesOn").GetString() == Date(closedOn), Patience,
            "Enrollment to know the school's window closed");
        var closed = await RefusedWithoutChangeAsync(http, teacher, next, HttpMethod.Post, electives, new { courseId = revised },
            HttpStatusCode.Conflict, "window-closed");
        Assert.Contains($"已于 {Date(closedOn)} 截止", closed);

        // The operator brings study forward to today: from now on nothing is chosen or dropped.
        await Gateway.SendOkAsync(http, HttpMethod.Put, $"/api/catalog/years/{next}", operatorToken,
            YearRequest(next, today, topicCloses: today.AddDays(-1), studyStarts: today));
        await Gateway.EventuallyAsync(http, $"/api/enrollment/years/{next}/me", teacher,
            m => m.GetProperty("courseSelection").GetProperty("frozen").GetBoolean(), Patience, "Enrollment to know study has started");
        var frozen = await RefusedWithoutChangeAsync(http, teacher, next, HttpMethod.Post, electives, new { courseId = revised },
            HttpStatusCode.Conflict, "frozen");
        Assert.Contains($"学习已于 {Date(today)} 开始", frozen);
        var drop = await RefusedWithoutChangeAsync(http, teacher, next, HttpMethod.Delete, $"{electives}/{fresh}", null,
            HttpStatusCode.Conflict, "frozen");
        Assert.Contains("不能再退选", drop);

        await BadInputsAsync(http, password, teacher, next, fresh, revised);
        output.WriteLine($"elective rules through the gateway: repeated-training, course-unavailable, window-closed, frozen (choose and drop) in {next}");
    }

    /// <summary>
    /// The issue's other bad inputs the flow does not meet on its way: a colleague's record, and reports from the learning
    /// side out of range or for a course she is not in.
    /// </summary>
    private static async Task BadInputsAsync(HttpClient http, string password, string teacher, string next, Guid fresh, Guid notHers)
    {
        // Another teacher's id: her own transcript, never a colleague's (Credits, as Directory in ThroughTheGatewayAsync).
        var school = await Gateway.SignInAsync(http, $"school-{School}", password);
        var hers = (await Gateway.GetAsync(http, "/api/directory/account", teacher)).GetProperty("teacherId").GetGuid();
        var colleague = (await Gateway.GetAsync(http, "/api/directory/teachers", school)).EnumerateArray()
            .First(t => t.GetProperty("id").GetGuid() != hers).GetProperty("id").GetGuid();
        await Gateway.SendOkAsync(http, HttpMethod.Get, $"/api/credits/teachers/{colleague}/transcript", teacher, null, HttpStatusCode.NotFound);

        var platform = await Gateway.SignInAsync(http, "learning-platform", password);
        var teacherId = (await Gateway.GetAsync(http, "/api/directory/account", teacher)).GetProperty("teacherId").GetGuid();
        object Report(string id, Guid course, decimal percent, decimal? score = null) => new
        {
            reportId = $"rules-{id}-{teacherId:N}", teacherId, courseId = course, programYear = next, minutesStudied = 60, percent, testScore = score,
        };

        // A batch with progress over 100 % and a score out of range is refused whole, the good report in it too.
        var before = await MyYearAsync(http, teacher, next);
        var invalid = await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/enrollment/progress", platform,
            new { reports = new[] { Report("ok", fresh, 50), Report("over", fresh, 101), Report("score", fresh, 50, score: 1001) } },
            HttpStatusCode.BadRequest);
        var errors = invalid.GetProperty("errors");
        Assert.True(errors.TryGetProperty("reports[1].percent", out _), errors.GetRawText());
        Assert.True(errors.TryGetProperty("reports[2].testScore", out _), errors.GetRawText());
        Assert.False(errors.TryGetProperty("reports[0].percent", out _), errors.GetRawText());
        Assert.Equal(before.GetRawText(), (await MyYearAsync(http, teacher, next)).GetRawText());

        // Progress for a course she is not in refuses the batch (422, the report named), the good report in it too.
        var notEnrolled = await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/enrollment/progress", platform,
            new { reports = new[] { Report("ok-2", fresh, 50), Report("not-hers", notHers, 100) } }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("not-enrolled", notEnrolled.GetProperty("rule").GetString());
        Assert.True(notEnrolled.GetProperty("errors").TryGetProperty("reports[1].courseId", out _), notEnrolled.GetRawText());
        Assert.False(notEnrolled.GetProperty("errors").TryGetProperty("reports[0].courseId", out _), notEnrolled.GetRawText());
        Assert.Equal(before.GetRawText(), (await MyYearAsync(http, teacher, next)).GetRawText());
    }

    /// <summary>
    /// Asks until the refusal names <paramref name="rule"/> — the facts Enrollment decides on arrive through the broker,
    /// and until then it may refuse for another reason, never accept — then shows the teacher's year is exactly as
    /// before. Returns the refusal's detail, the words the teacher reads.
    /// </summary>
    private static async Task<string> RefusedWithoutChangeAsync(HttpClient http, string token, string year, HttpMethod method, string path,
        object? body, HttpStatusCode status, string rule)
    {
        var before = await MyYearAsync(http, token, year);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await Gateway.SendAsync(http, method, path, token, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.False(response.IsSuccessStatusCode, $"{method} {path} was accepted, expected the rule {rule}: {text}");
            var problem = JsonDocument.Parse(text).RootElement;
            if (response.StatusCode == status && problem.TryGetProperty("rule", out var named) && named.GetString() == rule)
            {
                Assert.Equal(before.GetRawText(), (await MyYearAsync(http, token, year)).GetRawText());
                return problem.GetProperty("detail").GetString()!;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"waited {Patience.TotalSeconds:0} s for {method} {path} to be refused with {rule}; last answer: {(int)response.StatusCode} {text}");
            }
            await Task.Delay(500);
        }
    }

    private static Task<JsonElement> MyYearAsync(HttpClient http, string token, string year) =>
        Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", token);

    /// <summary>A program year whose topic and course selection opened three days ago.</summary>
    private static object YearRequest(string code, DateOnly today, DateOnly topicCloses, DateOnly studyStarts) => new
    {
        code,
        name = $"{code}年“互联网+教师专业发展”工程",
        minAnnualHours = 36,
        minElectiveHours = 14,
        windows = new
        {
            groupListsDue = studyStarts,
            topicSelectionOpens = today.AddDays(-3),
            topicSelectionCloses = topicCloses,
            courseSelectionOpens = today.AddDays(-3),
            studyStarts,
            requiredStudyEnds = today.AddDays(120),
            creditRegistrationCloses = today.AddDays(150),
        },
    };

    /// <summary>The next version of a published course, as the operator writes it: same content, new title.</summary>
    private static async Task<Guid> PublishNewVersionAsync(HttpClient http, string operatorToken, JsonElement course, string title)
    {
        var draft = await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/catalog/courses/{course.GetProperty("id").GetGuid()}/versions",
            operatorToken, CourseRequest(title, course), HttpStatusCode.Created);
        Assert.Equal(course.GetProperty("contentId").GetGuid(), draft.GetProperty("contentId").GetGuid());
        return await PublishAsync(http, operatorToken, draft);
    }

    /// <summary>A course with content of its own, like the revised one in every other respect.</summary>
    private static async Task<Guid> PublishNewCourseAsync(HttpClient http, string operatorToken, string code, string title)
    {
        var draft = await Gateway.SendOkAsync(http, HttpMethod.Post, "/api/catalog/courses", operatorToken, new
        {
            code, title, summary = "", hours = 4, category = "subject", mode = "online", level = "provincial",
            stages = new[] { "primary", "junior", "senior" }, subjects = Array.Empty<string>(),
        }, HttpStatusCode.Created);
        return await PublishAsync(http, operatorToken, draft);
    }

    private static object CourseRequest(string title, JsonElement like) => new
    {
        title,
        summary = like.GetProperty("summary").GetString(),
        hours = like.GetProperty("hours").GetDecimal(),
        category = like.GetProperty("category").GetString(),
        mode = like.GetProperty("mode").GetString(),
        level = like.GetProperty("level").GetString(),
        stages = like.GetProperty("stages"),
        subjects = like.GetProperty("subjects"),
    };

    private static async Task<Guid> PublishAsync(HttpClient http, string operatorToken, JsonElement draft)
    {
        var id = draft.GetProperty("id").GetGuid();
        await Gateway.SendOkAsync(http, HttpMethod.Post, $"/api/catalog/courses/{id}/publish", operatorToken, null);
        return id;
    }

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
