// Study progress views at province scale (issue 17's performance targets): the real Enrollment service and the real
// gateway in front of it, both in this process on Kestrel, against a private PostgreSQL (fsync on, sized like
// CourseSelectionLoad's) and RabbitMQ. The service's local copies are seeded directly, set-based: province 37 with 16
// cities (the capital holds 14 of the 140 counties, about a tenth of the province), schools of 50–500 teachers spread over
// the counties, one program year half-way through its required-study period, 3,000 courses of 1.5–8 hours, and
// `enrollments` per teacher (4 required, the rest electives) studied so that every status occurs (completed, on track,
// behind, not started, opted out ~1%; one county's course selection still open). Then:
//   1. the tallies are rebuilt as an operator asks for it (POST …/progress-tallies/rebuilds, polled until done), and
//      folded by county in the background (GET …/progress-tallies polled until nothing is left to fold);
//   2. each view through the gateway, one request at a time (3 warm-ups, then 20 measured or as many as fit in a
//      minute, at least 3), beside the same answer computed in this process by ReportStore's scan of the enrollments
//      (the oracle), whose counts it must match: the province, a city and a county roll-up, a school's teachers page
//      filtered by status and the page after it, and the XLSX export of the capital city (~100,000 teachers at full
//      scale) with the process's memory growth sampled during the download;
//   3. hot units: a school's teachers all choosing at once through pgbench, the tally written as built (the teacher's
//      own row) against one counter row per school, and without any tally as the ceiling.
//
//   nice dotnet run -c Release --project benchmarks/ProgressViews -- [teachers=1000000] [enrollments=10] [--keep]
//   (--keep leaves the servers up at the end, printing the database's connection string, for EXPLAIN ANALYZE)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using TrainingPlatform.Benchmarks;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Gateway;
using TrainingPlatform.LocalServers;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.TestSupport;

var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var teacherCount = numbers.Length > 0 ? numbers[0] : 1_000_000;
var perTeacher = numbers.Length > 1 ? numbers[1] : 10;
var keep = args.Contains("--keep");
const string Year = "2041", CapitalCity = "3701";
const int Counties = 140, Courses = 3000, PageSize = 50;
var rollUpTarget = "≤ 100 ms p95";

Console.WriteLine($"progress views: {teacherCount:N0} teachers × {perTeacher} enrollments in province 37; {Environment.ProcessorCount} cores");
var root = Directory.CreateTempSubdirectory("trainingplatform-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the servers run as the postgres and rabbitmq users
}
using var removeRoot = new DeletedWhenDisposed(root); // last, after the servers below have stopped, even on a failure
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions
{
    DataDirectory = Path.Combine(root, "pg"),
    Settings = new Dictionary<string, string>
    {
        ["shared_buffers"] = "2GB", ["max_wal_size"] = "8GB", ["checkpoint_timeout"] = "30min", ["wal_buffers"] = "64MB",
        ["maintenance_work_mem"] = "512MB", ["work_mem"] = "64MB",
    },
}, NullLogSink.Instance);
await using var rabbit = await LocalRabbitMq.StartAsync(new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "mq") }, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(EnrollmentApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(EnrollmentApi.DatabaseName);

var tokens = new TestTokens();
Directory.SetCurrentDirectory(AppContext.BaseDirectory); // where the test host's manifest names the services' content roots
await using var service = new ProductionHost<EnrollmentApi>(new Dictionary<string, string?>
{
    [$"ConnectionStrings:{EnrollmentApi.DatabaseName}"] = connectionString,
    ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
    ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
    ["Logging:LogLevel:Default"] = "Warning",
});
service.UseKestrel(0);
service.StartServer();
var serviceAddress = service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
await using var gateway = new ProductionHost<GatewayApi>(new Dictionary<string, string?>
{
    [$"services:{EnrollmentApi.ServiceName}:http:0"] = serviceAddress,
    ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
    ["Logging:LogLevel:Default"] = "Warning",
});
gateway.UseKestrel(0);
gateway.StartServer();
var address = new Uri(gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
{
    BaseAddress = address, Timeout = TimeSpan.FromMinutes(20), // the scanning views take minutes at full scale
};
while (!(await http.GetAsync(new Uri(new Uri(serviceAddress), "/health").ToString())).IsSuccessStatusCode)
{
    await Task.Delay(200);
}

await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 }.ConnectionString);
// The migration queues a rebuild at the first start; let it finish (over no teachers) before the seed, so the only
// rebuild that meets the seeded rows is the one measured below.
await WaitAsync(async () => await ScalarAsync<long>(db, "select count(*) from progress_tally_rebuilds where done_at is null") == 0);

var clock = Stopwatch.StartNew();
await SeedAsync(db, teacherCount, perTeacher);
var (seededTeachers, seededEnrollments, schoolCount) = await ScalarAsync<(long, long, long)>(db,
    "select (select count(*) from teachers), (select count(*) from enrollments), (select count(*) from organisations where kind = 'school')");
Console.WriteLine($"seeded {seededTeachers:N0} teachers, {seededEnrollments:N0} enrollments, {schoolCount:N0} schools, {Counties} counties, 16 cities " +
                  $"in {clock.Elapsed.TotalSeconds:0.0} s; requests go to {address}");

var operatorToken = tokens.Issue(Roles.PlatformOperator, subject: Guid.NewGuid().ToString(), lifetime: TimeSpan.FromHours(6),
    claims: new Dictionary<string, object> { [PlatformClaims.Name] = "基准运营" });

// 1. The tallies: rebuilt from the enrollments as an operator asks for it, then folded if the service folds.
clock.Restart();
long rebuildId;
using (var response = await SendAsync(HttpMethod.Post, "/api/enrollment/operations/progress-tallies/rebuilds", operatorToken, new { }))
{
    rebuildId = (await Json(response)).GetProperty("id").GetInt64();
}
JsonElement rebuild = default;
await WaitAsync(async () =>
{
    using var response = await SendAsync(HttpMethod.Get, $"/api/enrollment/operations/progress-tallies/rebuilds/{rebuildId}", operatorToken);
    rebuild = await Json(response);
    return rebuild.GetProperty("doneAt").ValueKind != JsonValueKind.Null;
}, TimeSpan.FromSeconds(1));
var rebuilt = rebuild.GetProperty("teachersDone").GetInt64();
Console.WriteLine($"1. tallies rebuilt: {rebuilt:N0} teachers in {clock.Elapsed.TotalSeconds:0.0} s = {rebuilt / clock.Elapsed.TotalSeconds:0} teachers/s " +
                  $"({await ScalarAsync<long>(db, "select count(*) from progress_tallies"):N0} tally rows)");
clock.Restart();
// The service folds changed tallies into their counties in the background (every 5 s, 5,000 a transaction); a
// rebuild changes every row, so the whole province is folded once. Roll-ups are exact meanwhile, only slower.
long changed = 0;
await WaitAsync(async () =>
{
    using var response = await SendAsync(HttpMethod.Get, "/api/enrollment/operations/progress-tallies", operatorToken);
    changed = (await Json(response)).GetProperty("changedSinceFold").GetInt64();
    return changed == 0;
}, TimeSpan.FromSeconds(1));
Console.WriteLine($"   folded by county in the background: {rebuilt:N0} tallies in {clock.Elapsed.TotalSeconds:0.0} s " +
                  $"({await ScalarAsync<long>(db, "select count(*) from progress_county_tallies"):N0} county rows)");

// The organisations the views are asked about: the province, the capital (also exported), its largest county, and
// the largest school of that county with its admin.
var today = ProvinceCalendar.Today(TimeProvider.System);
YearRow year;
OrganisationName city, county, school;
await using (var connection = await db.OpenConnectionAsync())
{
    year = (await EnrollmentFacts.YearAsync(connection, Year, CancellationToken.None))!;
    city = (await ReportStore.OrganisationAsync(connection, CapitalCity, CancellationToken.None))!;
    county = (await connection.QueryFirstAsync<OrganisationName>("""
        select o.code, o.name, o.kind, o.path from organisations o
        where o.kind = 'county' and o.path like @Prefix
        order by (select count(*) from teachers t where t.school_path like o.path || '/%') desc, o.code limit 1
        """, new { Prefix = city.Path + "/%" }));
    school = (await connection.QueryFirstAsync<OrganisationName>("""
        select o.code, o.name, o.kind, o.path from organisations o
        where o.kind = 'school' and o.path like @Prefix
        order by (select count(*) from teachers t where t.school_path = o.path) desc, o.code limit 1
        """, new { Prefix = county.Path + "/%" }));
}
var countyAdmin = tokens.Issue(Roles.DistrictAdmin, subject: Guid.NewGuid().ToString(), lifetime: TimeSpan.FromHours(6),
    claims: new Dictionary<string, object> { ["org"] = Md5Guid("county " + county.Code).ToString(), ["org_path"] = county.Path });
var schoolAdmin = tokens.Issue(Roles.SchoolAdmin, subject: Guid.NewGuid().ToString(), lifetime: TimeSpan.FromHours(6),
    claims: new Dictionary<string, object> { ["org"] = Md5Guid("school " + school.Code).ToString(), ["org_path"] = school.Path });
var schoolTeachers = await ScalarAsync<long>(db, "select count(*) from teachers where school_path = @Path", new { school.Path });
Console.WriteLine($"   as of {today:yyyy-MM-dd}: expected {ProgressStatus.ExpectedHours(year, today)} of {year.MinAnnualHours} h; city {city.Code}, " +
                  $"county {county.Code}, school {school.Code} ({schoolTeachers} teachers)");

// 2. The views: the service's answer through the gateway beside the scan's, and whether they agree.
Console.WriteLine();
Console.WriteLine($"2. {"view",-40} {"side",-8} latency");
var results = new List<string>();
await RollUpAsync("province roll-up (operator)", null, operatorToken, "", null, rollUpTarget);
await RollUpAsync($"city {city.Code} roll-up (operator)", city.Code, operatorToken, city.Path, city, rollUpTarget);
await RollUpAsync($"county {county.Code} roll-up (district admin)", null, countyAdmin, county.Path, county, "(no target)");
await SchoolPageAsync();
await ExportAsync();
await ContentionAsync();
Console.WriteLine();
Console.WriteLine("answers, the service's against the scan's:");
foreach (var line in results)
{
    Console.WriteLine("  " + line);
}

if (keep)
{
    Console.WriteLine($"servers kept up; database: {connectionString}\npress Enter to stop");
    Console.ReadLine();
}
return 0;

// 3. Hot units (issue 17, item 6): the school's teachers all choosing at once, 64 connections, each transaction an
// enrollment-sized INSERT plus the tally write, three ways: no tally (the ceiling), the teacher's own row (what the
// service does), and one counter row per school (the alternative: every choice of the school on one row).
async Task ContentionAsync()
{
    await using (var connection = await db.OpenConnectionAsync())
    {
        await connection.ExecuteAsync("""
            create table bench_choices (like enrollments including all);
            create table bench_school_teachers as
                select row_number() over (order by id) as n, id as teacher_id from teachers where school_path = @Path;
            alter table bench_school_teachers add primary key (n);
            create table bench_school_counters (school_path text primary key, elective_hours numeric(14, 1) not null);
            insert into bench_school_counters values (@Path, 0);
            """, new { school.Path });
    }
    var size = await ScalarAsync<long>(db, "select count(*) from bench_school_teachers");
    const string Insert = """
        INSERT INTO bench_choices (id, teacher_id, program_year_id, course_id, kind, status, enrolled_at)
          VALUES (gen_random_uuid(), gen_random_uuid(), md5('year')::uuid, md5('course1')::uuid, 'elective', 'enrolled', now());
        """;
    var ways = new (string What, string Write)[]
    {
        ("no tally (the ceiling)", ""),
        ("the teacher's own tally row (as built)", """
            UPDATE progress_tallies SET elective_hours = elective_hours + 2, dirty = true
              WHERE program_year_id = md5('year')::uuid AND teacher_id = (SELECT teacher_id FROM bench_school_teachers WHERE n = :n);
            """),
        ("one counter row for the school (the alternative)", $"""
            UPDATE bench_school_counters SET elective_hours = elective_hours + 2 WHERE school_path = '{school.Path}';
            """),
    };
    Console.WriteLine();
    Console.WriteLine($"3. hot units: {size} teachers of school {school.Code} choosing at once, 64 connections, 15 s each (pgbench, fsync on)");
    foreach (var (what, write) in ways)
    {
        var script = Path.Combine(root, $"choice-{Array.FindIndex(ways, w => w.What == what)}.sql");
        await File.WriteAllTextAsync(script, $$"""
            \set n random(1, {{size}})
            BEGIN;
            {{Insert}}
            {{write}}
            END;
            """);
        var (tps, latency) = await PgBench.RunAsync(connectionString, script, clients: 64, seconds: 15);
        Console.WriteLine($"   {what,-50} {tps,8:N0} choices/s, average latency {latency,7:N1} ms");
    }
}

async Task RollUpAsync(string what, string? under, string token, string rootPath, OrganisationName? organisation, string target)
{
    var path = $"/api/enrollment/years/{Year}/report" + (under is null ? "" : $"?under={under}");
    JsonElement answer = default;
    var served = await MeasureViewAsync(async () =>
    {
        using var response = await SendAsync(HttpMethod.Get, path, token);
        return Failure(response) ?? Keep(answer = await Json(response));
    });
    var scope = new ReportScope(year, today, rootPath, organisation);
    IReadOnlyList<RollUpRow> scanned = [];
    var scan = await MeasureScanAsync(async () =>
    {
        await using var connection = await db.OpenConnectionAsync();
        scanned = await ReportStore.RollUpAsync(connection, scope, ProgressStatus.RollUpDepth(rootPath), CancellationToken.None);
        return null;
    });
    Print(what, served, scan, target);
    if (answer.ValueKind == JsonValueKind.Undefined)
    {
        results.Add($"{what}: NOT COMPARED — the service failed ({served.Failure})");
        return;
    }
    var servedCounts = new[] { answer.GetProperty("total") }.Concat(answer.GetProperty("groups").EnumerateArray())
        .ToDictionary(g => g.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "", Counts);
    var scannedCounts = scanned.ToDictionary(r => r.Path ?? "", r => (r.Teachers, r.Completed, r.OnTrack, r.Behind, r.NotStarted, r.OptedOut));
    var same = servedCounts.Count == scannedCounts.Count && servedCounts.All(s => scannedCounts.TryGetValue(s.Key, out var c) && c == s.Value);
    var total = scannedCounts.GetValueOrDefault("");
    results.Add($"{what}: {(same ? "MATCH" : "DIFFERENT")} — {scannedCounts.Count - 1} groups; total {total.Teachers:N0} teachers: " +
                $"completed {total.Completed:N0}, on track {total.OnTrack:N0}, behind {total.Behind:N0}, not started {total.NotStarted:N0}, " +
                $"opted out {total.OptedOut:N0}" + (same ? "" : $"; the service's total {servedCounts.GetValueOrDefault("")}"));
}

async Task SchoolPageAsync()
{
    var first = $"/api/enrollment/years/{Year}/teachers?filter=behind&pageSize={PageSize}";
    JsonElement page = default;
    var served = await MeasureViewAsync(async () =>
    {
        using var response = await SendAsync(HttpMethod.Get, first, schoolAdmin);
        return Failure(response) ?? Keep(page = await Json(response));
    });
    if (page.ValueKind == JsonValueKind.Undefined)
    {
        page = JsonDocument.Parse("{\"items\":[]}").RootElement;
    }
    // The next page by the keyset cursor when the service gives one (`next`), else by page number.
    var cursor = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
    var second = cursor is null ? first + "&page=2" : first + "&after=" + Uri.EscapeDataString(cursor);
    JsonElement secondPage = default;
    var servedNext = await MeasureViewAsync(async () =>
    {
        using var response = await SendAsync(HttpMethod.Get, second, schoolAdmin);
        return Failure(response) ?? Keep(secondPage = await Json(response));
    });
    var scope = new ReportScope(year, today, school.Path, school);
    (IReadOnlyList<TeacherYearRow> Rows, long Total) scanned = ([], 0), scannedNext = ([], 0);
    var scan = await MeasureScanAsync(async () =>
    {
        await using var connection = await db.OpenConnectionAsync();
        scanned = await ReportStore.PageAsync(connection, scope, ProgressStatuses.Behind, PageSize, 0, CancellationToken.None);
        return null;
    });
    var scanNext = await MeasureScanAsync(async () =>
    {
        await using var connection = await db.OpenConnectionAsync();
        scannedNext = await ReportStore.PageAsync(connection, scope, ProgressStatuses.Behind, PageSize, PageSize, CancellationToken.None);
        return null;
    });
    Print($"school {school.Code} behind, page 1", served, scan, "≤ 30 ms p95");
    Print($"  page 2 ({(cursor is null ? "page=2" : "after=cursor")})", servedNext, scanNext, "≤ 30 ms p95");
    if (secondPage.ValueKind == JsonValueKind.Undefined || served.Failed > 0)
    {
        results.Add($"school {school.Code} behind, pages 1–2: NOT COMPARED — the service failed ({served.Failure ?? servedNext.Failure})");
        return;
    }
    static IEnumerable<Guid> Ids(JsonElement body) => body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("teacherId").GetGuid());
    var same = Ids(page).SequenceEqual(scanned.Rows.Select(r => r.Id)) && Ids(secondPage).SequenceEqual(scannedNext.Rows.Select(r => r.Id))
               && (!page.TryGetProperty("total", out var total) || total.GetInt64() == scanned.Total);
    results.Add($"school {school.Code} ({schoolTeachers} teachers) behind, pages 1–2: {(same ? "MATCH" : "DIFFERENT")} — {scanned.Total} behind; " +
                $"page 1 {Ids(page).Count()} + page 2 {Ids(secondPage).Count()} teachers");
}

async Task ExportAsync()
{
    var path = $"/api/enrollment/years/{Year}/teachers/export?under={city.Code}";
    var rows = await ScalarAsync<long>(db, "select count(*) from teachers where in_post and school_path like @Prefix", new { Prefix = city.Path + "/%" });
    var runs = new List<(double Seconds, long Bytes, double Heap, double WorkingSet, HttpStatusCode Status)>();
    for (var run = 0; run < 3; run++) // the first warms up (JIT, the plan, the pages cached)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        await using var memory = new MemorySampler();
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long bytes = 0;
        for (int read; (read = await body.ReadAsync(buffer)) > 0;)
        {
            bytes += read;
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await memory.DisposeAsync();
        runs.Add((seconds, bytes, memory.HeapGrowthMb, memory.WorkingSetGrowthMb, response.StatusCode));
    }
    foreach (var (seconds, bytes, heap, workingSet, status) in runs.Skip(1))
    {
        Console.WriteLine($"   {"XLSX export, city " + city.Code,-40} {"service",-8} {seconds,6:0.00} s to the last byte, {bytes / 1024.0 / 1024.0:0.0} MB, " +
                          $"status {(int)status}; growth: managed heap {heap:0} MB, working set {workingSet:0} MB   target ≤ 10 s, < 100 MB");
    }
    results.Add($"XLSX export of city {city.Code}: {rows:N0} teachers in post (the service streams or buffers: whatever is there)");
}

void Print(string what, Timings served, Timings scan, string target)
{
    Console.WriteLine($"   {what,-40} {"service",-8} {served}   target {target}");
    Console.WriteLine($"   {"",-40} {"scan",-8} {scan}");
}

// Through the gateway: 3 warm-ups and 20 measured, or as many as fit in a minute (at least 3) while the view still scans.
Task<Timings> MeasureViewAsync(Func<Task<string?>> call) => MeasureSlowAwareAsync(call, 20);

// The scan in this process on its own connection: fewer runs, it takes seconds to minutes at full scale.
Task<Timings> MeasureScanAsync(Func<Task<string?>> call) => MeasureSlowAwareAsync(call, 5);

// A view that fails on its first call (a scan past the service's command timeout) is reported with that one call.
static async Task<Timings> MeasureSlowAwareAsync(Func<Task<string?>> call, int wanted)
{
    var started = Stopwatch.GetTimestamp();
    var failure = await call();
    var first = Stopwatch.GetElapsedTime(started);
    if (failure is not null)
    {
        var failed = new Timings();
        failed.Add(first.TotalMilliseconds);
        failed.Record(failure);
        return failed;
    }
    var slow = first > TimeSpan.FromSeconds(5);
    return await Timings.MeasureAsync(call, warmUps: slow ? 0 : 2, wanted, minimum: 3, budget: TimeSpan.FromMinutes(1));
}

static string? Failure(HttpResponseMessage response)
{
    if (response.IsSuccessStatusCode)
    {
        return null;
    }
    var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult(); // buffered already
    return $"{(int)response.StatusCode} {text[..Math.Min(120, text.Length)]}";
}

static string? Keep(JsonElement _) => null;

async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
{
    var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var response = await http.SendAsync(request);
    await response.Content.LoadIntoBufferAsync();
    return response;
}

static async Task<JsonElement> Json(HttpResponseMessage response)
{
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
    }
    return JsonDocument.Parse(text).RootElement.Clone();
}

static (int, int, int, int, int, int) Counts(JsonElement g) => (g.GetProperty("teachers").GetInt32(), g.GetProperty("completed").GetInt32(),
    g.GetProperty("onTrack").GetInt32(), g.GetProperty("behind").GetInt32(), g.GetProperty("notStarted").GetInt32(), g.GetProperty("optedOut").GetInt32());

static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan? every = null)
{
    while (!await condition())
    {
        await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
    }
}

static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, object? parameters = null)
{
    await using var connection = await db.OpenConnectionAsync();
    return await connection.QuerySingleAsync<T>(sql, parameters);
}

static Guid Md5Guid(string text) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)), bigEndian: true);

// The local copies as Catalog's and Directory's events would leave them, written set-based (ids are md5 of a name, in
// SQL and in Md5Guid alike). A teacher's tier (a hash of their number, 0–99) decides how far they have studied:
// 0 opted out, 1–9 nothing yet, 10–34 every course completed, 35–64 six in ten, 65–99 two in ten and the rest begun;
// with hours of 1.5–8 per course the statuses then mostly, not exactly, follow the tiers.
static async Task SeedAsync(NpgsqlDataSource db, int teacherCount, int perTeacher)
{
    var today = ProvinceCalendar.Today(TimeProvider.System);
    await using var connection = await db.OpenConnectionAsync();
    var step = Stopwatch.StartNew();
    async Task Step(string what, string sql)
    {
        step.Restart();
        await connection.ExecuteAsync(sql, new { Today = today, Teachers = teacherCount, PerTeacher = perTeacher });
        Console.WriteLine($"   seed: {what,-44} {step.Elapsed.TotalSeconds,6:0.0} s");
    }

    await Step("year, courses, organisations", $$"""
        insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
            topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
        values (md5('year')::uuid, '{{Year}}', '基准年度', 36, 14, @Today - 100, @Today - 90, @Today - 80, @Today - 75, @Today - 60,
            @Today + 60, @Today + 120, 1);

        insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
        select md5('course' || i)::uuid, md5('content' || i)::uuid, 'C' || i, 1, '基准课程 ' || i,
               (array[1.5, 2, 3, 4, 4.5, 6, 8])[1 + i % 7], case when i % 3 = 0 then 'general' else 'subject' end, 'online',
               'provincial', '{primary,junior,senior}', '{}', 'published', now()
        from generate_series(0, {{Courses - 1}}) i;

        -- The capital (3701) has counties 0–13, a tenth of them; the other 126 are dealt round the other 15 cities.
        create temp table bench_counties as
        select k, city, '37' || lpad(city::text, 2, '0') as city_code,
               '37' || lpad(city::text, 2, '0') || lpad(k::text, 3, '0') as code,
               '37/37' || lpad(city::text, 2, '0') || '/37' || lpad(city::text, 2, '0') || lpad(k::text, 3, '0') as path
        from (select k, case when k < 14 then 1 else 2 + (k - 14) % 15 end as city from generate_series(0, {{Counties - 1}}) k) c;

        -- Schools of 50–500 teachers, numbered, each with its first teacher; school s is in county s % 140.
        create temp table bench_schools as
        select s, size, first from (
            select s, size, coalesce(sum(size) over (order by s rows between unbounded preceding and 1 preceding), 0)::int as first
            from (select s, 50 + ((s::bigint * 2654435761) % 451)::int as size from generate_series(0, @Teachers / 50 + 1) s) sized) placed
        where first < @Teachers;
        update bench_schools set size = @Teachers - first where first + size > @Teachers;

        insert into organisations (id, code, name, kind, path, updated_at)
        values (md5('province 37')::uuid, '37', '基准省', 'province', '37', now());
        insert into organisations (id, code, name, kind, path, updated_at)
        select md5('city ' || city_code)::uuid, city_code, '基准市 ' || city, 'city', '37/' || city_code, now()
        from (select distinct city, city_code from bench_counties) c;
        insert into organisations (id, code, name, kind, path, updated_at)
        select md5('county ' || code)::uuid, code, '基准县 ' || k, 'county', path, now() from bench_counties;
        insert into organisations (id, code, name, kind, path, updated_at)
        select md5('school S' || lpad(s::text, 6, '0'))::uuid, 'S' || lpad(s::text, 6, '0'), '基准学校 ' || s, 'school',
               c.path || '/S' || lpad(s::text, 6, '0'), now()
        from bench_schools b join bench_counties c on c.k = b.s % {{Counties}};

        -- One county's course selection was extended: its electives are not due yet.
        insert into window_adjustments (id, program_year_id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at)
        select md5('adjustment')::uuid, md5('year')::uuid, 'course_selection', path, @Today - 75, @Today + 5, 'extension', '基准：延长选课', now()
        from bench_counties where k = 5;
        """);

    await Step("teachers", $$"""
        insert into teachers (id, version, name, school_id, school_path, stage, subject, class_teacher, in_post, updated_at)
        select md5('teacher' || i)::uuid, 1, '教师' || lpad(i::text, 7, '0'), md5('school S' || lpad(b.s::text, 6, '0'))::uuid,
               c.path || '/S' || lpad(b.s::text, 6, '0'), (array['primary', 'junior', 'senior', 'kindergarten'])[1 + b.s % 4],
               (array['语文', '数学', '英语', '物理', '化学', '历史'])[1 + i % 6], i % 5 = 0, i % 250 <> 249, now()
        from bench_schools b
        join bench_counties c on c.k = b.s % {{Counties}}
        cross join lateral generate_series(b.first, b.first + b.size - 1) i;
        """);

    await Step("enrollments", """
        insert into enrollments (id, teacher_id, program_year_id, course_id, kind, status, minutes_studied, percent, test_passed,
            assignment_handed_in, enrolled_at, completed_at)
        select lpad(to_hex(i::bigint * 64 + k), 32, '0')::uuid, md5('teacher' || i)::uuid, md5('year')::uuid,
               md5('course' || ((i::bigint * 7 + k * 293) % 3000))::uuid,
               case when k < 4 then 'required' else 'elective' end,
               case when done then 'completed' else 'enrolled' end,
               case when done then 120 when begun then 25 else 0 end,
               case when done then 100 when begun then 30 else 0 end,
               done, done, now() - interval '70 days', case when done then now() - interval '1 day' * (1 + k) end
        from (
            select i, k, done, not done and tier >= 10 as begun
            from (select i, k, abs(hashtext('tier' || i)) % 100 as tier from generate_series(0, @Teachers - 1) i, generate_series(0, @PerTeacher - 1) k) t,
                 lateral (select case when tier between 10 and 34 then true
                                      when tier between 35 and 64 then k % 10 < 6
                                      when tier >= 65 or tier = 0 then k % 10 < 2
                                      else false end as done) d
        ) e;
        """);

    await Step("opt-outs", """
        insert into opt_outs (teacher_id, program_year_id, statement_reference, reason, recorded_by, recorded_at)
        select md5('teacher' || i)::uuid, md5('year')::uuid, 'BZS-' || i, '长期病假', '基准学校管理员', now()
        from generate_series(0, @Teachers - 1) i where abs(hashtext('tier' || i)) % 100 = 0;
        """);

    await Step("analyze", "analyze;");
}
