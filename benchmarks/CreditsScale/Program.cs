// Credits at province scale (issue 6): 1,000,000 teachers with five years of ledger (≈30 million entries), then
//   1. the province summary and a school's at-risk list through the real endpoints, beside the same answers
//      computed by scanning the ledger;
//   2. CourseCompleted → ledger entry → balances through RabbitMQ: throughput and end-to-end latency.
// The data is generated set-based in SQL (the ledger with its running balances, standings and school roll-ups as
// the service keeps them), so the run spends its time measuring, not generating.
//
//   dotnet run -c Release --project benchmarks/CreditsScale [-- teachers [events [events per second]]] [--default-server] [--data DIR]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.LocalServers;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;

var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || args[i - 1] != "--data")).ToArray();
var teachers = numbers.Length > 0 ? int.Parse(numbers[0], CultureInfo.InvariantCulture) : 1_000_000;
var events = numbers.Length > 1 ? int.Parse(numbers[1], CultureInfo.InvariantCulture) : 30_000;
var rate = numbers.Length > 2 ? int.Parse(numbers[2], CultureInfo.InvariantCulture) : 2_000;
const int EntriesPerTeacher = 30, TeachersPerSchool = 50, SchoolsPerCounty = 125, CountiesPerCity = 10;
Console.WriteLine($"credits scale benchmark: {teachers:N0} teachers × {EntriesPerTeacher} entries, {events:N0} events, {Environment.ProcessorCount} cores");

// --data DIR keeps the servers' data there, so a later run with the same teacher count skips the generation.
var dataOption = Array.IndexOf(args, "--data");
var root = dataOption >= 0 ? Directory.CreateDirectory(args[dataOption + 1]).FullName
    : Directory.CreateTempSubdirectory("trainingplatform-credits-bench-").FullName;
// Last, after the servers below have stopped; a --data folder is kept for the next run.
using var removeRoot = dataOption >= 0 ? null : new DeletedWhenDisposed(root);
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the servers run as the postgres and rabbitmq users
}
// Sized as a production server for a 16 GB database would be (unless --default-server), and with commit timestamps,
// so an event's latency is measured to the commit that made its ledger entry visible.
var serverSettings = new Dictionary<string, string> { ["track_commit_timestamp"] = "on" };
if (!args.Contains("--default-server"))
{
    serverSettings["shared_buffers"] = "8GB";
    serverSettings["max_wal_size"] = "8GB";
    serverSettings["checkpoint_timeout"] = "30min";
    serverSettings["wal_buffers"] = "64MB";
}
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions { DataDirectory = Path.Combine(root, "pg"), Settings = serverSettings },
    NullLogSink.Instance);
await using var rabbit = await LocalRabbitMq.StartAsync(new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "mq") }, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(CreditsApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(CreditsApi.DatabaseName);
var tokens = new TestTokens();
// The service is hosted in this process; its content root is its project folder.
var repository = new DirectoryInfo(AppContext.BaseDirectory);
while (!File.Exists(Path.Combine(repository.FullName, "TrainingPlatform.sln")))
{
    repository = repository.Parent ?? throw new InvalidOperationException("Run from inside the repository.");
}
Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_TRAININGPLATFORM_CREDITS_API", Path.Combine(repository.FullName, "services", "Credits"));
// The replica the run reads from and posts through keeps standings to another replica (Credits:Evaluator:Enabled=false),
// so the events measure posting alone; a second replica with the evaluator joins for the last phase.
WebApplicationFactory<CreditsApi> CreditsReplica(bool evaluator) => new WebApplicationFactory<CreditsApi>().WithWebHostBuilder(web =>
{
    web.UseEnvironment("Production");
    web.UseSetting($"ConnectionStrings:{CreditsApi.DatabaseName}", connectionString);
    web.UseSetting("ConnectionStrings:messaging", rabbit.ConnectionString);
    web.UseSetting("Authentication:Jwt:SigningKeys", tokens.Jwks);
    web.UseSetting("Logging:LogLevel:Default", "Warning");
    web.UseSetting("Credits:Evaluator:Enabled", evaluator ? "true" : "false");
});
await using var factory = CreditsReplica(evaluator: false);
var client = factory.CreateClient();
// Valid for the whole run: generating a million teachers' ledger takes longer than a token's default lifetime.
client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Issue("platform_operator", lifetime: TimeSpan.FromHours(3)));
(await client.GetAsync("/health")).EnsureSuccessStatusCode();
DapperSetup.ConfigureOnce();
await using var db = new NpgsqlDataSourceBuilder(connectionString).Build();

// ---- generate ---------------------------------------------------------------------------------------------------
var clock = Stopwatch.StartNew();
await using (var connection = await db.OpenConnectionAsync())
{
    if (await connection.ExecuteScalarAsync<long>("select count(*) from teachers") == teachers)
    {
        Console.WriteLine($"reusing the {teachers:N0} teachers' data in {root}");
        await connection.ExecuteAsync(new CommandDefinition("vacuum analyze", commandTimeout: 3600));
    }
    else
    {
        await GenerateAsync(connection);
    }
}

// ---- reads ------------------------------------------------------------------------------------------------------
async Task<(double P50, double P95)> TimeAsync(string url, int runs)
{
    var times = new List<double>();
    for (var i = 0; i < runs + 3; i++)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
        if (i >= 3)
        {
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    times.Sort();
    return (times[times.Count / 2], times[(int)(times.Count * 0.95)]);
}

async Task<double> ScanAsync(string sql)
{
    await using var connection = await db.OpenConnectionAsync();
    var watch = Stopwatch.StartNew();
    await connection.ExecuteAsync(new CommandDefinition(sql, commandTimeout: 3600));
    return watch.Elapsed.TotalMilliseconds;
}

var school = "37/3700/c0/s0";
Console.WriteLine("reads (through the Credits endpoints, in process):");
var summary = await TimeAsync("/api/credits/reports/compliance", 30);
Console.WriteLine($"  province summary (by city)              p50 {summary.P50,8:0.0} ms  p95 {summary.P95,8:0.0} ms   target ≤ 200 ms");
var atRisk = await TimeAsync($"/api/credits/reports/teachers?under={Uri.EscapeDataString(school)}&status=at_risk", 100);
Console.WriteLine($"  a school's at-risk list                 p50 {atRisk.P50,8:0.0} ms  p95 {atRisk.P95,8:0.0} ms   target ≤ 50 ms");
Console.WriteLine("the same answers by scanning the ledger:");
Console.WriteLine($"  province summary                        {await ScanAsync("""
    select split_part(t.school_path, '/', 2), count(*), count(*) filter (where h >= 360), avg(h)
    from (select teacher_id, sum(hours) h from ledger_entries where cycle_start = 2026 group by 1) l join teachers t on t.id = l.teacher_id group by 1
    """),8:0} ms");
Console.WriteLine($"  a school's at-risk list                 {await ScanAsync($"""
    select t.id, t.name, sum(l.hours) from teachers t join ledger_entries l on l.teacher_id = t.id
    where t.school_path = '{school}' and l.cycle_start = 2026 group by t.id, t.name having sum(l.hours) between 150 and 250
    """),8:0} ms");

// ---- events -----------------------------------------------------------------------------------------------------
// Offered at a steady rate (open loop: each event is published when it is due, whether or not the ledger keeps up),
// as the Enrollment replicas would publish completions; then a burst as fast as they can be published.
var bus = factory.Services.GetRequiredService<IBus>();
var published = 0;
// How many completions each ledger transaction carried (the batcher's inbox.batch.size histogram).
var batches = new System.Collections.Concurrent.ConcurrentQueue<int>();
using var batchListener = new System.Diagnostics.Metrics.MeterListener();
batchListener.InstrumentPublished = (instrument, listener) =>
{
    if (instrument.Name == "inbox.batch.size")
    {
        listener.EnableMeasurementEvents(instrument);
    }
};
batchListener.SetMeasurementEventCallback<int>((_, size, _, _) => batches.Enqueue(size));
batchListener.Start();
await RunEventsAsync("warm-up (JIT, connection pools, queues, caches; not judged)", 20_000, 0);
await RunEventsAsync($"{events:N0} CourseCompleted at {rate:N0}/s", events, rate);
await RunEventsAsync($"{events:N0} CourseCompleted all at once", events, 0);
await using (var evaluating = CreditsReplica(evaluator: true))
{
    (await evaluating.CreateClient().GetAsync("/health")).EnsureSuccessStatusCode();
    Console.WriteLine("a second replica joins, re-evaluating the standings of every teacher credited so far on the same two cores:");
    await RunEventsAsync($"{events:N0} CourseCompleted at {rate:N0}/s", events, rate);
}

async Task RunEventsAsync(string title, int count, int perSecond)
{
    Console.WriteLine($"events: {title}, through RabbitMQ into the ledger and balances");
    var offset = Interlocked.Add(ref published, count) - count; // each phase credits other teachers
    var sent = new System.Collections.Concurrent.ConcurrentDictionary<Guid, DateTimeOffset>();
    var runId = Guid.NewGuid().ToString("N")[..8];
    var cpu = CpuMeter.Start(postgres.Process.Id, rabbit.Process.Id);
    batches.Clear();
    var publishing = Stopwatch.StartNew();
    async Task PublishAsync(int i)
    {
        var messageId = NewId.NextGuid();
        var teacher = new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.ASCII.GetBytes($"t{(offset + (long)i) * 7919 % teachers}")));
        var now = DateTimeOffset.UtcNow;
        sent[messageId] = now;
        await bus.Publish(new CourseCompleted(Guid.NewGuid(), teacher, Guid.NewGuid(), Guid.NewGuid(), $"压测课程 {runId}", 2, "subject", "online",
            "provincial", Guid.NewGuid(), "2027", "elective", now), context => context.MessageId = messageId);
    }
    if (perSecond > 0)
    {
        var inFlight = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond);
            if (due > publishing.Elapsed)
            {
                await Task.Delay(due - publishing.Elapsed);
            }
            inFlight.Add(PublishAsync(i));
        }
        await Task.WhenAll(inFlight);
    }
    else
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => await PublishAsync(i));
    }
    Console.WriteLine($"  published in {publishing.Elapsed.TotalSeconds:0.0} s ({count / publishing.Elapsed.TotalSeconds:N0}/s)");
    await using var connection = await db.OpenConnectionAsync();
    var ids = sent.Keys.ToArray();
    var deadline = Stopwatch.StartNew();
    while (await connection.ExecuteScalarAsync<long>("select count(*) from inbox_messages where message_id = any(@ids)", new { ids }) < count
           && deadline.Elapsed < TimeSpan.FromMinutes(10))
    {
        await Task.Delay(250);
    }
    cpu.Print(count, "event", "Credits service + publisher");
    // Latency is from publishing to the commit of the transaction that wrote the ledger entry and balances.
    var committed = (await connection.QueryAsync<(Guid MessageId, DateTime CommittedAt)>(
        "select message_id, pg_xact_commit_timestamp(xmin) from inbox_messages where message_id = any(@ids)", new { ids })).ToList();
    var latencies = committed.Select(r => (new DateTimeOffset(r.CommittedAt, TimeSpan.Zero) - sent[r.MessageId]).TotalMilliseconds).Order().ToList();
    var first = sent.Values.Min();
    var span = (committed.Max(r => new DateTimeOffset(r.CommittedAt, TimeSpan.Zero)) - first).TotalSeconds;
    var posted = await connection.ExecuteScalarAsync<long>("select count(*) from ledger_entries where title = @title", new { title = $"压测课程 {runId}" });
    Console.WriteLine($"  handled {committed.Count:N0}, ledger entries {posted:N0}: {committed.Count / span,8:N0} events/s from first publish to last commit   target ≥ 2,000/s");
    Console.WriteLine($"  publish → commit p50 {latencies[latencies.Count / 2],6:0} ms  p99 {latencies[(int)(latencies.Count * 0.99)],6:0} ms  max {latencies[^1],6:0} ms   target p99 < 1,000 ms");
    Console.WriteLine($"  {batches.Count:N0} ledger transactions, {batches.Sum() / Math.Max(1.0, batches.Count):0.0} completions each on average, at most {(batches.IsEmpty ? 0 : batches.Max())}");
    var evaluated = await connection.ExecuteScalarAsync<long>("select count(*) from compliance_dirty");
    Console.WriteLine($"  teachers still waiting for their standing to be re-evaluated: {evaluated:N0}");
}

async Task GenerateAsync(NpgsqlConnection connection)
{
    // Generation only; the measured paths run with the defaults. Memory for grouping 30 million entries in one pass
    // and for building their indexes, instead of sorting on disk.
    await connection.ExecuteAsync("set synchronous_commit = off; set work_mem = '2GB'; set maintenance_work_mem = '2GB'");
    async Task Sql(string what, string sql)
    {
        var step = Stopwatch.StartNew();
        await connection.ExecuteAsync(new CommandDefinition(sql, sql.Contains("@teachers", StringComparison.Ordinal) ? new { teachers } : null,
            commandTimeout: 3600));
        Console.WriteLine($"  {what,-44} {step.Elapsed.TotalSeconds,7:0.0} s");
    }
    Console.WriteLine("generating:");
    await Sql("teachers", $"""
        insert into teachers (id, version, name, school_id, school_path, stage, subject, hire_date, normal_school_graduate, class_teacher, in_post)
        select md5('t' || n)::uuid, 1, '教师' || n, md5('s' || (n / {TeachersPerSchool}))::uuid,
               '37/37' || lpad((n / ({TeachersPerSchool} * {SchoolsPerCounty} * {CountiesPerCity}))::text, 2, '0')
                 || '/c' || (n / ({TeachersPerSchool} * {SchoolsPerCounty})) || '/s' || (n / {TeachersPerSchool}),
               'primary', '语文', date '2005-09-01' + (n % 5000), n % 3 <> 0, n % 4 = 0, true
        from generate_series(0, @teachers - 1) n;
        create table bench_numbers as select n, md5('t' || n)::uuid as id from generate_series(0, @teachers - 1) n;
        """);
    // Indexes are rebuilt after the bulk load, as one would for a migration of this size.
    await Sql("drop ledger indexes for the load", """
        alter table ledger_entries drop constraint ledger_entries_source_ref_key;
        alter table ledger_entries drop constraint ledger_entries_reverses_id_key;
        alter table ledger_entries drop constraint ledger_entries_reverses_id_fkey;
        drop index ix_ledger_teacher; drop index ux_ledger_content_once;
        alter table ledger_entries drop constraint ledger_entries_pkey;
        """);
    // Hours tilt by teacher so that standings spread over met, on track, at risk and not met.
    await Sql($"ledger ({teachers * (long)EntriesPerTeacher:N0} entries)", $"""
        insert into ledger_entries (id, teacher_id, hours, category, mode, level, source, source_ref, content_id, title, year, cycle_start,
                                    posted_by, posted_at)
        select gen_random_uuid(), b.id, (1 + (n % 7) + (k % 5))::numeric(6,1),
               (array['ethics','subject','subject','edu_tech','law','school_based'])[1 + k % 6],
               (array['online','online','concentrated','school_based'])[1 + k % 4],
               (array['provincial','city','county','school'])[1 + (n + k) % 4],
               'course_completion', 'enrollment:' || n || '/' || k, c.ids[k + 1], '课程 ' || k, 2026 + k % 5, 2026, 'bench',
               timestamptz '2026-03-01' + make_interval(days => (k % 5) * 365 + k)
        from bench_numbers b, generate_series(0, {EntriesPerTeacher - 1}) k,
             (select array_agg(md5('c' || i)::uuid order by i) as ids from generate_series(0, {EntriesPerTeacher - 1}) i) c
        """);
    await Sql("rebuild ledger indexes", """
        alter table ledger_entries add constraint ledger_entries_pkey primary key (id);
        alter table ledger_entries add constraint ledger_entries_source_ref_key unique (source_ref);
        alter table ledger_entries add constraint ledger_entries_reverses_id_key unique (reverses_id);
        alter table ledger_entries add constraint ledger_entries_reverses_id_fkey foreign key (reverses_id) references ledger_entries (id);
        create index ix_ledger_teacher on ledger_entries (teacher_id, cycle_start);
        create unique index ux_ledger_content_once on ledger_entries (teacher_id, content_id, cycle_start) where content_id is not null and reverses_id is null;
        """);
    await Sql("running balances", """
        insert into balances (teacher_id, year, category, mode, level, source, hours)
        select teacher_id, year, category, mode, level, source, sum(hours) from ledger_entries group by 1, 2, 3, 4, 5, 6
        """);
    // Standings as the evaluator keeps them (cycle total against 360 h, paced over the cycle so far).
    await Sql("standings", """
        insert into compliance (teacher_id, cycle_start, overall, summary, rules, evaluated_at, school_path, hours, counted)
        select t.id, 2026,
               case when b.hours >= 360 then 'met' when b.hours >= 250 then 'on_track' when b.hours >= 150 then 'at_risk' else 'not_met' end,
               '周期总学时：要求 360 学时，已获 ' || b.hours || ' 学时', '[]'::jsonb, now(), t.school_path, b.hours, true
        from teachers t join (select teacher_id, sum(hours) as hours from balances group by 1) b on b.teacher_id = t.id
        """);
    await Sql("school roll-ups", """
        insert into school_rollups (school_path, cycle_start, teachers, met, on_track, at_risk, not_met, not_started, hours)
        select school_path, 2026, count(*), count(*) filter (where overall = 'met'), count(*) filter (where overall = 'on_track'),
               count(*) filter (where overall = 'at_risk'), count(*) filter (where overall = 'not_met'), count(*) filter (where hours = 0), sum(hours)
        from compliance group by 1
        """);
    // As after any bulk load: the visibility map set and statistics current, so no autovacuum runs into the measurements.
    await Sql("drop the numbers", "drop table bench_numbers");
    await Sql("vacuum and analyze", "vacuum analyze");
    var size = await connection.ExecuteScalarAsync<string>("select pg_size_pretty(pg_database_size(current_database()))");
    Console.WriteLine($"  generated in {clock.Elapsed.TotalMinutes:0.0} min; database {size}");
}
