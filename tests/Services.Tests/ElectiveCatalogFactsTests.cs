using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// An elective choice decides from catalog facts each replica holds in memory (<see cref="CatalogFactsCache"/>): a change
/// to a copy — a course retired, a school's topics changed, a window adjusted — arrives as Catalog's event, and once the
/// copy consumer has committed it the very next choice on either of two replicas is decided by it, each replica having
/// already served choices from the facts as they were before.
/// </summary>
public sealed class ElectiveCatalogFactsTests : IAsyncLifetime
{
    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string Year = "2032";
    private const string School = "P/C1/K1/SA";

    private readonly TestTokens _tokens = new();
    private ServiceFactory<EnrollmentApi> _first = null!;
    private ServiceFactory<EnrollmentApi> _second = null!;
    private readonly Guid _year = Guid.NewGuid();
    private readonly Guid _school = Guid.NewGuid();
    private readonly Guid _topic1 = Guid.NewGuid();
    private readonly Guid _topic2 = Guid.NewGuid();
    private readonly Dictionary<string, Guid> _courses = [];

    public async Task InitializeAsync()
    {
        _first = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName);
        var connectionString = _first.Services.GetRequiredService<DatabaseMigrations>().ConnectionString;
        _second = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName,
            new Dictionary<string, string?> { [$"ConnectionStrings:{EnrollmentApi.DatabaseName}"] = connectionString });
        await using var connection = await Db.OpenConnectionAsync();
        foreach (var (code, path, kind) in new[] { ("P", "P", "province"), ("C1", "P/C1", "city"), ("K1", "P/C1/K1", "county"), ("SA", School, "school") })
        {
            await connection.ExecuteAsync("insert into organisations (id, code, name, kind, path, updated_at) values (gen_random_uuid(), @Code, @Code, @Kind, @Path, now())",
                new { Code = code, Kind = kind, Path = path });
        }
        await connection.ExecuteAsync("""
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
            values (@Id, @Code, @Code, 36, 12, @Before, @Before, @Before, @Opens, @StudyStarts, @Ends, @Ends, 1)
            """, new { Id = _year, Code = Year, Before = Today.AddDays(-10), Opens = Today.AddDays(-2), StudyStarts = Today.AddDays(10), Ends = Today.AddDays(120) });
        foreach (var code in new[] { "E1", "E2", "E3", "E4", "E5" })
        {
            _courses[code] = Guid.NewGuid();
            await connection.ExecuteAsync("""
                insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
                values (@Id, gen_random_uuid(), @Code, 1, @Code, 4, 'subject', 'online', 'provincial', '{primary}', '{}', 'published', now())
                """, new { Id = _courses[code], Code = code });
        }
        foreach (var (topic, courses) in new[] { (_topic1, new[] { "E1", "E2", "E3" }), (_topic2, new[] { "E4", "E5" }) })
        {
            await connection.ExecuteAsync("""
                insert into topics (id, program_year_id, code, name, stages, course_ids, version) values (@Id, @Year, @Id::text, '专题', '{primary}', @Courses, 1)
                """, new { Id = topic, Year = _year, Courses = courses.Select(c => _courses[c]).ToArray() });
        }
        await connection.ExecuteAsync("""
            insert into school_topics (program_year_id, school_id, school_path, topic_ids, version, frozen) values (@Year, @School, @Path, @Topics, 1, false)
            """, new { Year = _year, School = _school, Path = School, Topics = new[] { _topic1 } });
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }

    private NpgsqlDataSource Db => _first.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task A_copy_changed_is_seen_by_the_very_next_choice_on_every_replica()
    {
        var teachers = Enumerable.Range(1, 6).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var (id, i) in teachers.Select((id, i) => (id, i)))
        {
            await Bus.Publish(new TeacherProfileChanged(id, 1, "371602199001010011", $"教师{i}", new DateOnly(1990, 1, 1), "male", _school, School,
                "primary", "语文", new DateOnly(2015, 9, 1), true, false, null, "backbone", true, TeacherChanges.Registered, DateTimeOffset.UtcNow));
        }
        // Every service under test receives every event: other tests' teachers may arrive here too.
        await CopyHoldsAsync("select count(*) = 6 from teachers where id = any(@Teachers)", "teachers arrived", new { Teachers = teachers });
        // Both replicas decide from the facts as seeded (and so hold them).
        await ChooseAsync(_first, teachers[0], "E1", HttpStatusCode.Created);
        await ChooseAsync(_second, teachers[1], "E1", HttpStatusCode.Created);

        // A course retired: refused at once on both.
        await Bus.Publish(new CourseRetired(_courses["E2"], Guid.NewGuid(), "内容过时", DateTimeOffset.UtcNow));
        await CopyHoldsAsync($"select status = 'retired' from courses where id = '{_courses["E2"]}'", "E2 retired in the copy");
        await ChooseAsync(_first, teachers[0], "E2", HttpStatusCode.UnprocessableEntity, "course-unavailable");
        await ChooseAsync(_second, teachers[1], "E2", HttpStatusCode.UnprocessableEntity, "course-unavailable");

        // The school's topics changed from the first topic to the second: the first's courses refused, the second's allowed.
        await ChooseAsync(_second, teachers[2], "E3", HttpStatusCode.Created);
        await Bus.Publish(new SchoolTopicsChosen(_year, _school, School, [_topic2], TopicChoiceChanges.Changed, 2, DateTimeOffset.UtcNow));
        await CopyHoldsAsync($"select version = 2 from school_topics where school_id = '{_school}'", "the school's new topics in the copy");
        await ChooseAsync(_first, teachers[3], "E3", HttpStatusCode.UnprocessableEntity, "outside-school-topics");
        await ChooseAsync(_second, teachers[3], "E4", HttpStatusCode.Created);
        await ChooseAsync(_first, teachers[2], "E4", HttpStatusCode.Created);

        // The county's course selection closed yesterday: refused at once on both.
        await Bus.Publish(new SelectionWindowAdjusted(Guid.NewGuid(), _year, SelectionWindows.CourseSelection, Guid.NewGuid(), "P/C1/K1",
            Today.AddDays(-2), Today.AddDays(-1), WindowAdjustmentKinds.Staggered, "分批错峰", DateTimeOffset.UtcNow));
        await CopyHoldsAsync($"select count(*) = 1 from window_adjustments where program_year_id = '{_year}'", "the adjustment in the copy");
        await ChooseAsync(_first, teachers[4], "E5", HttpStatusCode.Conflict, "window-closed");
        await ChooseAsync(_second, teachers[5], "E5", HttpStatusCode.Conflict, "window-closed");
    }

    private IBus Bus => _first.Services.GetRequiredService<IBus>();

    private Task CopyHoldsAsync(string sql, string what, object? parameters = null) =>
        Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<bool?>(sql, parameters) == true;
        }, Patience, what);

    private async Task ChooseAsync(ServiceFactory<EnrollmentApi> replica, Guid teacher, string course, HttpStatusCode expected, string? rule = null)
    {
        using var client = replica.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.Issue(Roles.Teacher,
            claims: new Dictionary<string, object> { ["org"] = _school.ToString(), ["org_path"] = School, ["teacher"] = teacher.ToString() }));
        using var response = await client.PostAsJsonAsync($"/api/enrollment/years/{Year}/electives", new { courseId = _courses[course] });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{course} for {teacher}: expected {expected}, got {(int)response.StatusCode}: {text}");
        if (rule is not null)
        {
            Assert.Equal(rule, JsonDocument.Parse(text).RootElement.GetProperty("rule").GetString());
        }
    }
}
