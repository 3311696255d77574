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
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// The running tallies of the year's study (<see cref="ProgressTallyStore"/>): every change that moves a teacher's year
/// moves their tally exactly as a full recomputation from the enrollments would — the check, which compares them with
/// the reports' scan, finds nothing — through the service's own endpoints and Directory's events, and under two
/// replicas of Enrollment writing at once. The year's copies (year, courses, topics, the schools' choice, packages) are
/// seeded in this test's own database; teachers arrive as <see cref="TeacherProfileChanged"/>.
/// Province P → city C1 → county K1 → school SA, and → city C2 → county K2 → school SB.
/// </summary>
public sealed class ProgressTallyTests : IAsyncLifetime
{
    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string Year = "2031";
    private const string SchoolA = "P/C1/K1/SA";
    private const string SchoolB = "P/C2/K2/SB";

    private readonly TestTokens _tokens = new();
    private ServiceFactory<EnrollmentApi> _enrollment = null!;
    private readonly Guid _year = Guid.NewGuid();
    private readonly Dictionary<string, Guid> _schools = new() { [SchoolA] = Guid.NewGuid(), [SchoolB] = Guid.NewGuid() };
    private readonly Dictionary<string, Guid> _courses = [];

    public async Task InitializeAsync()
    {
        _enrollment = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName);
        await using var connection = await Db.OpenConnectionAsync();
        foreach (var (code, path, kind) in new[] { ("P", "P", "province"), ("C1", "P/C1", "city"), ("K1", "P/C1/K1", "county"), ("SA", SchoolA, "school"),
                     ("C2", "P/C2", "city"), ("K2", "P/C2/K2", "county"), ("SB", SchoolB, "school") })
        {
            await connection.ExecuteAsync("insert into organisations (id, code, name, kind, path, updated_at) values (gen_random_uuid(), @Code, @Code, @Kind, @Path, now())",
                new { Code = code, Kind = kind, Path = path });
        }
        // Course selection open today, study from ten days on: electives can be chosen and dropped.
        await connection.ExecuteAsync("""
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
            values (@Id, @Code, @Code, 36, 12, @Before, @Before, @Before, @Opens, @StudyStarts, @Ends, @Ends, 1)
            """, new { Id = _year, Code = Year, Before = Today.AddDays(-10), Opens = Today.AddDays(-2), StudyStarts = Today.AddDays(10), Ends = Today.AddDays(120) });
        foreach (var (code, hours) in new[] { ("E1", 4m), ("E2", 4m), ("E3", 4m), ("R1", 10m), ("R2", 12m) })
        {
            _courses[code] = Guid.NewGuid();
            await connection.ExecuteAsync("""
                insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
                values (@Id, gen_random_uuid(), @Code, 1, @Code, @Hours, 'subject', 'online', 'provincial', '{primary}', '{}', 'published', now())
                """, new { Id = _courses[code], Code = code, Hours = hours });
        }
        var topic = Guid.NewGuid();
        await connection.ExecuteAsync("""
            insert into topics (id, program_year_id, code, name, stages, course_ids, version) values (@Id, @Year, 'T01', '班级管理', '{primary}', @Courses, 1)
            """, new { Id = topic, Year = _year, Courses = new[] { _courses["E1"], _courses["E2"], _courses["E3"] } });
        foreach (var (path, school) in _schools)
        {
            await connection.ExecuteAsync("""
                insert into school_topics (program_year_id, school_id, school_path, topic_ids, version, frozen) values (@Year, @School, @Path, @Topics, 1, false)
                """, new { Year = _year, School = school, Path = path, Topics = new[] { topic } });
        }
        // 语文 teachers are pushed R1 (10 h), 数学 teachers R2 (12 h).
        foreach (var (subject, course) in new[] { ("语文", "R1"), ("数学", "R2") })
        {
            var items = JsonSerializer.Serialize(new[] { new { itemId = Guid.NewGuid(), title = course, hours = 10m, courseIds = new[] { _courses[course] }, drawCount = 1 } });
            await connection.ExecuteAsync("""
                insert into required_packages (id, program_year_id, stage, subject, items, total_hours, version)
                values (gen_random_uuid(), @Year, 'primary', @Subject, @Items::jsonb, 10, 1)
                """, new { Year = _year, Subject = subject, Items = items });
        }
    }

    public async Task DisposeAsync() => await _enrollment.DisposeAsync();

    private NpgsqlDataSource Db => _enrollment.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task Each_change_moves_the_tallies_exactly_as_a_full_recomputation_would()
    {
        var t1 = Guid.NewGuid();
        var t2 = Guid.NewGuid();
        var t3 = Guid.NewGuid();
        await TeacherAsync(t1, 1, "教师甲", SchoolA, "语文");
        await TeacherAsync(t2, 1, "教师乙", SchoolA, "语文");
        await TeacherAsync(t3, 1, "教师丙", SchoolA, "数学");
        await TallyHoldsAsync(t1, t => t.RequiredHours == 10m, "教师甲 pushed R1");
        await TallyHoldsAsync(t3, t => t.RequiredHours == 12m, "教师丙 pushed R2");
        await NoDifferencesAsync("teachers arrived");

        // Choices, then a drop.
        var teacher = Teacher(t1, SchoolA);
        foreach (var course in new[] { "E1", "E2", "E3" })
        {
            await SendAsync(teacher, HttpMethod.Post, $"/api/enrollment/years/{Year}/electives", new { courseId = _courses[course] }, HttpStatusCode.Created);
        }
        Assert.Equal(12m, (await TallyAsync(t1)).ElectiveHours);
        await SendAsync(teacher, HttpMethod.Delete, $"/api/enrollment/years/{Year}/electives/{_courses["E3"]}", null, HttpStatusCode.OK);
        Assert.Equal(8m, (await TallyAsync(t1)).ElectiveHours);
        await NoDifferencesAsync("three choices and a drop");

        // Progress: started, completed, the completion sent twice, and an older report arriving last.
        var platform = As(_tokens.Issue(Roles.LearningPlatform));
        var started = Report("p1", t1, "E1", percent: 50, at: -2);
        var completed = Report("p2", t1, "E1", percent: 100, passed: true, handedIn: true, at: -1);
        var older = Report("p0", t1, "E1", percent: 20, at: -3);
        await SendAsync(platform, HttpMethod.Post, "/api/enrollment/progress", new { reports = new[] { started } }, HttpStatusCode.OK);
        var afterStart = await TallyAsync(t1);
        Assert.True(afterStart.Started);
        Assert.Equal(0m, afterStart.HoursDone);
        await SendAsync(platform, HttpMethod.Post, "/api/enrollment/progress", new { reports = new[] { completed } }, HttpStatusCode.OK);
        await SendAsync(platform, HttpMethod.Post, "/api/enrollment/progress", new { reports = new[] { completed, older } }, HttpStatusCode.OK);
        Assert.Equal(4m, (await TallyAsync(t1)).HoursDone);
        await NoDifferencesAsync("progress, a completion, a duplicate and a late report");

        // An opt-out.
        var school = As(_tokens.Issue(Roles.SchoolAdmin, claims: new Dictionary<string, object> { ["org"] = _schools[SchoolA].ToString(), ["org_path"] = SchoolA }));
        await SendAsync(school, HttpMethod.Post, $"/api/enrollment/years/{Year}/opt-outs", new { teacherId = t2, statementReference = "BZS-1" }, HttpStatusCode.Created);
        Assert.True((await TallyAsync(t2)).OptedOut);
        await NoDifferencesAsync("an opt-out");

        // A transfer to a school of another city's county: the figures go with the teacher.
        await TeacherAsync(t1, 2, "教师甲", SchoolB, "语文");
        await TallyHoldsAsync(t1, t => t.SchoolPath == SchoolB, "教师甲 moved to SB");
        Assert.Equal((10m, 8m, 4m), (await TallyAsync(t1)) is var moved ? (moved.RequiredHours, moved.ElectiveHours, moved.HoursDone) : default);
        await NoDifferencesAsync("a transfer between counties");

        // A change of subject swaps the unstarted required course: R2 (12 h) withdrawn, R1 (10 h) pushed.
        await TeacherAsync(t3, 2, "教师丙", SchoolA, "语文");
        await TallyHoldsAsync(t3, t => t.Subject == "语文" && t.RequiredHours == 10m, "教师丙 now 语文 with R1 only");
        await NoDifferencesAsync("a change of subject");

        // Leaving post: out of every view, and of the tallies read.
        await TeacherAsync(t2, 2, "教师乙", SchoolA, "语文", inPost: false);
        await TallyHoldsAsync(t2, t => !t.InPost, "教师乙 left post");
        await NoDifferencesAsync("a teacher leaving post");

        // What the school sees, read from the tallies with the same rules as the scan.
        await using var connection = await Db.OpenConnectionAsync();
        var scope = new ReportScope((await EnrollmentFacts.YearAsync(connection, Year, default))!, Today, SchoolA, null);
        var rows = new List<TeacherYearRow>();
        await foreach (var row in ProgressTallyStore.StreamAsync(connection, scope, null, default))
        {
            rows.Add(row);
        }
        Assert.Equal([("教师丙", ProgressStatuses.NotStarted)], rows.Select(r => (r.Name, r.Status)));
        await TalliesReadAsTheScanAsync();
        await HalfWayThroughTheYearAsync();
    }

    [Fact]
    public async Task Two_replicas_writing_the_same_teachers_at_once_leave_every_tally_exact()
    {
        var connectionString = _enrollment.Services.GetRequiredService<DatabaseMigrations>().ConnectionString;
        await using var second = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName,
            new Dictionary<string, string?> { [$"ConnectionStrings:{EnrollmentApi.DatabaseName}"] = connectionString });
        var teachers = Enumerable.Range(1, 6).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (id, i) in teachers.Select((id, i) => (id, i)))
        {
            await TeacherAsync(id, 1, $"教师{i}", i % 2 == 0 ? SchoolA : SchoolB, "语文");
        }
        foreach (var id in teachers)
        {
            await TallyHoldsAsync(id, t => t.RequiredHours == 10m, "teacher arrived with R1");
        }

        HttpClient On(int replica, string token)
        {
            var client = replica % 2 == 0 ? _enrollment.CreateClient() : second.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }
        string TeacherToken(Guid id, int i) => _tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>
        {
            ["org"] = _schools[i % 2 == 0 ? SchoolA : SchoolB].ToString(), ["org_path"] = i % 2 == 0 ? SchoolA : SchoolB, ["teacher"] = id.ToString(),
        });

        // Every teacher's three choices at once, spread over both replicas.
        await Task.WhenAll(teachers.SelectMany((id, i) => new[] { "E1", "E2", "E3" }.Select((course, c) =>
            SendAsync(On(i + c, TeacherToken(id, i)), HttpMethod.Post, $"/api/enrollment/years/{Year}/electives", new { courseId = _courses[course] },
                HttpStatusCode.Created))));
        await NoDifferencesAsync("choices on two replicas");

        // Then every course's completion (and the required course's start), each sent twice, at once over both replicas.
        var platform = _tokens.Issue(Roles.LearningPlatform);
        var reports = teachers.SelectMany(id => new[] { "E1", "E2", "E3" }
            .Select(course => Report($"{id:N}-{course}", id, course, percent: 100, passed: true, handedIn: true, at: -1))
            .Append(Report($"{id:N}-R1", id, "R1", percent: 30, at: -1))).ToList();
        await Task.WhenAll(reports.Concat(reports).Select((report, i) =>
            SendAsync(On(i, platform), HttpMethod.Post, "/api/enrollment/progress", new { reports = new[] { report } }, HttpStatusCode.OK)));
        foreach (var id in teachers)
        {
            var tally = await TallyAsync(id);
            Assert.Equal((12m, 12m, true), (tally.ElectiveHours, tally.HoursDone, tally.Started));
        }
        await NoDifferencesAsync("progress on two replicas");
        await TalliesReadAsTheScanAsync();
        await HalfWayThroughTheYearAsync();
    }

    [Fact]
    public async Task An_operator_checks_the_tallies_and_a_rebuild_repairs_them()
    {
        var t1 = Guid.NewGuid();
        await TeacherAsync(t1, 1, "教师甲", SchoolA, "语文");
        await TallyHoldsAsync(t1, t => t.RequiredHours == 10m, "teacher arrived with R1");
        var operatorClient = As(_tokens.Issue(Roles.PlatformOperator));

        var clean = await SendAsync(operatorClient, HttpMethod.Post, "/api/enrollment/operations/progress-tallies/checks", new { year = Year, under = "P" }, HttpStatusCode.OK);
        Assert.Equal(0, clean.GetProperty("differences").GetInt32());

        // A tally gone wrong (as a change written around the tallies would leave it) is found, field by field.
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update progress_tallies set hours_done = 40 where teacher_id = @T1", new { T1 = t1 });
        }
        var found = await SendAsync(operatorClient, HttpMethod.Post, "/api/enrollment/operations/progress-tallies/checks", new { year = Year, under = "K1" },
            HttpStatusCode.OK);
        Assert.Equal(["hoursDone", "status", "reason"], found.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("field").GetString()));
        Assert.Equal(("0.0", "40.0"), (found.GetProperty("items")[0].GetProperty("expected").GetString(), found.GetProperty("items")[0].GetProperty("actual").GetString()));

        var rebuild = await SendAsync(operatorClient, HttpMethod.Post, "/api/enrollment/operations/progress-tallies/rebuilds", null, HttpStatusCode.Accepted);
        var id = rebuild.GetProperty("id").GetInt64();
        await Eventually.HoldsAsync(async () =>
            (await SendAsync(operatorClient, HttpMethod.Get, $"/api/enrollment/operations/progress-tallies/rebuilds/{id}", null, HttpStatusCode.OK))
            .GetProperty("doneAt").ValueKind != JsonValueKind.Null, Patience, "the rebuild finished");
        var repaired = await SendAsync(operatorClient, HttpMethod.Post, "/api/enrollment/operations/progress-tallies/checks", new { year = Year, under = "P" }, HttpStatusCode.OK);
        Assert.Equal(0, repaired.GetProperty("differences").GetInt32());

        await AuditRows.SealAsync(_enrollment.Services);
        await using (var connection = await Db.OpenConnectionAsync())
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
                "select count(*) from audit_records where action = 'progress-tallies-rebuild-requested' and target_id = @Id", new { Id = id.ToString() }));
            Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(*) from audit_records where action = 'progress-tallies-checked'"));
            // The migration's own rebuild ran at start-up.
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from progress_tally_rebuilds where done_at is null"));
        }
        await SendAsync(As(_tokens.Issue(Roles.SchoolAdmin, claims: new Dictionary<string, object> { ["org"] = _schools[SchoolA].ToString(), ["org_path"] = SchoolA })),
            HttpMethod.Post, "/api/enrollment/operations/progress-tallies/rebuilds", null, HttpStatusCode.Forbidden);
    }

    private sealed record Tally
    {
        public string SchoolPath { get; init; } = "";
        public string Subject { get; init; } = "";
        public bool InPost { get; init; }
        public decimal RequiredHours { get; init; }
        public decimal ElectiveHours { get; init; }
        public decimal HoursDone { get; init; }
        public bool Started { get; init; }
        public bool OptedOut { get; init; }
    }

    private async Task<Tally> TallyAsync(Guid teacher)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<Tally>("""
            select school_path, subject, in_post, required_hours, elective_hours, hours_done, started, opted_out
            from progress_tallies where teacher_id = @Teacher and program_year_id = @Year
            """, new { Teacher = teacher, Year = _year }) ?? new Tally { SchoolPath = "(none)" };
    }

    private Task TallyHoldsAsync(Guid teacher, Func<Tally, bool> condition, string what) =>
        Eventually.HoldsAsync(async () => condition(await TallyAsync(teacher)), Patience, what);

    private async Task NoDifferencesAsync(string after)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var year = (await EnrollmentFacts.YearAsync(connection, Year, default))!;
        var differences = await ProgressTallyStore.CheckAsync(connection, year, Today, "P", default);
        Assert.True(differences.Count == 0, $"after {after}: {string.Join("; ", differences)}");
    }

    /// <summary>
    /// The day moves on, no tally does: study half-way through (18 of 36 hours expected), course selection closed the
    /// day before study started except in county K2, whose adjustment keeps it open. The statuses the tallies give,
    /// decided when read, are still the scan's.
    /// </summary>
    private async Task HalfWayThroughTheYearAsync()
    {
        await using (var connection = await Db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                update program_years set course_selection_opens = @Opens, study_starts = @Starts, required_study_ends = @Ends where id = @Id;
                insert into window_adjustments (id, program_year_id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at)
                values (gen_random_uuid(), @Id, 'course_selection', 'P/C2/K2', @Opens, @Later, 'extended', '补选', now());
                """, new { Id = _year, Opens = Today.AddDays(-60), Starts = Today.AddDays(-48), Ends = Today.AddDays(48), Later = Today.AddDays(5) });
        }
        // Written behind the copies' backs, so done here as ProgramYearScheduledCopy and SelectionWindowAdjustedCopy do:
        // the fold counted teachers by the course-selection close these moved.
        await using (var unitOfWork = await UnitOfWork.BeginAsync(Db, default))
        {
            await ProgressFold.InvalidateAsync(unitOfWork, _year, null, default);
            await unitOfWork.CommitAsync(default);
        }
        await NoDifferencesAsync("the year half-way through");
        await TalliesReadAsTheScanAsync();
    }

    /// <summary>
    /// The views' answers read from the tallies equal the scan's: each status's teachers paged one at a time by keyset
    /// (and all of them), and the roll-ups of the province (by county) and of a county (by school).
    /// </summary>
    private async Task TalliesReadAsTheScanAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var year = (await EnrollmentFacts.YearAsync(connection, Year, default))!;
        foreach (var root in new[] { "P", "P/C1/K1", SchoolA })
        {
            var scope = new ReportScope(year, Today, root, null);
            foreach (var status in ProgressStatuses.Names.Keys.Append(null))
            {
                var scanned = new List<(Guid, string)>();
                await foreach (var row in ReportStore.StreamAsync(connection, scope, status, default))
                {
                    scanned.Add((row.Id, row.Status));
                }
                var paged = new List<(Guid, string)>();
                PageCursor? after = null;
                while (await ProgressTallyStore.PageAsync(connection, scope, status, after, 1, default) is [var next])
                {
                    paged.Add((next.Id, next.Status));
                    after = new(next.SchoolPath, next.Name, next.Id);
                }
                Assert.Equal(scanned, paged);
            }
            var depth = ProgressStatus.RollUpDepth(root);
            Assert.Equal(await ReportStore.RollUpAsync(connection, scope, depth, default), await ProgressTallyStore.RollUpAsync(connection, scope, depth, default));
        }
        await FoldReadsAsTheScanAsync();
        await FoldEverythingAsync();
        await FoldReadsAsTheScanAsync();
    }

    /// <summary>
    /// The province's and a city's roll-ups by county read from the fold, corrected by whatever changed since it, equal
    /// the scan's — with tallies changed since the last fold and with none.
    /// </summary>
    private async Task FoldReadsAsTheScanAsync()
    {
        await using var connection = await Db.OpenConnectionAsync();
        var year = (await EnrollmentFacts.YearAsync(connection, Year, default))!;
        foreach (var root in new[] { "P", "P/C1", "P/C2" })
        {
            var scope = new ReportScope(year, Today, root, null);
            Assert.Equal(await ReportStore.RollUpAsync(connection, scope, ProgressStatus.CountyDepth, default),
                await ProgressFold.RollUpAsync(connection, scope, groups: true, default));
        }
    }

    /// <summary>Folds until nothing is left to fold (the service's own worker may be folding at the same time).</summary>
    private Task FoldEverythingAsync() =>
        Eventually.HoldsAsync(async () =>
        {
            await ProgressFold.FoldBatchAsync(Db, default);
            await using var connection = await Db.OpenConnectionAsync();
            return await ProgressFold.DirtyAsync(connection, default) == 0;
        }, Patience, "every tally folded");

    private Task TeacherAsync(Guid id, int version, string name, string school, string subject, bool inPost = true) =>
        _enrollment.Services.GetRequiredService<IBus>().Publish(new TeacherProfileChanged(id, version, "371602199001010011", name, new DateOnly(1990, 1, 1),
            "male", _schools[school], school, "primary", subject, new DateOnly(2015, 9, 1), true, false, null, "backbone", inPost,
            version == 1 ? TeacherChanges.Registered : TeacherChanges.Transferred, DateTimeOffset.UtcNow));

    private object Report(string reportId, Guid teacher, string course, decimal percent, bool passed = false, bool handedIn = false, int at = 0) => new
    {
        reportId, teacherId = teacher, courseId = _courses[course], programYear = Year, minutesStudied = (int)percent, percent, testPassed = passed,
        assignmentHandedIn = handedIn, occurredAt = DateTimeOffset.UtcNow.AddHours(at),
    };

    private HttpClient Teacher(Guid id, string school) => As(_tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>
    {
        ["org"] = _schools[school].ToString(), ["org_path"] = school, ["teacher"] = id.ToString(),
    }));

    private HttpClient As(string token)
    {
        var client = _enrollment.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
