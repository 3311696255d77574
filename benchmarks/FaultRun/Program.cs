// Fault run (issue 16): the whole platform as `scripts/run.sh` runs it (Aspire, two Enrollment replicas behind the
// gateway, the demo province), under a steady open-loop load through the gateway of progress reports (the learning
// platform completing required courses) and elective choices (teachers of four schools), while, one after another:
//   1. PostgreSQL is killed (-9) and left down for --outage seconds (default 300), then started again;
//   2. RabbitMQ is killed (-9) and left down for --broker-outage seconds (default 60), then started again;
//   3. one Enrollment replica is killed (-9), and started again after --settle seconds.
// The cluster rehearsal (issue 18, --cluster): the AppHost's cluster mode (three RabbitMQ nodes, a PostgreSQL primary
// with a synchronous standby) with two replicas of every service, and:
//   1. one RabbitMQ node (rabbit-1, the services' first) is killed (-9), and started again after --broker-outage seconds;
//   2. the PostgreSQL primary is killed (-9) and, --failover seconds later (default 10, a failover manager's detection),
//      the standby promoted: the services find it through their multi-host connection strings by themselves;
//   3. one replica of each service is killed (-9), and started again after --settle seconds.
// (--teachers: elective choices of that many teachers per school, 100 = all.)
// Then the load stops, the consumers drain, and everything is counted in the databases (after a failover: the promoted
// primary) and the broker: requests sent / succeeded / failed, each fault's failure window and the time from its end to
// the first success, enrollments and events expected / found / duplicated / parked, with every request answered with
// success found afterwards. Exit code 1 when anything is lost, duplicated or parked.
//
//   dotnet run -c Release --project benchmarks/FaultRun -- [reports/s=20] [electives/s=4] [--outage 300] [--broker-outage 60] [--settle 60]
//   dotnet run -c Release --project benchmarks/FaultRun -- --cluster [reports/s=20] [electives/s=4] [--broker-outage 60] [--failover 10] [--settle 60] [--teachers 100]
using System.Diagnostics;
using System.Globalization;
using TrainingPlatform.PlatformTesting;

string[] services = ["directory", "catalog", "enrollment", "credits", "mentoring"];
var cluster = args.Contains("--cluster");
var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal) || args[i - 1] == "--cluster"))
    .Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var reportRate = numbers.Length > 0 ? numbers[0] : 20;
var electiveRate = numbers.Length > 1 ? numbers[1] : 4;
var outage = TimeSpan.FromSeconds(Option("--outage", 300));
var brokerOutage = TimeSpan.FromSeconds(Option("--broker-outage", 60));
var failover = TimeSpan.FromSeconds(Option("--failover", 10));
var settle = TimeSpan.FromSeconds(Option("--settle", 60));

Console.WriteLine(cluster
    ? $"cluster rehearsal: {reportRate} progress reports/s and {electiveRate} elective choices/s through the gateway; a RabbitMQ node down {brokerOutage.TotalSeconds:0} s, " +
      $"the PostgreSQL primary killed and the standby promoted after {failover.TotalSeconds:0} s, a replica of each service killed; {Environment.ProcessorCount} cores"
    : $"fault run: {reportRate} progress reports/s and {electiveRate} elective choices/s through the gateway; PostgreSQL down {outage.TotalSeconds:0} s, " +
      $"RabbitMQ down {brokerOutage.TotalSeconds:0} s, an Enrollment replica killed; {Environment.ProcessorCount} cores");
var clock = Stopwatch.StartNew();
await using var platform = await RunningPlatform.StartAsync(cluster
    ? ["--cluster", .. services.SelectMany(s => new[] { "--replicas", $"{s}=2" })]
    : ["--replicas", "enrollment=2"]);
Console.WriteLine($"platform healthy after {clock.Elapsed.TotalSeconds:0} s");
using var load = await GatewayLoad.PrepareAsync(platform, clock, teachersPerSchool: (int)Option("--teachers", 100));
Console.WriteLine($"work: {load.Required.Count:N0} required courses to complete, {load.ElectiveWork.Count:N0} elective choices to try ({clock.Elapsed.TotalSeconds:0} s)");

using var stopLoad = new CancellationTokenSource();
var running = load.RunAsync(reportRate, electiveRate, stopLoad.Token);

var faults = new List<Fault>();
await Task.Delay(settle);
if (cluster)
{
    // rabbit-1: the node every service connected to first (ConnectionStrings__messaging), so their connections must move.
    var start = load.Kill("RabbitMQ node rabbit-1 killed (-9)", "messaging-rabbit-1", killTree: true);
    await Task.Delay(brokerOutage);
    faults.Add(new Fault("RabbitMQ node rabbit-1 killed (-9), down", start, await load.StartAgainAsync("messaging-rabbit-1")));
    await Task.Delay(settle);
    start = load.Kill("PostgreSQL primary killed (-9)", "postgres", killTree: false);
    await Task.Delay(failover);
    faults.Add(new Fault("PostgreSQL primary killed (-9), standby promoted after", start, await load.PromoteStandbyAsync()));
    foreach (var service in services)
    {
        await Task.Delay(settle);
        start = load.Kill($"{service} replica 2 killed (-9)", $"{service}-2", killTree: false, serviceProcess: true);
        await Task.Delay(settle);
        faults.Add(new Fault($"{service} replica 2 killed (-9), restarted after", start, await load.StartAgainAsync($"{service}-2")));
    }
}
else
{
    var start = load.Kill("PostgreSQL killed (-9)", "postgres", killTree: false);
    await Task.Delay(outage);
    faults.Add(new Fault("PostgreSQL killed (-9), down", start, await load.StartAgainAsync("postgres")));
    await Task.Delay(settle);
    start = load.Kill("RabbitMQ killed (-9)", "messaging", killTree: true);
    await Task.Delay(brokerOutage);
    faults.Add(new Fault("RabbitMQ killed (-9), down", start, await load.StartAgainAsync("messaging")));
    await Task.Delay(settle);
    start = load.Kill("Enrollment replica 2 killed (-9)", "enrollment-2", killTree: false, serviceProcess: true);
    await Task.Delay(settle);
    faults.Add(new Fault("Enrollment replica 2 killed (-9), restarted after", start, await load.StartAgainAsync("enrollment-2")));
}
await Task.Delay(settle);
await stopLoad.CancelAsync();
await running;

Console.WriteLine($"load stopped after {(DateTimeOffset.UtcNow - load.RunStart).TotalSeconds:0} s; waiting for the consumers to drain");
var counts = await load.DrainAsync(TimeSpan.FromMinutes(10));
var parked = await load.ParkedAsync();

Console.WriteLine();
Console.WriteLine("requests through the gateway (answered 2xx = succeeded; 4xx = refused by a rule; anything else = failed):");
foreach (var line in load.RequestLines())
{
    Console.WriteLine(line);
}
Console.WriteLine();
Console.WriteLine("faults (failure window: first to last failed request from the fault's start; recovery: from its end to the first success):");
for (var i = 0; i < faults.Count; i++)
{
    var windowEnd = faults[i].End + settle;
    Console.WriteLine(load.FaultLine(faults[i], i + 1 < faults.Count && faults[i + 1].Start < windowEnd ? faults[i + 1].Start : windowEnd));
}
Console.WriteLine();
var foundCompletions = counts.CompletedOfSucceeded(load.CompletedOk);
var foundChoices = counts.ChosenOfSucceeded(load.ChosenOk);
var (lostCompletions, lostChoices) = (load.CompletedOk.Count - foundCompletions, load.ChosenOk.Count - foundChoices);
Console.WriteLine($"enrollments (counted in the databases after the drain{(cluster ? ", on the promoted primary" : "")}):");
Console.WriteLine($"  completed by a progress report      expected {load.CompletedOk.Count,7:N0}   found {foundCompletions,7:N0}");
Console.WriteLine($"  chosen as an elective               expected {load.ChosenOk.Count,7:N0}   found {foundChoices,7:N0}");
Console.WriteLine($"  duplicated (teacher, course, year)  {counts.EnrollmentsDuplicated,7:N0}");
Console.WriteLine("events:");
Console.WriteLine($"  CourseCompleted → Credits ledger   expected {counts.Completed,7:N0}   applied {counts.CreditsApplied,7:N0}   duplicated {counts.CreditsDuplicated,4:N0}");
Console.WriteLine($"  CourseCompleted → Mentoring copy   expected {counts.Completed,7:N0}   applied {counts.MentoringCompleted,7:N0}   duplicated {0,4:N0} (keyed by enrollment)");
Console.WriteLine($"  CourseEnrolled  → Mentoring copy   expected {counts.Electives,7:N0}   applied {counts.MentoringElectives,7:N0}   duplicated {0,4:N0} (keyed by enrollment)");
Console.WriteLine($"  parked in _error queues: {(parked is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "not counted (no operator endpoint)")}");
Console.WriteLine($"  requests answered with success and not found afterwards: {lostCompletions} progress reports, {lostChoices} elective choices");
Console.WriteLine($"whole run {clock.Elapsed.TotalMinutes:0.0} min");
var clean = lostCompletions == 0 && lostChoices == 0 && counts.EnrollmentsDuplicated == 0 && counts.CreditsDuplicated == 0 && counts.Drained && parked is null or 0;
Console.WriteLine(clean ? "RESULT: nothing lost, nothing applied twice, nothing parked" : "RESULT: SOMETHING WAS LOST, DUPLICATED OR PARKED (see above)");
return clean ? 0 : 1;

double Option(string name, double fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
