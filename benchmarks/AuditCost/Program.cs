// What an audit record costs on the course-selection path (issue 20). A teacher's elective choice writes an
// enrollment and its CourseEnrolled outbox row in one transaction and no audit record; privileged writes add
// AuditTrail.RecordAsync to their transaction. At first that took the service's chain lock (a transaction-scoped advisory
// lock, held until the commit's WAL flush) so that every record followed the one before it, which serialised every
// audited write of a service (16 connections: 936 → 168 tx/s). Now the action only inserts its record into
// audit_pending, and a sealer (AuditSealer, one per replica, running here as it runs in the service) chains the
// committed records in batches, one lock and one flush per batch. The question: what does a record cost per choice,
// and how far behind does the chain run?
//
// Against a private PostgreSQL (fsync on, as in production) migrated with the shared and the Enrollment service's own
// migrations, with the service's store code (ElectiveStore.EnrollAsync, UnitOfWork's outbox, AuditTrail.RecordAsync),
// for each number of connections:
//   (a) the choice's transaction: insert the enrollment + its outbox row, commit;
//   (b) the same + an audit record in the same transaction;
// and then
//   (c) audit records alone (one per transaction): what one service can record.
// Each phase runs a fixed number of transactions, closed loop (each connection starts the next when the last has
// committed). Printed: throughput, latency percentiles, CPU per transaction of PostgreSQL (its whole process tree,
// from /proc) and of this process (Npgsql, JSON, SHA-256, the sealer), how many backends were, on average, waiting for
// the chain lock (pg_stat_activity sampled every 100 ms), and how many records were still waiting to be chained at the
// phase's end and how long the sealer then took to catch up.
//
//   dotnet run -c Release --project benchmarks/AuditCost -- [transactions=20000] [--levels 1,16,64] [--audit-only 1,16] [--default-server]
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.LocalServers;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Electives;
using TrainingPlatform.TestSupport;

int[] Levels(string option, int[] otherwise)
{
    var at = Array.IndexOf(args, option);
    return at >= 0 && at + 1 < args.Length
        ? args[at + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
        : otherwise;
}
var optionValues = new[] { "--levels", "--audit-only" }.Select(o => Array.IndexOf(args, o)).Where(i => i >= 0).Select(i => i + 1).ToHashSet();
var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && !optionValues.Contains(i))
    .Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var transactions = numbers.Length > 0 ? numbers[0] : 20_000;
var levels = Levels("--levels", [1, 16, 64]);
var auditOnlyLevels = Levels("--audit-only", [1, 16]);
var warmUp = Math.Min(2_000, Math.Max(200, transactions / 10));
Console.WriteLine($"audit cost on the course-selection path: {transactions:N0} transactions per phase, connections {string.Join(", ", levels)}, " +
                  $"audit records alone at {string.Join(", ", auditOnlyLevels)}; {Environment.ProcessorCount} cores, PostgreSQL fsync on");

var root = Directory.CreateTempSubdirectory("trainingplatform-audit-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the server runs as the postgres user
}
using var removeRoot = new DeletedWhenDisposed(root); // last, after the server has stopped
// No checkpoint inside the run (a few hundred MB of WAL at most), unless --default-server.
await using var postgres = await LocalPostgres.StartAsync(new LocalPostgresOptions
{
    DataDirectory = Path.Combine(root, "pg"),
    Settings = args.Contains("--default-server") ? new Dictionary<string, string>() : new Dictionary<string, string>
    {
        ["shared_buffers"] = "512MB", ["max_wal_size"] = "8GB", ["checkpoint_timeout"] = "30min", ["wal_buffers"] = "64MB",
    },
}, NullLogSink.Instance);
await postgres.EnsureDatabaseAsync(EnrollmentApi.DatabaseName);
var connectionString = postgres.ConnectionStringFor(EnrollmentApi.DatabaseName);
// The schema the service runs on: the shared scripts (outbox, inbox, audit_records) and Enrollment's own.
await new DatabaseMigrations(connectionString, typeof(EnrollmentApi).Assembly).RunAsync(NullLogger.Instance, CancellationToken.None);
DapperSetup.ConfigureOnce();
// As the service's data source is set up (ServiceDatabase.PrepareForHotPaths): statements auto-prepared, no reset on return.
await using var db = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
{
    MaxAutoPrepare = 256, AutoPrepareMinUsages = 2, NoResetOnClose = true, MaxPoolSize = Math.Max(100, levels.Max() + 4),
}.ConnectionString);
// The sampler has its own connection, outside the measured pool.
await using var sampling = NpgsqlDataSource.Create(connectionString);
// The service's sealer, on the service's data source, woken by the commits as in the service.
var sealer = new AuditSealer(db, Options.Create(new AuditSealerOptions()), NullLogger<AuditSealer>.Instance);
await sealer.StartAsync(CancellationToken.None);

var yearId = Guid.NewGuid();
var courseId = Guid.NewGuid();
const string Summary = "选修课程“信息技术与学科教学深度融合”（2 学时），2040 年度";

// (a) The choice's writes as ChooseAsync makes them once its rule has allowed them (the reads before are the same
// with or without a record, so they are left out: the difference is the record's).
async Task<Guid> ChoiceAsync(UnitOfWork unitOfWork)
{
    var now = DateTimeOffset.UtcNow;
    var enrollmentId = Guid.CreateVersion7(now);
    var teacherId = Guid.NewGuid();
    if (!await ElectiveStore.EnrollAsync(unitOfWork, enrollmentId, teacherId, yearId, courseId, null, now, CancellationToken.None))
    {
        throw new InvalidOperationException("a fresh teacher was already enrolled");
    }
    await unitOfWork.PublishAsync(new CourseEnrolled(enrollmentId, teacherId, yearId, courseId, EnrollmentKinds.Elective, null, now), CancellationToken.None);
    return enrollmentId;
}

// What a teacher's record would hold: the actor as AuditActor.From would read it from the request behind the gateway.
Task RecordAsync(UnitOfWork unitOfWork, Guid enrollmentId) => AuditTrail.RecordAsync(unitOfWork,
    new AuditActor(Guid.NewGuid(), "371602198503120028", Roles.Teacher, "37/3716/371602/371602001", "10.16.2.37",
        ActivityTraceId.CreateRandom().ToString()),
    "elective-chosen", "enrollment", enrollmentId.ToString("D"), Summary, CancellationToken.None);

var kinds = new Dictionary<string, Func<Task>>
{
    ["(a) choice"] = async () =>
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, CancellationToken.None);
        await ChoiceAsync(unitOfWork);
        await unitOfWork.CommitAsync(CancellationToken.None);
    },
    ["(b) choice + audit"] = async () =>
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, CancellationToken.None);
        await RecordAsync(unitOfWork, await ChoiceAsync(unitOfWork));
        await unitOfWork.CommitAsync(CancellationToken.None);
    },
    ["(c) audit only"] = async () =>
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, CancellationToken.None);
        await RecordAsync(unitOfWork, Guid.CreateVersion7());
        await unitOfWork.CommitAsync(CancellationToken.None);
    },
};

// JIT, pool, prepared statements, the first pages of every table and index: not measured.
foreach (var kind in kinds.Values)
{
    await RunAsync(kind, warmUp, 16);
}
var audited = warmUp * 2L;

var results = new List<Result>();
Console.WriteLine();
Console.WriteLine($"{"phase",-20} {"conns",5} {"tx",8} {"tx/s",8} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"PG CPU",9} {"own CPU",9} {"lock waiters",13} {"pending",16}");
Console.WriteLine($"{"",-20} {"",5} {"",8} {"",8} {"",8} {"",8} {"",8} {"",8} {"ms/tx",9} {"ms/tx",9} {"avg (max)",13} {"at end (ms left)",16}");
foreach (var connections in levels)
{
    // Interleaved by level, so that the tables' growth weighs on both alike.
    foreach (var name in new[] { "(a) choice", "(b) choice + audit" })
    {
        results.Add(Print(name, connections, await RunAsync(kinds[name], transactions, connections)));
    }
    audited += transactions;
}
foreach (var connections in auditOnlyLevels)
{
    results.Add(Print("(c) audit only", connections, await RunAsync(kinds["(c) audit only"], transactions, connections)));
    audited += transactions;
}

Console.WriteLine();
Console.WriteLine("the audit record's cost per choice, (b) against (a):");
Console.WriteLine($"{"conns",5} {"tx/s",18} {"p50",18} {"p95",18} {"p99",18} {"PG CPU/tx",18} {"own CPU/tx",18}");
foreach (var connections in levels)
{
    var a = results.Single(r => r.Name.StartsWith("(a)", StringComparison.Ordinal) && r.Connections == connections);
    var b = results.Single(r => r.Name.StartsWith("(b)", StringComparison.Ordinal) && r.Connections == connections);
    static string Delta(double before, double after, string unit) =>
        $"{after - before,7:+0.00;-0.00;0.00} {unit} {(before > 0 ? (after - before) / before * 100 : double.NaN),4:+0;-0;0}%";
    Console.WriteLine($"{connections,5} {$"{b.PerSecond - a.PerSecond,6:+0;-0;0} /s {(b.PerSecond - a.PerSecond) / a.PerSecond * 100,4:+0;-0;0}%",18} " +
                      $"{Delta(a.P50, b.P50, "ms"),18} {Delta(a.P95, b.P95, "ms"),18} {Delta(a.P99, b.P99, "ms"),18} " +
                      $"{Delta(a.PostgresCpu, b.PostgresCpu, "ms"),18} {Delta(a.OwnCpu, b.OwnCpu, "ms"),18}");
}
var alone = results.Where(r => r.Name.StartsWith("(c)", StringComparison.Ordinal)).OrderBy(r => r.Connections).ToList();
if (alone.Count > 0)
{
    // The action inserts its record; the sealer chains the committed ones in batches under the chain lock.
    var serial = alone[0];
    Console.WriteLine();
    Console.WriteLine($"audit records alone: {serial.PerSecond:N0} /s at {serial.Connections} connection(s), mean {1000 / serial.PerSecond:0.00} ms each, " +
                      $"insert + commit flush; chained by the sealer after the commit");
    foreach (var more in alone.Skip(1))
    {
        Console.WriteLine($"  at {more.Connections} connections: {more.PerSecond:N0} /s = {more.PerSecond / serial.PerSecond:0.00} × that, " +
                          $"{more.Waiters:0.0} of {more.Connections} backends waiting for the chain lock on average");
    }
}

// What the sealer has not chained yet (nothing, normally: every phase waited for it), then the sealer stops as the service's would.
await sealer.SealPendingAsync(CancellationToken.None);
await sealer.StopAsync(CancellationToken.None);

// The records written concurrently must still form one unbroken chain.
var walker = await AuditStore.VerifyAsync(db, CancellationToken.None);
Console.WriteLine($"chain: {walker.Checked:N0} records checked of {audited:N0} written, " +
                  (walker.Break is { } broken ? $"BROKEN at {broken.Seq}: {broken.Problem}" : "unbroken"));
return walker.Break is null && walker.Checked == audited ? 0 : 1;

async Task<Run> RunAsync(Func<Task> transaction, int count, int connections)
{
    var latencies = new double[count];
    var next = -1;
    using var stop = new CancellationTokenSource();
    var sampler = SampleLockWaitersAsync(stop.Token);
    var cpu = CpuMeter.Start(postgres.Process.Id, 0);
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var started = Stopwatch.GetTimestamp();
            await transaction();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    })));
    var elapsed = clock.Elapsed;
    var used = cpu.Used();
    await stop.CancelAsync();
    var waiters = await sampler;
    // How far behind the chain is when the writers stop, and how long the running sealer takes to catch up.
    long pendingAtEnd = 0;
    var catchUp = Stopwatch.StartNew();
    await using (var connection = await sampling.OpenConnectionAsync(CancellationToken.None))
    {
        pendingAtEnd = await connection.ExecuteScalarAsync<long>("select count(*) from audit_pending");
        while (await connection.ExecuteScalarAsync<long>("select count(*) from audit_pending") > 0)
        {
            await Task.Delay(5);
        }
    }
    var caughtUpMs = pendingAtEnd == 0 ? 0 : catchUp.Elapsed.TotalMilliseconds;
    Array.Sort(latencies);
    double At(double p) => latencies[Math.Min(count - 1, (int)(p * count))];
    return new Run(count, count / elapsed.TotalSeconds, At(0.50), At(0.95), At(0.99), latencies[^1], used.Postgres * 1000 / count, used.Self * 1000 / count,
        waiters.Count == 0 ? 0 : waiters.Average(), waiters.Count == 0 ? 0 : waiters.Max(), pendingAtEnd, caughtUpMs);
}

// Backends of this database waiting for an advisory lock: the only advisory lock on these paths is the chain's.
async Task<List<int>> SampleLockWaitersAsync(CancellationToken cancellationToken)
{
    var samples = new List<int>();
    await using var connection = await sampling.OpenConnectionAsync(CancellationToken.None);
    try
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            samples.Add(await connection.ExecuteScalarAsync<int>("""
                select count(*)::int from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'
                """));
            await Task.Delay(100, cancellationToken);
        }
    }
    catch (OperationCanceledException)
    {
        // the phase is over
    }
    return samples;
}

static Result Print(string name, int connections, Run run)
{
    Console.WriteLine($"{name,-20} {connections,5} {run.Count,8:N0} {run.PerSecond,8:N0} {run.P50,8:0.00} {run.P95,8:0.00} {run.P99,8:0.00} {run.Max,8:0.0} " +
                      $"{run.PostgresCpu,9:0.000} {run.OwnCpu,9:0.000} {$"{run.Waiters:0.0} ({run.MaxWaiters})",13} {$"{run.PendingAtEnd} ({run.CatchUpMs:0})",16}");
    return new Result(name, connections, run.PerSecond, run.P50, run.P95, run.P99, run.PostgresCpu, run.OwnCpu, run.Waiters);
}

internal sealed record Run(int Count, double PerSecond, double P50, double P95, double P99, double Max, double PostgresCpu, double OwnCpu, double Waiters, int MaxWaiters,
    long PendingAtEnd, double CatchUpMs);

internal sealed record Result(string Name, int Connections, double PerSecond, double P50, double P95, double P99, double PostgresCpu, double OwnCpu,
    double Waiters);
