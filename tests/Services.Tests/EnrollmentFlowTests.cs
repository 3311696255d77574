using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Catalog and Enrollment side by side on the real broker: the year, courses, topics, package and the school's
/// choice are made through Catalog's API and reach Enrollment as events; teachers arrive as Directory's events.
/// </summary>
public sealed class EnrollmentFlowTests : CatalogTestBase
{
    private ServiceFactory<EnrollmentApi> _enrollment = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _enrollment = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), Tokens, EnrollmentApi.DatabaseName);
    }

    public override async Task DisposeAsync()
    {
        await _enrollment.DisposeAsync();
        await base.DisposeAsync();
    }

    private NpgsqlDataSource EnrollmentDb => _enrollment.Services.GetRequiredService<NpgsqlDataSource>();

    private HttpClient TeacherClient(Guid teacherId, string school = "S1")
    {
        var client = _enrollment.CreateClient();
        client.DefaultRequestHeaders.Authorization = Teacher(school, teacherId).DefaultRequestHeaders.Authorization;
        return client;
    }

    private HttpClient EnrollmentAs(HttpClient catalogClient)
    {
        var client = _enrollment.CreateClient();
        client.DefaultRequestHeaders.Authorization = catalogClient.DefaultRequestHeaders.Authorization;
        return client;
    }

    private sealed record Setup(List<Guid> Electives, Guid Outside, Guid Concentrated, Guid Session);

    /// <summary>A year with its course selection open today; topic T01 (4 × 4 h) chosen by S1; a 10 h package for primary 语文.</summary>
    private async Task<Setup> SetUpYearAsync(string year, int sessionCapacity = 5)
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody(year), HttpStatusCode.Created);
        var electives = new List<Guid>();
        for (var i = 1; i <= 4; i++)
        {
            electives.Add(await PublishedCourseAsync($"{year}-E{i}", $"班级管理专题课程{i}", 4, ["primary"]));
        }
        var outside = await PublishedCourseAsync($"{year}-X", "专题之外的课程", 4, ["primary"]);
        var concentrated = await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", new
        {
            code = $"{year}-C", title = "集中研修", hours = 8, category = "subject", mode = "concentrated", level = "county", stages = new[] { "primary" },
            sessions = new[] { new { place = "滨州", startsOn = Today.AddDays(20), endsOn = Today.AddDays(21), capacity = sessionCapacity } },
        }, HttpStatusCode.Created);
        var concentratedId = concentrated.GetProperty("id").GetGuid();
        var published = await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{concentratedId}/publish");
        var topic = (await SendOk(Operator, HttpMethod.Put, $"/api/catalog/years/{year}/topics/T01",
            new { name = "班级管理", stages = new[] { "primary" }, courseIds = electives.Append(concentratedId) })).GetProperty("id").GetGuid();

        var national = await PublishedCourseAsync($"{year}-R1", "国家级优课：小学语文", 4, ["primary"]);
        var pool = new List<Guid>();
        for (var i = 1; i <= 4; i++)
        {
            pool.Add(await PublishedCourseAsync($"{year}-P{i}", $"市级课例第{i}课", 3, ["primary"]));
        }
        await SendOk(Operator, HttpMethod.Put, $"/api/catalog/years/{year}/required-packages", new
        {
            stage = "primary", subject = "语文",
            items = new object[] { new { title = "国家级优课", courseIds = new[] { national } }, new { title = "课例点评", courseIds = pool, drawCount = 2 } },
        });
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, $"/api/catalog/years/{year}/schools/S1/topics", new { topicIds = new[] { topic } });
        // Each of these reaches Enrollment by a message of its own, in no particular order: a first choice made before
        // the school's topic choice arrived was refused (school-topics-not-chosen) in a CI run.
        Guid[] courses = [.. electives, outside, concentratedId, national, .. pool];
        await Eventually.HoldsAsync(async () =>
        {
            await using var c = await EnrollmentDb.OpenConnectionAsync();
            return await c.ExecuteScalarAsync<long>("""
                select (select count(*) from school_topics s join program_years y on y.id = s.program_year_id
                        where s.school_id = @School and y.code = @Year)
                     + (select count(*) from topics where id = @Topic)
                     + (select count(*) from courses where id = any(@Courses))
                """, new { School = OrganisationId("S1"), Year = year, Topic = topic, Courses = courses }) == 2 + courses.Length;
        }, TimeSpan.FromSeconds(90), $"year {year}'s courses, topic and S1's choice to reach enrollment");
        return new Setup(electives, outside, concentratedId, published.GetProperty("sessions")[0].GetProperty("id").GetGuid());
    }

    private async Task<Guid> TeacherArrivesAsync(string subject = "语文", string school = "S1", bool inPost = true, int version = 1, Guid? id = null)
    {
        var teacherId = id ?? Guid.NewGuid();
        var bus = _enrollment.Services.GetRequiredService<IBus>();
        await bus.Publish(new TeacherProfileChanged(teacherId, version, "371602199001010011", "张老师", new DateOnly(1990, 1, 1), "male",
            OrganisationId(school), $"37/3716/371602/{school}", "primary", subject, new DateOnly(2015, 9, 1), true, false, null, "backbone", inPost,
            TeacherChanges.Registered, DateTimeOffset.UtcNow));
        return teacherId;
    }

    private static async Task<JsonElement> MyYearWhenAsync(HttpClient client, string year, Func<JsonElement, bool> condition, string what)
    {
        JsonElement me = default;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await client.GetAsync($"/api/enrollment/years/{year}/me");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }
            me = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return condition(me);
        }, TimeSpan.FromSeconds(90), what);
        return me;
    }

    [Fact]
    public async Task A_teacher_gets_the_required_package_chooses_electives_up_to_the_minimum_and_completes_a_course_once()
    {
        var setup = await SetUpYearAsync("2051");
        var teacherId = await TeacherArrivesAsync();
        var teacher = TeacherClient(teacherId);

        // Pushed: the national lesson and 2 of the 4 cases, this teacher's own draw.
        var me = await MyYearWhenAsync(teacher, "2051", m => m.GetProperty("required").GetArrayLength() == 3, "the required package to be pushed");
        Assert.Equal(10m, me.GetProperty("requiredHours").GetDecimal());

        for (var i = 0; i < 3; i++)
        {
            var summary = await SendOk(teacher, HttpMethod.Post, "/api/enrollment/years/2051/electives", new { courseId = setup.Electives[i] },
                HttpStatusCode.Created);
            Assert.Equal(4m * (i + 1), summary.GetProperty("electiveHoursChosen").GetDecimal());
        }
        me = await SendOk(teacher, HttpMethod.Get, "/api/enrollment/years/2051/me");
        Assert.Contains("还差 2 学时", me.GetProperty("electives").GetProperty("message").GetString());
        var enough = await SendOk(teacher, HttpMethod.Post, "/api/enrollment/years/2051/electives", new { courseId = setup.Electives[3] }, HttpStatusCode.Created);
        Assert.Equal(0m, enough.GetProperty("shortBy").GetDecimal());

        var outside = await Problem(teacher, HttpMethod.Post, "/api/enrollment/years/2051/electives", new { courseId = setup.Outside },
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("outside-school-topics", outside.GetProperty("rule").GetString());
        await Problem(teacher, HttpMethod.Post, "/api/enrollment/years/2051/electives", new { courseId = setup.Electives[0] }, HttpStatusCode.Conflict);

        // Reports arrive out of order and twice; the course completes once and is announced once.
        var platform = _enrollment.CreateClient();
        platform.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Issue(Roles.LearningPlatform));
        object Report(string id, int minutes, decimal percent, bool? test = null, bool? assignment = null) => new
        {
            reportId = id, teacherId, courseId = setup.Electives[0], programYear = "2051", minutesStudied = minutes, percent, testPassed = test,
            assignmentHandedIn = assignment,
        };
        var first = await SendOk(platform, HttpMethod.Post, "/api/enrollment/progress",
            new { reports = new[] { Report("r3", 0, 0, assignment: true), Report("r2", 240, 100), Report("r1", 60, 25) } });
        Assert.Equal(3, first.GetProperty("applied").GetInt32());
        var second = await SendOk(platform, HttpMethod.Post, "/api/enrollment/progress",
            new { reports = new[] { Report("r4", 240, 100, test: true), Report("r2", 240, 100), Report("r5", 250, 100, test: true, assignment: true) } });
        Assert.Equal(1, second.GetProperty("duplicates").GetInt32());

        // A report id used again for other figures is refused, naming it, and nothing of its batch is recorded: dropped as
        // a duplicate, the progress would be lost without anyone knowing.
        var reused = await Problem(platform, HttpMethod.Post, "/api/enrollment/progress",
            new { reports = new[] { Report("r6", 10, 5), Report("r1", 90, 40) } }, HttpStatusCode.Conflict);
        Assert.Equal(("report-id-reused", "reports[1].reportId"), (reused.GetProperty("rule").GetString(), reused.GetProperty("field").GetString()));
        Assert.Contains("r1", reused.GetProperty("detail").GetString());
        await using (var check = await EnrollmentDb.OpenConnectionAsync())
        {
            Assert.Equal(0, await check.ExecuteScalarAsync<long>("select count(*) from progress_reports where report_id = 'r6'"));
        }
        me = await SendOk(teacher, HttpMethod.Get, "/api/enrollment/years/2051/me");
        var completed = me.GetProperty("electiveCourses").EnumerateArray().Single(c => c.GetProperty("courseId").GetGuid() == setup.Electives[0]);
        Assert.Equal(("completed", 250), (completed.GetProperty("status").GetString(), completed.GetProperty("minutesStudied").GetInt32()));
        Assert.Equal(4m, me.GetProperty("hoursDone").GetDecimal());
        await using var connection = await EnrollmentDb.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages where message_type like '%CourseCompleted%'"));

        // A teacher may not report for themselves.
        await Problem(EnrollmentAs(TeacherClient(teacherId)), HttpMethod.Post, "/api/enrollment/progress",
            new { reports = new[] { Report("r9", 1, 1) } }, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_full_session_never_takes_more_than_its_capacity_and_a_freed_seat_goes_to_the_first_waiting()
    {
        var setup = await SetUpYearAsync("2052", sessionCapacity: 5);
        var teachers = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            teachers.Add(await TeacherArrivesAsync());
        }
        await Eventually.HoldsAsync(async () =>
        {
            await using var c = await EnrollmentDb.OpenConnectionAsync();
            // Other tests' teachers reach this copy too (one broker), so count these forty by id.
            return await c.ExecuteScalarAsync<long>("select count(*) from teachers where id = any(@Ids)", new { Ids = teachers.ToArray() }) == 40
                   // This year's choice: the classes beside it choose topics for an S1 in their own years.
                   && await c.ExecuteScalarAsync<long>("""
                       select count(*) from school_topics s join program_years y on y.id = s.program_year_id
                       where s.school_id = @School and y.code = '2052'
                       """, new { School = OrganisationId("S1") }) == 1;
        }, TimeSpan.FromSeconds(90), "the teachers and the school's topics to reach enrollment");

        var attempts = await Task.WhenAll(teachers.Select(async t =>
        {
            using var response = await TeacherClient(t).PostAsJsonAsync("/api/enrollment/years/2052/electives",
                new { courseId = setup.Concentrated, sessionId = setup.Session });
            return response.StatusCode;
        }));
        Assert.Equal(5, attempts.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(35, attempts.Count(s => s == HttpStatusCode.Conflict));
        await using var connection = await EnrollmentDb.OpenConnectionAsync();
        Assert.Equal(5, await connection.ExecuteScalarAsync<int>("select taken from course_sessions where id = @Id", new { Id = setup.Session }));

        var enrolled = (await connection.QueryAsync<Guid>("select teacher_id from enrollments where session_id = @Id and status = 'enrolled'",
            new { Id = setup.Session })).ToList();
        var waiting = teachers.Except(enrolled).Take(2).ToList();
        foreach (var t in waiting)
        {
            await SendOk(TeacherClient(t), HttpMethod.Post, $"/api/enrollment/years/2052/sessions/{setup.Session}/waiting-list", null, HttpStatusCode.Created);
        }
        await SendOk(TeacherClient(enrolled[0]), HttpMethod.Delete, $"/api/enrollment/years/2052/electives/{setup.Concentrated}");

        Assert.Equal(5, await connection.ExecuteScalarAsync<int>("select taken from course_sessions where id = @Id", new { Id = setup.Session }));
        Assert.Equal(waiting[0], await connection.ExecuteScalarAsync<Guid>(
            "select teacher_id from waiting_list where session_id = @Id and status = 'promoted'", new { Id = setup.Session }));
        var promoted = await connection.ExecuteScalarAsync<string>(
            "select body::text from outbox_messages where message_type like '%WaitingListPromoted%'");
        Assert.Contains(waiting[0].ToString(), promoted);
        Assert.Contains("集中研修", promoted);
    }

    [Fact]
    public async Task After_study_starts_electives_are_frozen_and_the_same_content_is_not_taken_twice_in_a_cycle()
    {
        var setup = await SetUpYearAsync("2053");
        var teacherId = await TeacherArrivesAsync();
        var teacher = TeacherClient(teacherId);
        await MyYearWhenAsync(teacher, "2053", m => m.GetProperty("required").GetArrayLength() == 3, "the required package to be pushed");
        await SendOk(teacher, HttpMethod.Post, "/api/enrollment/years/2053/electives", new { courseId = setup.Electives[0] }, HttpStatusCode.Created);

        // A new version of the same course, offered again in a later year of the same cycle.
        var v2 = (await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{setup.Electives[0]}/versions",
            CourseBody("2053-E1", "班级管理专题课程1（修订版）", 4, ["primary"]), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{v2}/publish");
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2054"), HttpStatusCode.Created);
        var topic = (await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2054/topics/T01",
            new { name = "班级管理", stages = new[] { "primary" }, courseIds = new[] { v2 } })).GetProperty("id").GetGuid();
        await SendOk(SchoolAdmin("S1"), HttpMethod.Put, "/api/catalog/years/2054/schools/S1/topics", new { topicIds = new[] { topic } });
        JsonElement repeated = default;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await teacher.PostAsJsonAsync("/api/enrollment/years/2054/electives", new { courseId = v2 });
            repeated = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return response.StatusCode == HttpStatusCode.Conflict && repeated.GetProperty("rule").GetString() == "repeated-training";
        }, TimeSpan.FromSeconds(90), "the later year to refuse the same content");
        Assert.Contains("2053", repeated.GetProperty("detail").GetString());

        // Study starts: nothing more is chosen or dropped.
        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2053", YearBody("2053", topicOpens: -10, topicCloses: -5, courseOpens: -4, studyStarts: 0));
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await teacher.DeleteAsync($"/api/enrollment/years/2053/electives/{setup.Electives[0]}");
            return response.StatusCode == HttpStatusCode.Conflict;
        }, TimeSpan.FromSeconds(90), "dropping to be refused once study has started");
        var frozen = await Problem(teacher, HttpMethod.Post, "/api/enrollment/years/2053/electives", new { courseId = setup.Electives[1] }, HttpStatusCode.Conflict);
        Assert.Equal("frozen", frozen.GetProperty("rule").GetString());
    }

    [Fact]
    public async Task A_school_records_an_opt_out_with_its_statement_and_the_teacher_can_no_longer_choose()
    {
        var setup = await SetUpYearAsync("2055");
        var teacherId = await TeacherArrivesAsync();
        var other = await TeacherArrivesAsync(school: "S3");
        var teacher = TeacherClient(teacherId);
        await MyYearWhenAsync(teacher, "2055", m => m.GetProperty("required").GetArrayLength() == 3, "the required package to be pushed");

        var admin = EnrollmentAs(SchoolAdmin("S1"));
        await Problem(admin, HttpMethod.Post, "/api/enrollment/years/2055/opt-outs", new { teacherId }, HttpStatusCode.BadRequest);
        await Problem(admin, HttpMethod.Post, "/api/enrollment/years/2055/opt-outs", new { teacherId = other, statementReference = "BZS-1" },
            HttpStatusCode.NotFound);
        await SendOk(admin, HttpMethod.Post, "/api/enrollment/years/2055/opt-outs", new { teacherId, statementReference = "BZS-2055-017", reason = "病休" },
            HttpStatusCode.Created);
        await Problem(admin, HttpMethod.Post, "/api/enrollment/years/2055/opt-outs", new { teacherId, statementReference = "BZS-2055-017" },
            HttpStatusCode.Conflict);
        // A school's record of a teacher's opt-out is a privileged write: one audit record; the refused attempts leave none.
        await AuditRows.SealAsync(_enrollment.Services);
        await using (var connection = await EnrollmentDb.OpenConnectionAsync())
        {
            var audited = Assert.Single(await connection.QueryAsync<(string Action, string TargetId, string Role, string Summary)>(
                $"select action, target_id, actor_role, summary from audit_records where {AuditRows.NotSecurityEvents}"));
            Assert.Equal(("opt-out-recorded", teacherId.ToString(), Roles.SchoolAdmin), (audited.Action, audited.TargetId, audited.Role));
            Assert.Contains("BZS-2055-017", audited.Summary);
        }

        var refused = await Problem(teacher, HttpMethod.Post, "/api/enrollment/years/2055/electives", new { courseId = setup.Electives[0] },
            HttpStatusCode.Conflict);
        Assert.Equal("opted-out", refused.GetProperty("rule").GetString());
        var me = await SendOk(teacher, HttpMethod.Get, "/api/enrollment/years/2055/me");
        Assert.True(me.GetProperty("optedOut").GetBoolean());
        var listed = await SendOk(EnrollmentAs(DistrictAdmin("371602")), HttpMethod.Get, "/api/enrollment/years/2055/opt-outs");
        Assert.Equal("BZS-2055-017", listed[0].GetProperty("statementReference").GetString());

        // The teacher leaves post: the required courses not started are withdrawn.
        await TeacherArrivesAsync(inPost: false, version: 2, id: teacherId);
        await MyYearWhenAsync(teacher, "2055", m => m.GetProperty("required").GetArrayLength() == 0, "unstarted required courses to be withdrawn");
    }
}
