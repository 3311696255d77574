// Course-selection day load run (the Enrollment issue's performance targets): the real Enrollment service and the real
// gateway in front of it, both in this process on Kestrel, against a private PostgreSQL (fsync on) and RabbitMQ. The
// service's local copies are seeded directly: one program year whose course selection is open today, `teachers` +
// `rush` + 90 teachers in schools of 250 in one city, 6 topics × 10 online courses chosen by every school, 4 required
// courses pushed to everyone (some studied), and one concentrated course whose only session seats 100, 90 of them taken.
// Then, over HTTP through the gateway with each teacher's own token:
//   0. pgbench on the same server: one INSERT into a copy of the enrollments table plus one INSERT into a copy of the
//      outbox per transaction, `clients` connections — the ceiling the service is compared with;
//   1. peak: `teachers` distinct teachers each choosing an elective, `clients` at a time as fast as they are answered;
//      1b. the same again straight to the service, for the gateway's share of the CPU per choice;
//   2. half of that peak rate, open loop (requests sent on a fixed schedule, latency counted from when each was due),
//      the same teachers choosing a second elective;
//   3. everything counted in the database: enrollments and their CourseEnrolled outbox messages, none lost, none twice;
//   4. the learning platform's progress reports, in batches of 200, as fast as they are answered;
//   5. `rush` teachers asking for the last 10 seats in the same instant, the refused ones joining the waiting list;
//   6. the school/district views over the whole city (list page, roll-up, XLSX export).
//
//   dotnet run -c Release --project benchmarks/CourseSelectionLoad -- [clients=64] [teachers=100000] [rush=500]
//       [--direct] [--keep] [--no-auto-prepare] [--default-server] [--statements]
//   (--direct skips the gateway; --keep leaves the servers up at the end, printing the database's connection string,
//   for EXPLAIN ANALYZE; --no-auto-prepare runs the service without prepared statements, for comparison; --statements
//   prints where PostgreSQL spent the peak's time, statement by statement, from pg_stat_statements)
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using TrainingPlatform.Benchmarks;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Gateway;
using TrainingPlatform.LocalServers;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.TestSupport;

var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var clients = numbers.Length > 0 ? numbers[0] : 64;
var choosers = numbers.Length > 1 ? numbers[1] : 100_000;
var rush = numbers.Length > 2 ? numbers[2] : 500;
var keep = args.Contains("--keep");
var direct = args.Contains("--direct");
var statements = args.Contains("--statements");
const int WarmUpRound = 2_000, SettledJit = 50, TeachersPerSchool = 250, Topics = 6, CoursesPerTopic = 10, Capacity = 100, SeatsTaken = 90, ProgressBatch = 200;
const string Year = "2040";
var schools = (choosers + rush + SeatsTaken + TeachersPerSchool - 1) / TeachersPerSchool;

Console.WriteLine($"course-selection load: {choosers:N0} teachers choosing by {clients} clients through {(direct ? "no gateway" : "the gateway")}; " +
                  $"{rush} teachers for the last {Capacity - SeatsTaken} seats; {schools} schools; {Environment.ProcessorCount} cores");
var root = Directory.CreateTempSubdirectory("trainingplatform-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the servers run as the postgres and rabbitmq users
}
using var removeRoot = new DeletedWhenDisposed(root); // last, after the servers below have stopped, even on a failure
// A server sized for the run, as a production one would be (the defaults are 128 MB of buffers and a checkpoint every
// 1 GB of WAL, which a 100,000-teacher run passes several times); pgbench below uses the same server. --default-server
// keeps PostgreSQL's defaults.
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions
{
    DataDirectory = Path.Combine(root, "pg"),
    Settings = new Dictionary<string, string>(args.Contains("--default-server") ? new Dictionary<string, string>() : new Dictionary<string, string>
    {
        ["shared_buffers"] = "2GB", ["max_wal_size"] = "8GB", ["checkpoint_timeout"] = "30min", ["wal_buffers"] = "64MB",
    })
    {
        ["shared_preload_libraries"] = statements ? "pg_stat_statements" : "",
        ["pg_stat_statements.track_planning"] = statements ? "on" : "off",
    },
}, NullLogSink.Instance);
await using var rabbit = await LocalRabbitMq.StartAsync(new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "mq") }, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(EnrollmentApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(EnrollmentApi.DatabaseName);

var tokens = new TestTokens();
Directory.SetCurrentDirectory(AppContext.BaseDirectory); // where the test host's manifest names the services' content roots
await using var service = new ProductionHost<EnrollmentApi>(new Dictionary<string, string?>
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
var serviceAddress = service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
await using var gateway = new ProductionHost<GatewayApi>(new Dictionary<string, string?>
{
    [$"services:{EnrollmentApi.ServiceName}:http:0"] = serviceAddress,
    ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
    ["Logging:LogLevel:Default"] = "Warning",
});
var address = new Uri(serviceAddress);
if (!direct)
{
    gateway.UseKestrel(0);
    gateway.StartServer();
    address = new Uri(gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = address, Timeout = TimeSpan.FromSeconds(100),
};
// The gateway's own /health is unhealthy here (only Enrollment of the five services is behind it): wait for the service.
while (!(await http.GetAsync(direct ? "/health" : new Uri(new Uri(serviceAddress), "/health").ToString())).IsSuccessStatusCode)
{
    await Task.Delay(200);
}

var seedClock = Stopwatch.StartNew();
await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 600 }.ConnectionString);
var (teachers, session) = await SeedAsync(db, schools, choosers + rush + SeatsTaken);
Console.WriteLine($"seeded {teachers.Count:N0} teachers in {seedClock.Elapsed.TotalSeconds:0.0} s; requests go to {address}");
var courses = Enumerable.Range(1, Topics * CoursesPerTopic).Select(i => CourseId(i)).ToArray(); // the online ones

// 0. The ceiling: the same two INSERTs per transaction, straight into PostgreSQL, with as many connections.
var pgbench = await PgBenchAsync(db, connectionString, root, clients, seconds: 20);
Console.WriteLine($"pgbench, INSERT enrollment + INSERT outbox per transaction, {clients} connections, 20 s: {pgbench:0} transactions/s");

// 1. Peak: every teacher of the run chooses one elective; each client sends the next as soon as one is answered.
var chooserTokens = teachers.Take(choosers).Select(t => Token(t)).ToArray();
// Warm-up with the teachers who do not choose in the peak (the rush's and the seat holders'), `clients` at a time, in
// rounds until the runtime's tiered compilation has settled (a round compiles next to no method), as a server at the
// peak of course-selection day has been running for hours. With 200 choices one after another, the JIT was still
// compiling through the peak (libclrjit at a tenth of this process's CPU under perf), and whichever phase ran first
// paid for it. Each spare teacher chooses each course at most once.
var spare = teachers.Skip(choosers).ToArray();
var spareTokens = spare.Select(t => Token(t)).ToArray();
var warmUp = new Recorder();
var warmUps = spare.Length * courses.Length;
var warming = -1;
long compiledBefore;
var rounds = 0;
do
{
    compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
    var roundEnd = Math.Min(warmUps, (rounds + 1) * WarmUpRound);
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        for (var i = Interlocked.Increment(ref warming); i < roundEnd; i = Interlocked.Increment(ref warming))
        {
            await warmUp.TimeAsync(() => PostAsync($"/api/enrollment/years/{Year}/electives",
                new { courseId = courses[i / spare.Length % courses.Length] }, spareTokens[i % spare.Length]));
        }
    })));
    warming = roundEnd - 1;
    rounds++;
}
while (System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore > SettledJit && rounds * WarmUpRound < warmUps);
Console.WriteLine($"warm-up: {warmUp.Succeeded:N0} choices succeeded of {Math.Min(warmUps, rounds * WarmUpRound):N0}, {rounds} rounds; " +
                  $"the last compiled {System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore} methods");
var compiledAtPeak = System.Runtime.JitInfo.GetCompiledMethodCount();
var jitTimeAtPeak = System.Runtime.JitInfo.GetCompilationTime();
var peak = new Recorder();
var next = -1;
if (statements)
{
    await using var connection = await db.OpenConnectionAsync();
    await connection.ExecuteAsync("create extension if not exists pg_stat_statements; select pg_stat_statements_reset();");
}
var cpu = CpuMeter.Start(postgres.Process.Id, rabbit.Process.Id);
var clock = Stopwatch.StartNew();
await PeakAsync(http, peak, course: i => courses[i % courses.Length]);
peak.Stop(clock);
await OutboxDrainedAsync(db); // each choice's CourseEnrolled is published before its CPU is counted
peak.Print($"1. peak: electives, {clients} clients", "choices");
Console.WriteLine($"  JIT meanwhile: {System.Runtime.JitInfo.GetCompiledMethodCount() - compiledAtPeak} methods compiled, " +
                  $"{(System.Runtime.JitInfo.GetCompilationTime() - jitTimeAtPeak).TotalMilliseconds:0} ms");
var throughGateway = cpu.Used();
cpu.Print(choosers, "choice");
Console.WriteLine($"   ratio to pgbench: {peak.SucceededPerSecond / pgbench:0.00} (target ≥ 0.30)");
if (statements)
{
    await using var connection = await db.OpenConnectionAsync();
    Console.WriteLine("   PostgreSQL's time per choice, by statement (planning + execution; commits and WAL flushes are not statements):");
    foreach (var (calls, planMs, execMs, query) in await connection.QueryAsync<(long, double, double, string)>("""
        select calls, total_plan_time, total_exec_time, regexp_replace(query, '\s+', ' ', 'g')
        from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
        order by total_plan_time + total_exec_time desc limit 15
        """))
    {
        Console.WriteLine($"   {(planMs + execMs) / choosers,7:0.000} ms  {calls / (double)choosers,5:0.00} calls  {query[..Math.Min(110, query.Length)]}");
    }
}

// 1b. The same peak straight to the service, each teacher choosing a third course: this process's CPU per choice
// without the gateway, so the gateway's share is measured in the same run rather than estimated from another.
var straight = new Recorder();
if (!direct)
{
    using var toService = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = new Uri(serviceAddress), Timeout = TimeSpan.FromSeconds(100),
    };
    next = -1;
    compiledAtPeak = System.Runtime.JitInfo.GetCompiledMethodCount();
    jitTimeAtPeak = System.Runtime.JitInfo.GetCompilationTime();
    cpu = CpuMeter.Start(postgres.Process.Id, rabbit.Process.Id);
    clock.Restart();
    await PeakAsync(toService, straight, course: i => courses[(i + courses.Length / 4) % courses.Length]);
    straight.Stop(clock);
    await OutboxDrainedAsync(db);
    straight.Print("1b. the same peak straight to the service", "choices");
    Console.WriteLine($"  JIT meanwhile: {System.Runtime.JitInfo.GetCompiledMethodCount() - compiledAtPeak} methods compiled, " +
                      $"{(System.Runtime.JitInfo.GetCompilationTime() - jitTimeAtPeak).TotalMilliseconds:0} ms");
    var withoutGateway = cpu.Used();
    cpu.Print(choosers, "choice");
    Console.WriteLine($"   the gateway's share: {(throughGateway.Self - withoutGateway.Self) * 1000 / choosers:0.00} ms of this process's CPU per choice " +
                      $"(service + gateway + load client {throughGateway.Self * 1000 / choosers:0.00} → service + load client {withoutGateway.Self * 1000 / choosers:0.00}); " +
                      $"ratio to pgbench without it: {straight.SucceededPerSecond / pgbench:0.00}");
}

// 2. Half the peak rate, on a fixed schedule, for 30 s (or until every teacher has chosen a second course).
var rate = peak.SucceededPerSecond / 2;
var halfCount = Math.Min(choosers, (int)(rate * 30));
var half = new Recorder();
var sent = new List<Task>(halfCount);
clock.Restart();
var begin = Stopwatch.GetTimestamp();
for (var k = 0; k < halfCount; k++)
{
    var due = begin + (long)(k / rate * Stopwatch.Frequency);
    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
    if (wait > TimeSpan.FromMilliseconds(1))
    {
        await Task.Delay(wait);
    }
    var teacher = k;
    sent.Add(half.TimeAsync(due, () => PostAsync($"/api/enrollment/years/{Year}/electives",
        new { courseId = courses[(teacher + courses.Length / 2) % courses.Length] }, chooserTokens[teacher])));
}
await Task.WhenAll(sent);
half.Stop(clock);
half.Print($"2. half the peak rate ({rate:0}/s), open loop", "choices");
Console.WriteLine($"   p99 {half.Percentile(0.99):0.0} ms (target ≤ 50 ms)");

// 3. Counted afterwards: what the teachers were told they got is exactly what the database holds, once each.
await OutboxDrainedAsync(db);
await using (var connection = await db.OpenConnectionAsync())
{
    var counted = await connection.QuerySingleAsync<(long Enrollments, long Distinct, long Announced, long Unsent)>("""
        select (select count(*) from enrollments e where e.kind = 'elective' and e.session_id is null),
               (select count(distinct (e.teacher_id, e.course_id)) from enrollments e where e.kind = 'elective' and e.session_id is null),
               (select count(*) from outbox_messages o where o.message_type like '%CourseEnrolled%'),
               (select count(*) from outbox_messages o where o.sent_at is null)
        """);
    var told = peak.Succeeded + straight.Succeeded + half.Succeeded + warmUp.Succeeded;
    Console.WriteLine($"3. counted: {counted.Enrollments:N0} elective enrollments for {told:N0} successful answers (warm-up included), " +
                      $"{counted.Enrollments - counted.Distinct} duplicated, {counted.Announced:N0} CourseEnrolled in the outbox, {counted.Unsent} unsent; " +
                      $"errors {warmUp.Failed + peak.Failed + straight.Failed + half.Failed}" +
                      (counted.Enrollments != told || counted.Distinct != counted.Enrollments ? "  ← MISMATCH" : ""));
}

// 4. Progress: the learning platform reports on the required courses, 200 reports a request, for 20 s.
var platform = tokens.Issue(Roles.LearningPlatform, subject: "learning-platform", lifetime: TimeSpan.FromHours(2));
var progress = new Recorder();
var batches = -1;
cpu = CpuMeter.Start(postgres.Process.Id, rabbit.Process.Id);
clock.Restart();
await Task.WhenAll(Enumerable.Range(0, Math.Min(clients, 16)).Select(_ => Task.Run(async () =>
{
    while (clock.Elapsed < TimeSpan.FromSeconds(20))
    {
        var batch = Interlocked.Increment(ref batches);
        var reports = Enumerable.Range(0, ProgressBatch).Select(r =>
        {
            var n = (long)batch * ProgressBatch + r; // teacher n % all, required course by n / all: no two reports alike
            var teacher = teachers[(int)(n % teachers.Count)];
            var course = (int)(n / teachers.Count % 4) + 1;
            return new
            {
                reportId = $"bench-{n}", teacherId = teacher.Id, courseId = Md5Guid($"required{course}"), programYear = Year,
                minutesStudied = 45, percent = n % 4 == 0 ? 100m : 60m, testPassed = n % 4 == 0, assignmentHandedIn = n % 4 == 0, // every 4th completes
            };
        }).ToArray();
        await progress.TimeAsync(() => PostAsync("/api/enrollment/progress", new { reports }, platform));
    }
})));
progress.Stop(clock);
progress.Print("4. progress, batches of 200", "requests");
Console.WriteLine($"   {progress.SucceededPerSecond * ProgressBatch:0} reports/s (target ≥ 2,000)");
cpu.Print(progress.Succeeded * ProgressBatch, "report");

// 5. The rush: every teacher's request is ready and released at once; a refused one joins the waiting list.
var rushers = teachers.Skip(choosers).Take(rush).ToArray();
var rushTokens = rushers.Select(t => Token(t)).ToArray();
var seats = new Recorder();
var waiting = new Recorder();
var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var concentrated = CourseId(0);
var racing = rushTokens.Select(token => Task.Run(async () =>
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
await Task.WhenAll(racing);
seats.Stop(clock);
waiting.Stop(clock);
seats.Print($"5. {rush} teachers for the last {Capacity - SeatsTaken} seats at once", "requests");
waiting.Print("   then joining the waiting list", "requests");
await using (var connection = await db.OpenConnectionAsync())
{
    var rushIds = rushers.Select(t => t.Id).ToArray();
    var (capacity, taken, holding, seatedRushers) = await connection.QuerySingleAsync<(int, int, long, long)>("""
        select s.capacity, s.taken,
               (select count(*) from enrollments e where e.session_id = s.id and e.status <> 'withdrawn'),
               (select count(*) from enrollments e where e.session_id = s.id and e.status <> 'withdrawn' and e.teacher_id = any(@Rushers))
        from course_sessions s where s.id = @Session
        """, new { Session = session, Rushers = rushIds });
    // The queue is served by id (first committed, first served); joined_at is each request's own clock, read before its
    // insert, so two joiners a millisecond apart may commit the other way round: say by how much at most.
    var queue = (await connection.QueryAsync<(Guid Teacher, DateTime Joined)>(
        "select teacher_id, joined_at from waiting_list where session_id = @Session and status = 'waiting' order by id", new { Session = session })).ToList();
    var latest = DateTime.MinValue;
    var inversion = TimeSpan.Zero;
    foreach (var (_, joinedAt) in queue)
    {
        inversion = joinedAt < latest && latest - joinedAt > inversion ? latest - joinedAt : inversion;
        latest = joinedAt > latest ? joinedAt : latest;
    }
    Console.WriteLine($"   seats: taken {taken} of {capacity} ({seatedRushers} by the rush), enrollments holding a seat {holding}; " +
                      $"waiting list {queue.Count} ({queue.Select(q => q.Teacher).Distinct().Count()} distinct, served by arrival; " +
                      $"clock readings at most {inversion.TotalMilliseconds:0.0} ms out of commit order)" +
                      (taken > capacity || holding > capacity || seatedRushers != Capacity - SeatsTaken || queue.Count != rush - seatedRushers ? "  ← WRONG" : ""));
}

// 6. The views over the whole city, as its district admin.
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
    Console.WriteLine($"6. {what,-24}: {string.Join(" / ", times.Select(t => t.ToString("0", CultureInfo.InvariantCulture)))} ms " +
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

// pgbench from the same PostgreSQL installation, into copies of the service's own tables (same columns and indexes),
// so the comparison is the service's work against the bare minimum of the same writes. (No JSON literal and no colon in the
// script: pgbench reads ":name" as a variable.)
static async Task<double> PgBenchAsync(NpgsqlDataSource db, string connectionString, string root, int clients, int seconds)
{
    await using (var connection = await db.OpenConnectionAsync())
    {
        await connection.ExecuteAsync("""
            create table bench_enrollments (like enrollments including all);
            create table bench_outbox (like outbox_messages including all);
            """);
    }
    var script = Path.Combine(root, "enroll.sql");
    await File.WriteAllTextAsync(script, """
        BEGIN;
        INSERT INTO bench_enrollments (id, teacher_id, program_year_id, course_id, kind, status, enrolled_at)
          VALUES (gen_random_uuid(), gen_random_uuid(), md5('year')::uuid, md5('course1')::uuid, 'elective', 'enrolled', now());
        INSERT INTO bench_outbox (message_id, message_type, body)
          VALUES (gen_random_uuid(), 'TrainingPlatform.Contracts.Enrollment' || chr(58) || 'CourseEnrolled',
                  jsonb_build_object('enrollmentId', gen_random_uuid(), 'teacherId', gen_random_uuid(), 'courseId', md5('course1')::uuid,
                                     'kind', 'elective', 'programYear', '2040', 'enrolledAt', now()));
        END;
        """);
    return (await PgBench.RunAsync(connectionString, script, clients, seconds)).Tps;
}

// Every chooser once, `clients` at a time, each client sending its next choice as soon as one is answered.
Task PeakAsync(HttpClient client, Recorder recorder, Func<int, Guid> course) =>
    Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        for (var i = Interlocked.Increment(ref next); i < choosers; i = Interlocked.Increment(ref next))
        {
            await recorder.TimeAsync(() => PostAsync($"/api/enrollment/years/{Year}/electives", new { courseId = course(i) }, chooserTokens[i], client));
        }
    })));

async Task<HttpStatusCode> PostAsync(string path, object body, string token, HttpClient? client = null)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    using var response = await (client ?? http).SendAsync(request);
    await response.Content.LoadIntoBufferAsync();
    return response.StatusCode;
}

string Token((Guid Id, string SchoolPath, Guid SchoolId) who, string role = Roles.Teacher) => tokens.Issue(role, subject: who.Id.ToString(), lifetime: TimeSpan.FromHours(2),
    claims: role == Roles.Teacher
        ? new Dictionary<string, object> { ["teacher"] = who.Id.ToString(), ["org"] = who.SchoolId.ToString(), ["org_path"] = who.SchoolPath }
        : new Dictionary<string, object> { ["org"] = Guid.NewGuid().ToString(), ["org_path"] = who.SchoolPath });

static Guid CourseId(int i) => Md5Guid($"course{i}");

static Guid Md5Guid(string text) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)), bigEndian: true);

// The local copies as the Catalog and Directory events would leave them, written set-based. Ids are md5 of a name, in
// SQL and here alike. Course 0 is the concentrated one, in topic 1; its session's seats are taken by the last teachers.
static async Task<(List<(Guid Id, string SchoolPath, Guid SchoolId)> Teachers, Guid Session)> SeedAsync(NpgsqlDataSource db, int schools, int teacherCount)
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
        from generate_series(0, {{schools - 1}}) s;

        insert into school_topics (program_year_id, school_id, school_path, topic_ids, version, frozen)
        select md5('year')::uuid, o.id, o.path, array(select md5('topic' || t)::uuid from generate_series(1, {{Topics}}) t), 1, false
        from organisations o where o.kind = 'school';

        insert into teachers (id, version, name, school_id, school_path, stage, subject, class_teacher, in_post, updated_at)
        select md5('teacher' || i)::uuid, 1, '教师' || i, md5('school' || (i % {{schools}}))::uuid, o.path, 'primary', '数学', i % 5 = 0, true, now()
        from generate_series(0, {{teacherCount - 1}}) i
        join organisations o on o.id = md5('school' || (i % {{schools}}))::uuid;

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
        from generate_series(0, {{teacherCount - 1}}) i, generate_series(1, 4) k;
        -- The session's first 90 seats, taken by the last 90 teachers.
        insert into enrollments (id, teacher_id, program_year_id, course_id, kind, session_id, status, enrolled_at)
        select gen_random_uuid(), md5('teacher' || i)::uuid, md5('year')::uuid, md5('course0')::uuid, 'elective', md5('session')::uuid, 'enrolled', now()
        from generate_series({{teacherCount - SeatsTaken}}, {{teacherCount - 1}}) i;
        update course_sessions set taken = {{SeatsTaken}} where id = md5('session')::uuid;
        analyze;
        """, new { Today = today });
    var teachers = (await connection.QueryAsync<(Guid, string, Guid)>(
        $"select md5('teacher' || i)::uuid, t.school_path, t.school_id from generate_series(0, {teacherCount - 1}) i " +
        "join teachers t on t.id = md5('teacher' || i)::uuid order by i")).ToList();
    // Every teacher has a tally of the year before course selection opens, as in the service (the year's copy adds a
    // row for every teacher, a teacher's copy refreshes theirs): choices move existing rows, as on the day.
    foreach (var chunk in teachers.Select(t => t.Item1).Chunk(ProgressTallyStore.RebuildBatch))
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, CancellationToken.None);
        await ProgressTallyStore.RefreshAsync(unitOfWork, chunk, CancellationToken.None, Md5Guid("year"));
        await unitOfWork.CommitAsync(CancellationToken.None);
    }
    await connection.ExecuteAsync("analyze progress_tallies");
    return (teachers, Md5Guid("session"));
}

