// Course-selection day load run (enrollment issue, item 6): the real Enrollment service, in this process on Kestrel,
// against a private PostgreSQL (fsync on) and RabbitMQ. Its local copies are seeded directly: one program year whose
// course selection is open today, 50,000 teachers in 200 schools of one city, 6 topics × 10 online courses chosen by
// every school, 4 required courses pushed to everyone (some studied), and one concentrated course whose only session
// seats 100. Then, over HTTP with teachers' tokens:
//   1. `clients` virtual teachers at a time, each teacher choosing 4 electives one after another;
//   2. `rush` teachers asking for the 100 seats in the same instant, the refused ones joining the waiting list;
//   3. the school/district views over the whole city (list page, roll-up, XLSX export of 50,000 rows).
//
//   dotnet run -c Release --project benchmarks/CourseSelectionLoad -- [clients=64] [teachers=5000] [rush=500] [--keep]
//   (--keep leaves the servers up at the end, printing the database's connection string, for EXPLAIN ANALYZE;
//   --no-auto-prepare runs the service without prepared statements, for comparison)
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using TrainingPlatform.AppHost.Infrastructure;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.TestSupport;

var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var clients = numbers.Length > 0 ? numbers[0] : 64;
var choosers = numbers.Length > 1 ? numbers[1] : 5000;
var rush = numbers.Length > 2 ? numbers[2] : 500;
var keep = args.Contains("--keep");
const int Schools = 200, TeachersPerSchool = 250, Topics = 6, CoursesPerTopic = 10, Picks = 4, Capacity = 100;
const string Year = "2040";
if (choosers + rush > Schools * TeachersPerSchool)
{
    Console.Error.WriteLine($"teachers + rush must not pass {Schools * TeachersPerSchool:N0}");
    return 2;
}

Console.WriteLine($"course-selection load: {Schools * TeachersPerSchool:N0} teachers in {Schools} schools, {Topics}×{CoursesPerTopic} courses; " +
                  $"{choosers:N0} teachers × {Picks} electives by {clients} clients; {rush} teachers for {Capacity} seats; {Environment.ProcessorCount} cores");
var root = Directory.CreateTempSubdirectory("trainingplatform-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the servers run as the postgres and rabbitmq users
}
using var removeRoot = new DeletedWhenDisposed(root); // last, after the servers below have stopped, even on a failure
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions { DataDirectory = Path.Combine(root, "pg") }, NullLogSink.Instance);
await using var rabbit = await LocalRabbitMq.StartAsync(new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "mq") }, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(EnrollmentApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(EnrollmentApi.DatabaseName);

var tokens = new TestTokens();
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false"); // no calls out of a benchmark
Directory.SetCurrentDirectory(AppContext.BaseDirectory); // where the test host's manifest names the service's content root
await using var service = new EnrollmentHost(new Dictionary<string, string?>
{
    // --no-auto-prepare: statements parsed and planned on every call, as before the service prepared them.
    [$"ConnectionStrings:{EnrollmentApi.DatabaseName}"] = args.Contains("--no-auto-prepare")
        ? connectionString + ";Max Auto Prepare=0"
        : connectionString,
    ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
    ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
    ["Logging:LogLevel:Default"] = "Warning",
});
service.UseKestrel(0);
service.StartServer();
var address = new Uri(service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = address, Timeout = TimeSpan.FromSeconds(100),
};
while (!(await http.GetAsync("/health")).IsSuccessStatusCode)
{
    await Task.Delay(200);
}

var seedClock = Stopwatch.StartNew();
await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 600 }.ConnectionString);
var (teachers, session) = await SeedAsync(db);
Console.WriteLine($"seeded in {seedClock.Elapsed.TotalSeconds:0.0} s; service on {address}");
var courses = Enumerable.Range(1, Topics * CoursesPerTopic).Select(i => CourseId(i)).ToArray();

// 1. Electives: every teacher of the run picks 4 different courses (the same 4 for a given teacher, run after run).
var chooserTokens = teachers.Take(choosers).Select(t => Token(t)).ToArray();
await ChooseAsync(teachers[^1], courses[0], null); // warm-up: JIT, pools, plans
var choice = new Recorder();
var next = -1;
var cpu = CpuMeter.Start(postgres.Process.Id, rabbit.Process.Id);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
{
    for (var i = Interlocked.Increment(ref next); i < choosers; i = Interlocked.Increment(ref next))
    {
        var random = new Random(i);
        foreach (var course in courses.OrderBy(_ => random.Next()).Take(Picks))
        {
            await choice.TimeAsync(() => PostAsync($"/api/enrollment/years/{Year}/electives", new { courseId = course }, chooserTokens[i]));
        }
    }
})));
choice.Stop(clock);
await OutboxDrainedAsync(db); // each choice's CourseEnrolled is published before its CPU is counted
choice.Print($"electives, {clients} clients", "choices");
cpu.Print(choosers * Picks, "choice");

// 2. The rush: every teacher's request is ready and released at once; a refused one joins the waiting list.
var rushTokens = teachers.Skip(choosers).Take(rush).Select(t => Token(t)).ToArray();
var seats = new Recorder();
var waiting = new Recorder();
var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var concentrated = CourseId(0);
var rushers = rushTokens.Select(token => Task.Run(async () =>
{
    await gate.Task;
    var status = await seats.TimeAsync(() => PostAsync($"/api/enrollment/years/{Year}/electives", new { courseId = concentrated, sessionId = session }, token));
    if (status == HttpStatusCode.Conflict)
    {
        await waiting.TimeAsync(() => PostAsync($"/api/enrollment/years/{Year}/sessions/{session}/waiting-list", new { }, token));
    }
})).ToArray();
clock.Restart();
gate.SetResult();
await Task.WhenAll(rushers);
seats.Stop(clock);
waiting.Stop(clock);
seats.Print($"{rush} teachers for {Capacity} seats at once", "requests");
waiting.Print("  then joining the waiting list", "requests");
await using (var connection = await db.OpenConnectionAsync())
{
    var (capacity, taken, holding, queued) = await connection.QuerySingleAsync<(int, int, long, long)>("""
        select s.capacity, s.taken,
               (select count(*) from enrollments e where e.session_id = s.id and e.status <> 'withdrawn'),
               (select count(*) from waiting_list w where w.session_id = s.id and w.status = 'waiting')
        from course_sessions s where s.id = @Session
        """, new { Session = session });
    Console.WriteLine($"  seats: taken {taken} of {capacity}, enrollments holding a seat {holding}, waiting list {queued}" +
                      (taken > capacity || holding > capacity ? "  ← CAPACITY EXCEEDED" : ""));
}

// 3. The views over the whole city (50,000 teachers), as its district admin.
var city = Token((Guid.Empty, "B37/B3701", Guid.Empty), Roles.DistrictAdmin);
foreach (var (what, path) in new[]
         {
             ("teachers, page 40 of 50", $"/api/enrollment/years/{Year}/teachers?page=40&pageSize=50"),
             ("roll-up by county", $"/api/enrollment/years/{Year}/report"),
             ("XLSX export", $"/api/enrollment/years/{Year}/teachers/export"),
         })
{
    var times = new List<double>();
    long bytes = 0, allocated = 0;
    for (var run = 0; run < 3; run++)
    {
        var before = GC.GetTotalAllocatedBytes();
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", city);
        using var response = await http.SendAsync(request);
        bytes = (await response.Content.ReadAsByteArrayAsync()).Length;
        times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        allocated = GC.GetTotalAllocatedBytes() - before;
        if (!response.IsSuccessStatusCode)
        {
            Console.WriteLine($"  {what}: {(int)response.StatusCode}");
        }
    }
    Console.WriteLine($"{what,-24}: {string.Join(" / ", times.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))} ms " +
                      $"(3 runs), {bytes / 1024.0:0} KB, {allocated / 1024.0 / 1024.0:0} MB allocated in this process");
}

if (keep)
{
    Console.WriteLine($"servers kept up; database: {connectionString}\npress Enter to stop");
    Console.ReadLine();
}
return 0;

static async Task OutboxDrainedAsync(NpgsqlDataSource db)
{
    await using var connection = await db.OpenConnectionAsync();
    while (await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages where sent_at is null") > 0)
    {
        await Task.Delay(100);
    }
}

async Task<HttpStatusCode> PostAsync(string path, object body, string token)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    using var response = await http.SendAsync(request);
    await response.Content.LoadIntoBufferAsync();
    return response.StatusCode;
}

Task ChooseAsync((Guid Id, string SchoolPath, Guid SchoolId) teacher, Guid course, Guid? sessionId) =>
    PostAsync($"/api/enrollment/years/{Year}/electives", new { courseId = course, sessionId }, Token(teacher));

string Token((Guid Id, string SchoolPath, Guid SchoolId) who, string role = Roles.Teacher) => tokens.Issue(role, subject: who.Id.ToString(), lifetime: TimeSpan.FromHours(2),
    claims: role == Roles.Teacher
        ? new Dictionary<string, object> { ["teacher"] = who.Id.ToString(), ["org"] = who.SchoolId.ToString(), ["org_path"] = who.SchoolPath }
        : new Dictionary<string, object> { ["org"] = Guid.NewGuid().ToString(), ["org_path"] = who.SchoolPath });

static Guid CourseId(int i) => Md5Guid($"course{i}");

static Guid Md5Guid(string text) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)), bigEndian: true);

// The local copies as the Catalog and Directory events would leave them, written set-based. Ids are md5 of a name, in
// SQL and here alike. Course 0 is the concentrated one, in topic 1.
static async Task<(List<(Guid Id, string SchoolPath, Guid SchoolId)> Teachers, Guid Session)> SeedAsync(NpgsqlDataSource db)
{
    var today = ProvinceCalendar.Today(TimeProvider.System);
    await using var connection = await db.OpenConnectionAsync();
    await connection.ExecuteAsync($$"""
        insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
            topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
        values (md5('year')::uuid, '{{Year}}', '基准年度', 36, 14, @Today - 30, @Today - 20, @Today - 10, @Today - 1, @Today + 10, @Today + 100,
            @Today + 160, 1);

        insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
        select md5('course' || i)::uuid, md5('content' || i)::uuid, 'C' || i, 1, '基准课程 ' || i, case when i = 0 then 24 else 4 end,
               'subject', case when i = 0 then 'concentrated' else 'online' end, 'provincial', '{primary}', '{}', 'published', now()
        from generate_series(0, {{Topics * CoursesPerTopic}}) i;

        insert into course_sessions (id, course_id, place, starts_on, ends_on, capacity)
        values (md5('session')::uuid, md5('course0')::uuid, '基准培训中心', @Today + 20, @Today + 23, {{Capacity}});

        insert into topics (id, program_year_id, code, name, stages, course_ids, version)
        select md5('topic' || t)::uuid, md5('year')::uuid, 'T' || t, '专题 ' || t, '{primary}',
               array(select md5('course' || i)::uuid from generate_series(case when t = 1 then 0 else (t - 1) * {{CoursesPerTopic}} + 1 end,
                                                                  t * {{CoursesPerTopic}}) i), 1
        from generate_series(1, {{Topics}}) t;

        insert into organisations (id, code, name, kind, path, updated_at)
        values (md5('B37')::uuid, 'B37', '基准省', 'province', 'B37', now()), (md5('B3701')::uuid, 'B3701', '基准市', 'city', 'B37/B3701', now());
        insert into organisations (id, code, name, kind, path, updated_at)
        select md5('county' || c)::uuid, 'B3701' || lpad(c::text, 2, '0'), '基准县 ' || c, 'county', 'B37/B3701/B3701' || lpad(c::text, 2, '0'), now()
        from generate_series(1, 20) c;
        insert into organisations (id, code, name, kind, path, updated_at)
        select md5('school' || s)::uuid, 'B3701' || lpad((s % 20 + 1)::text, 2, '0') || lpad(s::text, 3, '0'), '基准学校 ' || s, 'school',
               'B37/B3701/B3701' || lpad((s % 20 + 1)::text, 2, '0') || '/B3701' || lpad((s % 20 + 1)::text, 2, '0') || lpad(s::text, 3, '0'), now()
        from generate_series(0, {{Schools - 1}}) s;

        insert into school_topics (program_year_id, school_id, school_path, topic_ids, version, frozen)
        select md5('year')::uuid, o.id, o.path, array(select md5('topic' || t)::uuid from generate_series(1, {{Topics}}) t), 1, false
        from organisations o where o.kind = 'school';

        insert into teachers (id, version, name, school_id, school_path, stage, subject, class_teacher, in_post, updated_at)
        select md5('teacher' || i)::uuid, 1, '教师' || i, md5('school' || (i % {{Schools}}))::uuid, o.path, 'primary', '数学', i % 5 = 0, true, now()
        from generate_series(0, {{Schools * TeachersPerSchool - 1}}) i
        join organisations o on o.id = md5('school' || (i % {{Schools}}))::uuid;

        -- Required courses pushed to everyone (4 + 2 + 12 + 4 h), some already studied or completed, so the views have
        -- a year's worth of enrollments to sum.
        insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
        select md5('required' || k)::uuid, md5('required content' || k)::uuid, 'R' || k, 1, '必修课程 ' || k, (array[4, 2, 12, 4])[k],
               'subject', 'online', 'provincial', '{primary}', '{}', 'published', now()
        from generate_series(1, 4) k;
        insert into enrollments (id, teacher_id, program_year_id, course_id, kind, status, minutes_studied, percent, test_passed,
            assignment_handed_in, enrolled_at, completed_at)
        select gen_random_uuid(), md5('teacher' || i)::uuid, md5('year')::uuid, md5('required' || k)::uuid, 'required',
               case when (i + k) % 3 = 0 then 'completed' else 'enrolled' end, ((i + k) % 4) * 30, ((i + k) % 4) * 25, (i + k) % 3 = 0,
               (i + k) % 3 = 0, now(), case when (i + k) % 3 = 0 then now() end
        from generate_series(0, {{Schools * TeachersPerSchool - 1}}) i, generate_series(1, 4) k;
        analyze;
        """, new { Today = today });
    var teachers = (await connection.QueryAsync<(Guid, string, Guid)>(
        $"select md5('teacher' || i)::uuid, t.school_path, t.school_id from generate_series(0, {Schools * TeachersPerSchool - 1}) i " +
        "join teachers t on t.id = md5('teacher' || i)::uuid order by i")).ToList();
    return (teachers, Md5Guid("session"));
}

/// <summary>Latencies and status codes of one kind of request.</summary>
internal sealed class Recorder
{
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private TimeSpan _elapsed;

    public async Task<HttpStatusCode> TimeAsync(Func<Task<HttpStatusCode>> request)
    {
        var started = Stopwatch.GetTimestamp();
        HttpStatusCode status;
        try
        {
            status = await request();
        }
        catch (HttpRequestException)
        {
            status = 0;
        }
        catch (TaskCanceledException)
        {
            status = HttpStatusCode.RequestTimeout;
        }
        _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
        return status;
    }

    public void Stop(Stopwatch clock) => _elapsed = clock.Elapsed;

    public void Print(string what, string unit)
    {
        var sorted = _latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        var ok = _statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);
        Console.WriteLine($"{what}: {sorted.Length:N0} {unit} in {_elapsed.TotalSeconds:0.0} s = {sorted.Length / _elapsed.TotalSeconds:0} /s " +
                          $"({ok / _elapsed.TotalSeconds:0} /s succeeded)");
        Console.WriteLine($"  latency ms: p50 {Percentile(0.50):0.0}, p95 {Percentile(0.95):0.0}, p99 {Percentile(0.99):0.0}, max {(sorted.Length > 0 ? sorted[^1] : double.NaN):0.0}");
        Console.WriteLine($"  status: {string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key == 0 ? "no answer" : s.Key.ToString(CultureInfo.InvariantCulture))}×{s.Value}"))}");
    }
}

/// <summary>
/// CPU time used meanwhile by this process (the service and the load client), PostgreSQL and RabbitMQ (each server
/// with every process under it, from /proc): what a request costs whatever else the machine is doing, and so the rate
/// two quiet cores could sustain.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int _postgres;
    private readonly int _rabbit;
    private readonly (double Self, double Postgres, double Rabbit) _start;

    private CpuMeter(int postgres, int rabbit)
    {
        (_postgres, _rabbit) = (postgres, rabbit);
        _start = Now();
    }

    public static CpuMeter Start(int postgresPid, int rabbitPid) => new(postgresPid, rabbitPid);

    public void Print(int requests, string unit)
    {
        var now = Now();
        var (self, pg, mq) = ((now.Self - _start.Self) * 1000 / requests, (now.Postgres - _start.Postgres) * 1000 / requests,
            (now.Rabbit - _start.Rabbit) * 1000 / requests);
        Console.WriteLine($"  CPU per {unit}: {self + pg + mq:0.0} ms (service + load client {self:0.0}, PostgreSQL {pg:0.0}, RabbitMQ {mq:0.0}) " +
                          $"→ {Environment.ProcessorCount * 1000 / (self + pg + mq):0} /s on {Environment.ProcessorCount} idle cores");
    }

    private (double Self, double Postgres, double Rabbit) Now() =>
        (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, TreeSeconds(_postgres), TreeSeconds(_rabbit));

    // utime + stime of every live process under root, plus what their exited children used (cutime + cstime).
    private static double TreeSeconds(int root)
    {
        var processes = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields[0] is the state, field 3 of proc(5)
                processes[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                    new[] { 11, 12, 13, 14 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }
        bool Under(int pid)
        {
            for (var depth = 0; depth < 64 && pid > 1; depth++, pid = processes.TryGetValue(pid, out var p) ? p.Parent : 0)
            {
                if (pid == root)
                {
                    return true;
                }
            }
            return false;
        }
        return processes.Where(p => Under(p.Key)).Sum(p => p.Value.Ticks) / 100.0; // USER_HZ
    }
}

internal sealed class DeletedWhenDisposed(string directory) : IDisposable
{
    public void Dispose() => Directory.Delete(directory, recursive: true);
}

/// <summary>The Enrollment service as it runs in production, on Kestrel, with the given settings.</summary>
internal sealed class EnrollmentHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<EnrollmentApi>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
