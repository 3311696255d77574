using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// What a fuzzer sent and got a 500 for: a null element inside a request's list, and a cycle or year no cycle can be
/// in. Each is a 400 naming the field (with its place in the list) and a kebab-case rule beside the Chinese words,
/// and changes nothing.
/// </summary>
internal static class BadInput
{
    /// <summary>Sends <paramref name="json"/> as it is and insists on a 400 naming <paramref name="field"/> with <paramref name="rule"/>.</summary>
    public static async Task<JsonElement> RefusedAsync(HttpClient client, HttpMethod method, string path, string? json, string field, string rule)
    {
        var (status, text) = await SendAsync(client, method, path, json);
        Assert.True(status == HttpStatusCode.BadRequest, $"{method} {path} {json}: expected 400, got {(int)status}: {text}");
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var words), $"{method} {path} {json}: {field} is not named in {text}");
        Assert.Contains(words.EnumerateArray(), w => w.GetString()!.Any(IsChinese));
        Assert.True(problem.TryGetProperty("rules", out var rules) && rules.TryGetProperty(field, out var names)
            && names.EnumerateArray().Any(n => n.GetString() == rule), $"{method} {path} {json}: rule {rule} of {field} missing in {text}");
        Assert.Contains(problem.GetProperty("detail").GetString()!, IsChinese);
        return problem;
    }

    /// <summary>As <see cref="RefusedAsync"/>, for a request whose one fault is <paramref name="field"/>: named at the top, as a 409's is.</summary>
    public static async Task OnlyFieldRefusedAsync(HttpClient client, HttpMethod method, string path, string? json, string field, string rule)
    {
        var problem = await RefusedAsync(client, method, path, json, field, rule);
        Assert.True(problem.TryGetProperty("field", out var named) && named.GetString() == field
            && problem.TryGetProperty("rule", out var broken) && broken.GetString() == rule, $"{method} {path} {json}: not only {field} refused: {problem}");
    }

    /// <summary>
    /// A body the framework cannot read: a 400 whose one fault is <paramref name="field"/> with <paramref name="rule"/>,
    /// said in Chinese, with nothing of .NET in it (no type names, no English from the serializer).
    /// </summary>
    public static async Task UnreadableAsync(HttpClient client, HttpMethod method, string path, string? json, string field, string rule)
    {
        await OnlyFieldRefusedAsync(client, method, path, json, field, rule);
        var (_, text) = await SendAsync(client, method, path, json);
        foreach (var internals in new[] { "TrainingPlatform.", "System.", "JSON value", "could not be converted", "Path:", "LineNumber" })
        {
            Assert.False(text.Contains(internals, StringComparison.Ordinal), $"{method} {path} {json}: {internals} in {text}");
        }
    }

    public static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Every row of <paramref name="tables"/> (a table, or a query in parentheses), hashed, and how many outbox messages
    /// match <paramref name="outbox"/>: other test classes' events reach every service's copy, so a test narrows what
    /// they may change meanwhile to its own records.
    /// </summary>
    public static async Task<string> FingerprintAsync(NpgsqlDataSource db, string outbox, params string[] tables)
    {
        await using var connection = await db.OpenConnectionAsync();
        var parts = new List<string>();
        foreach (var table in tables)
        {
            parts.Add($"{table}:{await connection.ExecuteScalarAsync<string>(
                $"select count(*) || '/' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {table} t")}");
        }
        parts.Add($"outbox:{await connection.ExecuteScalarAsync<long>($"select count(*) from outbox_messages where {outbox}")}");
        return string.Join("\n", parts);
    }

    private static bool IsChinese(char c) => c is >= '\u4e00' and <= '\u9fff';
}

public sealed class CatalogBadInputTests : CatalogTestBase
{
    private Task<string> FingerprintAsync() => BadInput.FingerprintAsync(Db, "true", "courses", "course_sessions", "topics", "topic_courses",
        "required_packages", "program_years");

    [Fact]
    public async Task A_null_element_in_any_list_is_a_field_error_and_saves_nothing()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2061"), HttpStatusCode.Created);
        var course = await PublishedCourseAsync("NE-1", "班级管理", 4, ["primary"]);
        var draft = (await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", CourseBody("NE-2", "草稿"), HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        var before = await FingerprintAsync();

        const string Course = """
            "title":"集中研修","hours":8,"category":"subject","mode":"concentrated","level":"county","subjects":[]
            """;
        var refused = new (HttpMethod Method, string Path, string Json, string Field)[]
        {
            (HttpMethod.Post, "/api/catalog/courses", $$"""{"code":"NE-3",{{Course}},"stages":["primary"],"sessions":[null]}""", "sessions[0]"),
            (HttpMethod.Post, "/api/catalog/courses", $$"""{"code":"NE-3",{{Course}},"stages":[null]}""", "stages[0]"),
            (HttpMethod.Post, "/api/catalog/courses", $$"""{"code":"NE-3",{{Course}},"stages":["primary"],"subjects":["语文",null]}""", "subjects[1]"),
            (HttpMethod.Post, "/api/catalog/courses",
                $$"""{"code":"NE-3",{{Course}},"stages":["primary"],"sessions":[{"place":"滨州","startsOn":"2061-08-01","endsOn":"2061-08-02","capacity":5},null]}""",
                "sessions[1]"),
            (HttpMethod.Put, $"/api/catalog/courses/{draft}", $$"""{"code":"NE-2",{{Course}},"stages":["primary"],"sessions":[null]}""", "sessions[0]"),
            (HttpMethod.Post, $"/api/catalog/courses/{course}/versions", $$"""{"code":"NE-1",{{Course}},"stages":[null]}""", "stages[0]"),
            (HttpMethod.Put, "/api/catalog/years/2061/topics/T01", $$"""{"name":"班级管理","stages":[null],"courseIds":["{{course}}"]}""", "stages[0]"),
            (HttpMethod.Put, "/api/catalog/years/2061/required-packages", """{"stage":"primary","subject":"语文","items":[null]}""", "items[0]"),
            (HttpMethod.Put, "/api/catalog/years/2061/required-packages",
                $$"""{"stage":"primary","subject":"语文","items":[{"title":"国家级优课","courseIds":["{{course}}"]},null]}""", "items[1]"),
            // Refused before the year is looked up: the body is wrong whichever year it names.
            (HttpMethod.Put, "/api/catalog/years/1999/required-packages", """{"stage":"primary","items":[null]}""", "items[0]"),
        };
        foreach (var (method, path, json, field) in refused)
        {
            await BadInput.RefusedAsync(Operator, method, path, json, field, "required");
        }
        // The fuzzer's own bodies: the null element is their one fault named, whatever else is missing.
        foreach (var (method, path, json, field) in new (HttpMethod, string, string, string)[]
                 {
                     (HttpMethod.Post, "/api/catalog/courses", """{"sessions":[null]}""", "sessions[0]"),
                     (HttpMethod.Post, "/api/catalog/courses", """{"stages":[null]}""", "stages[0]"),
                     (HttpMethod.Put, "/api/catalog/years/2061/topics/T01", """{"stages":[null]}""", "stages[0]"),
                     (HttpMethod.Put, "/api/catalog/years/2061/required-packages", """{"items":[null]}""", "items[0]"),
                 })
        {
            await BadInput.OnlyFieldRefusedAsync(Operator, method, path, json, field, "required");
        }
        // A null where a course id belongs is not an id: the body cannot be read, and the refusal names the element as
        // the check of every other list does.
        foreach (var (path, json, field) in new[]
                 {
                     ("/api/catalog/years/2061/topics/T01", """{"name":"班级管理","stages":["primary"],"courseIds":[null]}""", "courseIds[0]"),
                     ("/api/catalog/years/2061/topics/T01", $$"""{"name":"班级管理","stages":["primary"],"courseIds":["{{course}}",null]}""", "courseIds[1]"),
                     ("/api/catalog/years/2061/schools/S1/topics", """{"topicIds":[null]}""", "topicIds[0]"),
                 })
        {
            await BadInput.UnreadableAsync(Operator, HttpMethod.Put, path, json, field, "required");
        }
        Assert.Equal(before, await FingerprintAsync());

        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2061/topics/T01",
            new { name = "班级管理", stages = new[] { "primary" }, courseIds = new[] { course } });
    }

    [Fact]
    public async Task A_course_title_with_emoji_or_control_characters_is_refused_and_saves_nothing()
    {
        var before = await FingerprintAsync();
        foreach (var title in new[] { "班级管理🎉", "班级\u0000管理", "班级管理\n第二行", "班级\u202E管理" })
        {
            await BadInput.OnlyFieldRefusedAsync(Operator, HttpMethod.Post, "/api/catalog/courses",
                JsonSerializer.Serialize(CourseBody("EMO-1", title), JsonSerializerOptions.Web), "title", "invalid-characters");
        }
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public async Task A_program_year_dated_where_no_cycle_reaches_is_refused_and_any_year_in_an_address_is_at_worst_not_found()
    {
        var body = JsonSerializer.SerializeToNode(YearBody("2062"), JsonSerializerOptions.Web)!;
        body["windows"]!["creditRegistrationCloses"] = "9999-12-31";
        var before = await FingerprintAsync();
        await BadInput.OnlyFieldRefusedAsync(Operator, HttpMethod.Post, "/api/catalog/years", body.ToJsonString(), "windows.creditRegistrationCloses",
            "out-of-range");
        Assert.Equal(before, await FingerprintAsync());

        foreach (var year in new[] { "-5", "0", "9999", "2147483647", "99999999999999999999" })
        {
            foreach (var path in new[] { $"/api/catalog/years/{year}", $"/api/catalog/years/{year}/my-dates", $"/api/catalog/years/{year}/topics/T01",
                         $"/api/catalog/years/{year}/schools/S1/topics" })
            {
                var (status, text) = await BadInput.SendAsync(SchoolAdmin("S1"), HttpMethod.Get, path, null);
                Assert.True(status == HttpStatusCode.NotFound, $"{path}: {(int)status} {text}");
            }
            foreach (var path in new[] { $"/api/catalog/years/{year}/topics", $"/api/catalog/years/{year}/required-packages" })
            {
                var (status, text) = await BadInput.SendAsync(SchoolAdmin("S1"), HttpMethod.Get, path, null);
                Assert.True(status == HttpStatusCode.OK && text == "[]", $"{path}: {(int)status} {text}");
            }
        }
    }
}

public sealed class CreditsBadInputTests : IAsyncLifetime
{
    private const string School = "37/3716/371602/S1";
    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    private readonly TestTokens _tokens = new();
    private ServiceFactory<CreditsApi> _credits = null!;

    public async Task InitializeAsync() =>
        _credits = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), _tokens, CreditsApi.DatabaseName);

    public async Task DisposeAsync() => await _credits.DisposeAsync();

    private NpgsqlDataSource Db => _credits.Services.GetRequiredService<NpgsqlDataSource>();

    private HttpClient Client(string role, string? orgPath = null, Guid? teacher = null)
    {
        var client = _credits.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.For(role, orgPath, teacher));
        return client;
    }

    /// <summary>What the refused requests could have changed, once the teacher's standing is evaluated (the evaluator's own writes).</summary>
    private async Task<string> FingerprintAsync(Guid teacherId)
    {
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>($"select count(*) from compliance_dirty where teacher_id = '{teacherId}'") == 0;
        }, TimeSpan.FromSeconds(90), "the teacher's standing to be evaluated");
        return await BadInput.FingerprintAsync(Db, $"body::text like '%{teacherId}%'", "credit_policies", "year_reopenings", "certificate_jobs",
            $"(select * from ledger_entries where teacher_id = '{teacherId}')", $"(select * from balances where teacher_id = '{teacherId}')",
            $"(select * from credit_applications where teacher_id = '{teacherId}')");
    }

    [Fact]
    public async Task A_null_rule_or_filter_value_in_a_policy_is_a_field_error_and_saves_nothing()
    {
        var teacherId = await CreditsDirect.TeacherAsync(_credits.Services, School, "周一");
        var operatorClient = Client(Roles.PlatformOperator);
        var before = await FingerprintAsync(teacherId);
        const string Rule = """{"key":"cycle-total","label":"周期总学时","period":"cycle","minHours":10,"appliesTo":"all","filter":{}}""";
        await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Put, "/api/credits/policies/fuzz", """{"rules":[null]}""", "rules[0]", "required");
        await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Put, "/api/credits/policies/fuzz", """{"rules":[{"filter":{"categories":[null]}}]}""",
            "rules[0].filter.categories[0]", "required");
        foreach (var (json, field) in new[]
                 {
                     ("""{"name":"测试","cycleYears":5,"firstCycleYear":2026,"rules":[null]}""", "rules[0]"),
                     ($$"""{"name":"测试","cycleYears":5,"firstCycleYear":2026,"rules":[{{Rule}},null]}""", "rules[1]"),
                     ("""{"name":"测试","cycleYears":5,"firstCycleYear":2026,"rules":[{"key":"a","label":"A","period":"cycle","minHours":10,"filter":{"categories":[null]}}]}""",
                         "rules[0].filter.categories[0]"),
                     ("""{"name":"测试","cycleYears":5,"firstCycleYear":2026,"rules":[{"key":"a","label":"A","period":"cycle","minHours":10,"filter":{"sources":["mentoring",null]}}]}""",
                         "rules[0].filter.sources[1]"),
                 })
        {
            await BadInput.RefusedAsync(operatorClient, HttpMethod.Put, "/api/credits/policies/fuzz", json, field, "required");
        }
        // 0 would start the cycles in year 0, before any date there is.
        await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Put, "/api/credits/policies/fuzz",
            $$"""{"name":"测试","cycleYears":5,"firstCycleYear":0,"rules":[{{Rule}}]}""", "firstCycleYear", "out-of-range");
        Assert.Equal(before, await FingerprintAsync(teacherId));
    }

    [Fact]
    public async Task A_cycle_or_year_no_cycle_can_be_in_is_out_of_range_for_every_endpoint_that_takes_one()
    {
        var teacherId = await CreditsDirect.TeacherAsync(_credits.Services, School, "吴二");
        await CreditsDirect.KeepThisYearOpenAsync(_credits.Services, Today);
        var teacher = Client(Roles.Teacher, School, teacherId);
        var schoolAdmin = Client(Roles.SchoolAdmin, School);
        var operatorClient = Client(Roles.PlatformOperator);
        var before = await FingerprintAsync(teacherId);

        foreach (var cycle in new[] { "0", "-5", "1999", "2101", "9999", "2147483647", "-2147483648" })
        {
            foreach (var (client, path) in new[]
                     {
                         (teacher, $"/api/credits/me/compliance?cycle={cycle}"),
                         (schoolAdmin, $"/api/credits/teachers/{teacherId}/compliance?cycle={cycle}"),
                         (operatorClient, $"/api/credits/reports/compliance?cycle={cycle}"),
                         (schoolAdmin, $"/api/credits/reports/teachers?cycle={cycle}"),
                         (schoolAdmin, $"/api/credits/reports/teachers/export?cycle={cycle}"),
                     })
            {
                await BadInput.OnlyFieldRefusedAsync(client, HttpMethod.Get, path, null, "cycle", "out-of-range");
            }
            await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Post, $"/api/credits/years/{cycle}/reopen",
                $$"""{"until":"{{Today.AddDays(7):yyyy-MM-dd}}","reason":"补登"}""", "year", "out-of-range");
        }
        // Dates that would make a credit of such a year; those after today are refused as future first.
        foreach (var day in new[] { "0001-01-01", "1999-12-31" })
        {
            await BadInput.OnlyFieldRefusedAsync(schoolAdmin, HttpMethod.Post, "/api/credits/school-based",
                $$"""{"batchId":"far","title":"校本研修","hours":2,"occurredOn":"{{day}}","teacherIds":["{{teacherId}}"]}""", "occurredOn", "out-of-range");
            await BadInput.OnlyFieldRefusedAsync(teacher, HttpMethod.Post, "/api/credits/applications",
                $$"""{"title":"外出培训","hours":8,"category":"subject","mode":"concentrated","level":"city","source":"external_training","occurredOn":"{{day}}","attachmentRef":"附件"}""",
                "occurredOn", "out-of-range");
        }
        Assert.Equal(before, await FingerprintAsync(teacherId));

        // The years at either end are cycles like any other.
        foreach (var cycle in new[] { 2000, 2100, Today.Year })
        {
            var compliance = await SendOkAsync(teacher, $"/api/credits/me/compliance?cycle={cycle}");
            Assert.InRange(cycle - compliance.GetProperty("cycleStart").GetInt32(), 0, 9);
            var rollup = await SendOkAsync(operatorClient, $"/api/credits/reports/compliance?cycle={cycle}");
            Assert.Equal(compliance.GetProperty("cycleStart").GetInt32(), rollup.GetProperty("cycleStart").GetInt32());
        }
    }

    [Fact]
    public async Task Training_dated_after_today_is_refused_for_an_application_and_a_school_based_batch_and_reaches_no_ledger()
    {
        var teacherId = await CreditsDirect.TeacherAsync(_credits.Services, School, "郑三");
        await CreditsDirect.KeepThisYearOpenAsync(_credits.Services, Today);
        var teacher = Client(Roles.Teacher, School, teacherId);
        var schoolAdmin = Client(Roles.SchoolAdmin, School);
        var before = await FingerprintAsync(teacherId);

        foreach (var day in new[] { Today.AddDays(1).ToString("yyyy-MM-dd"), "2099-01-01", "2101-01-01", "9999-12-31" })
        {
            await BadInput.OnlyFieldRefusedAsync(teacher, HttpMethod.Post, "/api/credits/applications",
                $$"""{"title":"外出培训","hours":8,"category":"subject","mode":"concentrated","level":"city","source":"external_training","occurredOn":"{{day}}","attachmentRef":"附件"}""",
                "occurredOn", "future-date");
            await BadInput.OnlyFieldRefusedAsync(schoolAdmin, HttpMethod.Post, "/api/credits/school-based",
                $$"""{"batchId":"future","title":"校本研修","hours":2,"occurredOn":"{{day}}","teacherIds":["{{teacherId}}"]}""", "occurredOn", "future-date");
        }
        await BadInput.OnlyFieldRefusedAsync(teacher, HttpMethod.Post, "/api/credits/applications",
            $$"""{"title":"外出培训🎉","hours":8,"category":"subject","mode":"concentrated","level":"city","source":"external_training","occurredOn":"{{Today:yyyy-MM-dd}}","attachmentRef":"附件"}""",
            "title", "invalid-characters");
        Assert.Equal(before, await FingerprintAsync(teacherId));

        // An application filed before dates were checked, carrying 2099, is walked up the chain and refused at registration.
        var applied = await SendAsync(teacher, HttpMethod.Post, "/api/credits/applications",
            $$"""{"title":"外出培训","hours":8,"category":"subject","mode":"concentrated","level":"city","source":"external_training","occurredOn":"{{Today:yyyy-MM-dd}}","attachmentRef":"附件"}""",
            HttpStatusCode.Created);
        var id = applied.GetProperty("application").GetProperty("id").GetGuid();
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update credit_applications set occurred_on = '2099-01-01' where id = @Id", new { Id = id });
        }
        var path = $"/api/credits/applications/{id}/decisions";
        await SendAsync(schoolAdmin, HttpMethod.Post, path, """{"decision":"approve"}""", HttpStatusCode.OK);
        await SendAsync(Client(Roles.ResearchOffice, "37/3716/371602"), HttpMethod.Post, path, """{"decision":"approve"}""", HttpStatusCode.OK);
        var (status, text) = await BadInput.SendAsync(Client(Roles.TrainingInstitution, "37/3716/371602"), HttpMethod.Post, path, """{"decision":"approve"}""");
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{(int)status} {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(("future-date", "occurredOn"), (problem.GetProperty("rule").GetString(), problem.GetProperty("field").GetString()));
        await using (var connection = await Db.OpenConnectionAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from ledger_entries where teacher_id = @TeacherId", new { TeacherId = teacherId }));
        }
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, string json, HttpStatusCode expected)
    {
        var (status, text) = await BadInput.SendAsync(client, method, path, json);
        Assert.True(status == expected, $"{method} {path}: expected {(int)expected}, got {(int)status}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> SendOkAsync(HttpClient client, string path)
    {
        var (status, text) = await BadInput.SendAsync(client, HttpMethod.Get, path, null);
        Assert.True(status == HttpStatusCode.OK, $"{path}: {(int)status} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

public sealed class EnrollmentBadInputTests : IAsyncLifetime
{
    private readonly TestTokens _tokens = new();
    private ServiceFactory<EnrollmentApi> _enrollment = null!;

    public async Task InitializeAsync() =>
        _enrollment = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName);

    public async Task DisposeAsync() => await _enrollment.DisposeAsync();

    private HttpClient Client(string role, string? orgPath = null, Guid? teacher = null)
    {
        var client = _enrollment.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.For(role, orgPath, teacher));
        return client;
    }

    [Fact]
    public async Task A_null_report_is_a_field_error_and_records_nothing()
    {
        var db = _enrollment.Services.GetRequiredService<NpgsqlDataSource>();
        var teacherId = Guid.NewGuid();
        Task<string> FingerprintAsync() => BadInput.FingerprintAsync(db, $"body::text like '%{teacherId}%'", "progress_reports",
            $"(select * from enrollments where teacher_id = '{teacherId}')");
        var before = await FingerprintAsync();
        var platform = Client(Roles.LearningPlatform);
        await BadInput.OnlyFieldRefusedAsync(platform, HttpMethod.Post, "/api/enrollment/progress", """{"reports":[null]}""", "reports[0]", "required");
        var mixed = await BadInput.RefusedAsync(platform, HttpMethod.Post, "/api/enrollment/progress",
            $$"""{"reports":[{"reportId":"r-1","teacherId":"{{teacherId}}","courseId":"{{Guid.NewGuid()}}","programYear":"2063","percent":10},null,null]}""",
            "reports[2]", "required");
        Assert.True(mixed.GetProperty("errors").TryGetProperty("reports[1]", out _));
        Assert.False(mixed.GetProperty("errors").TryGetProperty("reports[0]", out _));
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public async Task A_body_of_the_wrong_type_or_broken_json_names_the_field_in_Chinese_without_dotnet_internals()
    {
        var db = _enrollment.Services.GetRequiredService<NpgsqlDataSource>();
        var teacherId = Guid.NewGuid();
        Task<string> FingerprintAsync() => BadInput.FingerprintAsync(db, $"body::text like '%{teacherId}%'", "progress_reports",
            $"(select * from enrollments where teacher_id = '{teacherId}')");
        var before = await FingerprintAsync();
        var teacher = Client(Roles.Teacher, "37/3716/371602/S1", teacherId);
        var platform = Client(Roles.LearningPlatform);

        await BadInput.UnreadableAsync(teacher, HttpMethod.Post, "/api/enrollment/years/2063/electives", """{"courseId":12}""", "courseId", "wrong-type");
        await BadInput.UnreadableAsync(teacher, HttpMethod.Post, "/api/enrollment/years/2063/electives", """{"courseId":"not-an-id"}""", "courseId", "wrong-type");
        await BadInput.UnreadableAsync(teacher, HttpMethod.Post, "/api/enrollment/years/2063/electives", """["courseId"]""", "body", "wrong-type");
        await BadInput.UnreadableAsync(platform, HttpMethod.Post, "/api/enrollment/progress",
            $$"""{"reports":[{"reportId":"r-1","teacherId":"{{teacherId}}","courseId":"{{Guid.NewGuid()}}","programYear":"2063","percent":"ten"}]}""",
            "reports[0].percent", "wrong-type");
        await BadInput.UnreadableAsync(platform, HttpMethod.Post, "/api/enrollment/progress", """{"reports":{}}""", "reports", "wrong-type");
        var (status, text) = await BadInput.SendAsync(teacher, HttpMethod.Post, "/api/enrollment/years/2063/electives", """{"courseId":""");
        Assert.True(status == HttpStatusCode.BadRequest && JsonDocument.Parse(text).RootElement.GetProperty("rule").GetString() == "invalid-json",
            $"{(int)status} {text}");
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public async Task A_year_in_an_address_that_names_no_program_year_is_not_found_or_lists_nothing()
    {
        var teacher = Client(Roles.Teacher, "37/3716/371602/S1", Guid.NewGuid());
        var schoolAdmin = Client(Roles.SchoolAdmin, "37/3716/371602/S1");
        foreach (var year in new[] { "-5", "0", "9999", "2147483647", "99999999999999999999" })
        {
            foreach (var (client, method, path, json) in new (HttpClient, HttpMethod, string, string?)[]
                     {
                         (teacher, HttpMethod.Get, $"/api/enrollment/years/{year}/me", null),
                         (teacher, HttpMethod.Post, $"/api/enrollment/years/{year}/electives", $$"""{"courseId":"{{Guid.NewGuid()}}"}"""),
                         (schoolAdmin, HttpMethod.Get, $"/api/enrollment/years/{year}/teachers", null),
                         (schoolAdmin, HttpMethod.Get, $"/api/enrollment/years/{year}/report", null),
                         (schoolAdmin, HttpMethod.Post, $"/api/enrollment/years/{year}/opt-outs",
                             $$"""{"teacherId":"{{Guid.NewGuid()}}","statementReference":"BZS-1"}"""),
                     })
            {
                var (status, text) = await BadInput.SendAsync(client, method, path, json);
                Assert.True(status == HttpStatusCode.NotFound, $"{method} {path}: {(int)status} {text}");
            }
            var (listed, opted) = await BadInput.SendAsync(schoolAdmin, HttpMethod.Get, $"/api/enrollment/years/{year}/opt-outs", null);
            Assert.True(listed == HttpStatusCode.OK && opted == "[]", $"opt-outs of {year}: {(int)listed} {opted}");
        }
    }
}

public sealed class MentoringBadInputTests : MentoringTestBase
{
    [Fact]
    public async Task A_null_attachment_is_a_field_error_and_any_year_in_an_address_is_not_found()
    {
        var teacher = Teacher(Guid.NewGuid());
        await BadInput.OnlyFieldRefusedAsync(teacher, HttpMethod.Post, $"/api/mentoring/workshops/{Guid.NewGuid()}/posts",
            """{"kind":"discussion","body":"讨论","attachments":[null]}""", "attachments[0]", "required");
        await BadInput.OnlyFieldRefusedAsync(teacher, HttpMethod.Post, $"/api/mentoring/mentor-pairings/{Guid.NewGuid()}/activities",
            """{"title":"听课","heldOn":"0001-01-01","hours":2}""", "heldOn", "out-of-range");
        await using (var connection = await Db.OpenConnectionAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select (select count(*) from workshop_posts) + (select count(*) from mentoring_activities)"));
        }

        foreach (var year in new[] { "-5", "0", "2147483647", "99999999999999999999" })
        {
            foreach (var path in new[] { $"/api/mentoring/years/{year}/workshops", $"/api/mentoring/years/{year}/study-groups?organisation=371602" })
            {
                var (status, text) = await BadInput.SendAsync(DistrictAdmin("371602"), HttpMethod.Get, path, null);
                Assert.True(status == HttpStatusCode.NotFound, $"{path}: {(int)status} {text}");
            }
        }
    }
}

public sealed class DirectoryBadInputTests : DirectoryTestBase
{
    [Fact]
    public async Task A_null_stage_is_a_field_error_and_registers_nothing()
    {
        var before = await CountAsync("select count(*) from organisations");
        var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator, claims: new Dictionary<string, object> { ["name"] = "运营" }));
        await BadInput.RefusedAsync(operatorClient, HttpMethod.Post, "/api/directory/organisations",
            """{"code":"S-NULL","name":"空学段学校","kind":"school","parentCode":"371602","stages":["primary",null]}""", "stages[1]", "required");
        Assert.Equal(before, await CountAsync("select count(*) from organisations"));
    }

    [Fact]
    public async Task Organisation_and_account_refusals_carry_kebab_case_rules_and_Chinese_words_and_register_nothing()
    {
        var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator, claims: new Dictionary<string, object> { ["name"] = "运营" }));
        var province = $"P{Guid.NewGuid():N}"[..12];
        var before = await CountAsync("select (select count(*) from organisations) + (select count(*) from accounts)");

        var (status, text) = await BadInput.SendAsync(operatorClient, HttpMethod.Post, "/api/directory/organisations",
            """{"code":"S-ORPHAN","name":"孤儿学校","kind":"school","parentCode":"NO-SUCH","stages":["primary"]}""");
        AssertRule(status, text, "unknown-parent", "parentCode");
        (status, text) = await BadInput.SendAsync(operatorClient, HttpMethod.Post, "/api/directory/accounts",
            """{"login":"nobody-admin","displayName":"无名","role":"school_admin","organisationCode":"NO-SUCH"}""");
        AssertRule(status, text, "unknown-organisation", "organisationCode");
        await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Post, "/api/directory/accounts",
            """{"login":"emoji-admin","displayName":"管理员😀","role":"platform_operator","organisationCode":"NO-SUCH"}""", "displayName", "invalid-characters");
        await BadInput.OnlyFieldRefusedAsync(operatorClient, HttpMethod.Post, "/api/directory/organisations",
            $$"""{"code":"{{province}}","name":"测试\u0007省","kind":"province"}""", "name", "invalid-characters");
        Assert.Equal(before, await CountAsync("select (select count(*) from organisations) + (select count(*) from accounts)"));

        await BadInput.UnreadableAsync(operatorClient, HttpMethod.Get, "/api/directory/teachers?page=abc", null, "page", "wrong-type");

        // A role at the wrong level says both in Chinese, not in the platform's codes.
        var created = await BadInput.SendAsync(operatorClient, HttpMethod.Post, "/api/directory/organisations",
            $$"""{"code":"{{province}}","name":"测试省","kind":"province"}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        (status, text) = await BadInput.SendAsync(operatorClient, HttpMethod.Post, "/api/directory/accounts",
            $$"""{"login":"{{province}}-school","displayName":"教导处","role":"school_admin","organisationCode":"{{province}}"}""");
        AssertRule(status, text, "role-organisation-level", "role");
        Assert.Contains("学校管理员账号必须属于学校级机构", text, StringComparison.Ordinal);
        Assert.DoesNotContain("school_admin", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!, StringComparison.Ordinal);
    }

    private static void AssertRule(HttpStatusCode status, string text, string rule, string field)
    {
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{(int)status} {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((rule, field), (problem.GetProperty("rule").GetString(), problem.GetProperty("field").GetString()));
    }
}
