// Fault run (issue 16): the whole platform as `scripts/run.sh` runs it (Aspire, two Enrollment replicas behind the
// gateway, the demo province), under a steady open-loop load through the gateway of progress reports (the learning
// platform completing required courses) and elective choices (teachers of four schools), while, one after another:
//   1. PostgreSQL is killed (-9) and left down for --outage seconds (default 300), then started again;
//   2. RabbitMQ is killed (-9) and left down for --broker-outage seconds (default 60), then started again;
//   3. one Enrollment replica is killed (-9), and started again after --settle seconds.
// Then the load stops, the consumers drain, and everything is counted in the databases and the broker: requests
// sent / succeeded / failed, each fault's failure window and the time from its end to the first success, and the
// events expected / applied / duplicated / parked (CourseCompleted into Credits' ledger and Mentoring's copy,
// CourseEnrolled into Mentoring's copy), with every request answered with success found afterwards.
//
//   dotnet run -c Release --project benchmarks/FaultRun -- [reports/s=20] [electives/s=4] [--outage 300] [--broker-outage 60] [--settle 60]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.PlatformTesting;

var numbers = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).ToArray();
var reportRate = numbers.Length > 0 ? numbers[0] : 20;
var electiveRate = numbers.Length > 1 ? numbers[1] : 4;
var outage = TimeSpan.FromSeconds(Option("--outage", 300));
var brokerOutage = TimeSpan.FromSeconds(Option("--broker-outage", 60));
var settle = TimeSpan.FromSeconds(Option("--settle", 60));

Console.WriteLine($"fault run: {reportRate} progress reports/s and {electiveRate} elective choices/s through the gateway; PostgreSQL down {outage.TotalSeconds:0} s, " +
                  $"RabbitMQ down {brokerOutage.TotalSeconds:0} s, an Enrollment replica killed; {Environment.ProcessorCount} cores");
var clock = Stopwatch.StartNew();
await using var platform = await RunningPlatform.StartAsync(["--replicas", "enrollment=2"]);
Console.WriteLine($"platform healthy after {clock.Elapsed.TotalSeconds:0} s");
using var http = new HttpClient { BaseAddress = platform.Gateway, Timeout = TimeSpan.FromSeconds(30) };
var year = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).Year.ToString(CultureInfo.InvariantCulture);
var databases = new Dictionary<string, string>();
foreach (var name in new[] { "enrollmentdb", "creditsdb", "mentoringdb" })
{
    // Unpooled: a pooled connection from before PostgreSQL was killed would fail the first count after it.
    databases[name] = (await platform.App.GetConnectionStringAsync(name)) + ";Pooling=false";
}

// ---- The work: required courses to complete (as the platform pushed them), electives of four schools' topics ----
var learning = await SignInAsync("learning-platform");
await using (var enrollment = new NpgsqlConnection(databases["enrollmentdb"]))
{
    // The required packages are pushed from the broker as the demo arrives: wait until they stop growing.
    long previous = -1, now;
    while ((now = await enrollment.ExecuteScalarAsync<long>("select count(*) from enrollments where kind = 'required'")) != previous || now == 0)
    {
        previous = now;
        await Task.Delay(TimeSpan.FromSeconds(5));
    }
}
List<(Guid Teacher, Guid Course)> required;
await using (var enrollment = new NpgsqlConnection(databases["enrollmentdb"]))
{
    required = [.. await enrollment.QueryAsync<(Guid, Guid)>("""
        select e.teacher_id, e.course_id from enrollments e join program_years y on y.id = e.program_year_id
        where y.code = @Year and e.kind = 'required' and e.status = 'enrolled' order by e.id
        """, new { Year = year })];
}
var electiveWork = new ConcurrentQueue<(string Token, Guid Teacher, Guid Course)>();
foreach (var school in new[] { "371602001", "371602002", "371602004", "371602005" })
{
    var admin = await SignInAsync($"school-{school}");
    var topics = (await GetAsync($"/api/catalog/years/{year}/topics", admin)).EnumerateArray().Take(3).Select(t => t.GetProperty("id").GetGuid()).ToList();
    await SendAsync(HttpMethod.Put, $"/api/catalog/years/{year}/schools/{school}/topics", admin, new { topicIds = topics });
    var teachers = (await GetAsync($"/api/directory/teachers?schoolCode={school}&pageSize=100", admin)).EnumerateArray().ToList();
    foreach (var teacher in teachers)
    {
        // Lists mask ID numbers: the school reads each login in full (an audited read, as a real school would).
        var login = (await SendAsync(HttpMethod.Get, $"/api/directory/teachers/{teacher.GetProperty("id").GetGuid()}/national-id", admin))
            .GetProperty("nationalId").GetString()!;
        var token = await SignInAsync(login);
        foreach (var topic in topics)
        {
            foreach (var course in (await GetAsync($"/api/catalog/courses?topic={topic}&pageSize=4", token)).GetProperty("items").EnumerateArray())
            {
                electiveWork.Enqueue((token, teacher.GetProperty("id").GetGuid(), course.GetProperty("id").GetGuid()));
            }
        }
    }
}
Console.WriteLine($"work: {required.Count:N0} required courses to complete, {electiveWork.Count:N0} elective choices to try ({clock.Elapsed.TotalSeconds:0} s)");

// ---- The load: open loop, requests sent on a fixed schedule whatever the answers ----
var outcomes = new ConcurrentBag<Outcome>();
var completedOk = new ConcurrentBag<(Guid Teacher, Guid Course)>();
var chosenOk = new ConcurrentBag<(Guid Teacher, Guid Course)>();
var runStart = DateTimeOffset.UtcNow;
using var stopLoad = new CancellationTokenSource();
var reportIndex = 0;
var reports = LoadAsync("progress", reportRate, async () =>
{
    var i = Interlocked.Increment(ref reportIndex) - 1;
    if (i >= required.Count)
    {
        return null;
    }
    var (teacher, course) = required[i];
    using var response = await SendRawAsync(HttpMethod.Post, "/api/enrollment/progress", learning, new
    {
        reports = new[]
        {
            new
            {
                reportId = $"faultrun-{teacher:N}-{course:N}", teacherId = teacher, courseId = course, programYear = year, minutesStudied = 600,
                percent = 100, testPassed = true, testScore = 90, assignmentHandedIn = true, occurredAt = DateTimeOffset.UtcNow,
            },
        },
    });
    if (response.IsSuccessStatusCode)
    {
        completedOk.Add((teacher, course));
    }
    return (int)response.StatusCode;
});
var electives = LoadAsync("elective", electiveRate, async () =>
{
    if (!electiveWork.TryDequeue(out var work))
    {
        return null;
    }
    using var response = await SendRawAsync(HttpMethod.Post, $"/api/enrollment/years/{year}/electives", work.Token, new { courseId = work.Course });
    if (response.IsSuccessStatusCode)
    {
        chosenOk.Add((work.Teacher, work.Course));
    }
    return (int)response.StatusCode;
});

// ---- The faults ----
var faults = new List<Fault>();
await Task.Delay(settle);
faults.Add(await FaultAsync("PostgreSQL killed (-9), down", "postgres", outage, killTree: false));
await Task.Delay(settle);
faults.Add(await FaultAsync("RabbitMQ killed (-9), down", "messaging", brokerOutage, killTree: true));
await Task.Delay(settle);
faults.Add(await FaultAsync("Enrollment replica 2 killed (-9), restarted after", "enrollment-2", settle, killTree: false, serviceProcess: true));
await Task.Delay(settle);
await stopLoad.CancelAsync();
await Task.WhenAll(reports, electives);
var loadEnd = DateTimeOffset.UtcNow;

// ---- Drain, then count ----
Console.WriteLine($"load stopped after {(loadEnd - runStart).TotalSeconds:0} s; waiting for the consumers to drain");
Counts counts;
var drainStart = Stopwatch.StartNew();
while (true)
{
    counts = await CountAsync();
    if ((counts.CreditsApplied == counts.Completed && counts.MentoringCompleted == counts.Completed && counts.MentoringElectives == counts.Electives)
        || drainStart.Elapsed > TimeSpan.FromMinutes(10))
    {
        break;
    }
    await Task.Delay(TimeSpan.FromSeconds(5));
}
var parked = await ParkedAsync();

Console.WriteLine();
Console.WriteLine("requests through the gateway (answered 2xx = succeeded; 4xx = refused by a rule; anything else = failed):");
foreach (var kind in outcomes.GroupBy(o => o.Kind).OrderBy(g => g.Key))
{
    Console.WriteLine($"  {kind.Key,-9} sent {kind.Count(),7:N0}   succeeded {kind.Count(o => o.Status is >= 200 and < 300),7:N0}   " +
                      $"refused {kind.Count(o => o.Status is >= 400 and < 500),6:N0}   failed {kind.Count(o => o.Status is < 200 or >= 500),6:N0}");
}
Console.WriteLine();
Console.WriteLine("faults (failure window: first to last failed request from the fault's start; recovery: from its end to the first success):");
foreach (var fault in faults)
{
    var failed = outcomes.Where(o => o.SentAt >= fault.Start && o.SentAt < fault.End + settle && o.Status is < 200 or >= 500).Select(o => o.SentAt).Order().ToList();
    var firstSuccess = outcomes.Where(o => o.SentAt >= fault.End && o.Status is >= 200 and < 300).Select(o => o.AnsweredAt).DefaultIfEmpty().Min();
    Console.WriteLine($"  {fault.What} {(fault.End - fault.Start).TotalSeconds:0} s: {failed.Count:N0} failed requests" +
                      (failed.Count > 0 ? $" over {(failed[^1] - failed[0]).TotalSeconds:0.0} s" : "") +
                      $"; first success {(firstSuccess == default ? "never" : $"{(firstSuccess - fault.End).TotalSeconds:0.0} s")} after it ended");
}
Console.WriteLine();
var lostCompletions = completedOk.Count - counts.CompletedOfSucceeded(completedOk);
var lostChoices = chosenOk.Count - counts.ChosenOfSucceeded(chosenOk);
Console.WriteLine("events (counted in the databases after the drain):");
Console.WriteLine($"  CourseCompleted → Credits ledger   expected {counts.Completed,7:N0}   applied {counts.CreditsApplied,7:N0}   duplicated {counts.CreditsDuplicated,4:N0}");
Console.WriteLine($"  CourseCompleted → Mentoring copy   expected {counts.Completed,7:N0}   applied {counts.MentoringCompleted,7:N0}   duplicated {0,4:N0} (keyed by enrollment)");
Console.WriteLine($"  CourseEnrolled  → Mentoring copy   expected {counts.Electives,7:N0}   applied {counts.MentoringElectives,7:N0}   duplicated {0,4:N0} (keyed by enrollment)");
Console.WriteLine($"  parked in _error queues: {(parked is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "not counted (no operator endpoint)")}");
Console.WriteLine($"  requests answered with success and not found afterwards: {lostCompletions} progress reports, {lostChoices} elective choices");
Console.WriteLine($"whole run {clock.Elapsed.TotalMinutes:0.0} min");
var clean = lostCompletions == 0 && lostChoices == 0 && counts.CreditsApplied == counts.Completed && counts.CreditsDuplicated == 0
            && counts.MentoringCompleted == counts.Completed && counts.MentoringElectives == counts.Electives && parked is null or 0;
Console.WriteLine(clean ? "RESULT: nothing lost, nothing applied twice, nothing parked" : "RESULT: SOMETHING WAS LOST, DUPLICATED OR PARKED (see above)");
return clean ? 0 : 1;

// ---- helpers ----

double Option(string name, double fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

async Task<string> SignInAsync(string login)
{
    using var response = await http.PostAsJsonAsync("/api/directory/sign-in", new { login, password = platform.DemoPassword });
    var body = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode
        ? JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!
        : throw new InvalidOperationException($"sign-in as {login}: {(int)response.StatusCode} {body}");
}

async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string token, object? body = null)
{
    using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return await http.SendAsync(request);
}

async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null)
{
    using var response = await SendRawAsync(method, path, token, body);
    var text = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode
        ? (text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone())
        : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
}

Task<JsonElement> GetAsync(string path, string token) => SendAsync(HttpMethod.Get, path, token);

// Sends one request every 1/rate seconds until stopped or out of work, never waiting for answers (at most 400 in
// flight: during an outage requests hang until their timeout, and the load must not pile up without bound).
async Task LoadAsync(string kind, double rate, Func<Task<int?>> send)
{
    if (rate <= 0)
    {
        return;
    }
    using var inFlight = new SemaphoreSlim(400);
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate));
    var pending = new List<Task>();
    var done = false;
    while (!done && !stopLoad.IsCancellationRequested && await timer.WaitForNextTickAsync(CancellationToken.None))
    {
        if (!await inFlight.WaitAsync(0))
        {
            outcomes.Add(new Outcome(kind, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0)); // not even sent: counted as failed
            continue;
        }
        var sentAt = DateTimeOffset.UtcNow;
        pending.Add(Task.Run(async () =>
        {
            try
            {
                var status = await send();
                if (status is null)
                {
                    done = true;
                    return;
                }
                outcomes.Add(new Outcome(kind, sentAt, DateTimeOffset.UtcNow, status.Value));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                outcomes.Add(new Outcome(kind, sentAt, DateTimeOffset.UtcNow, 0));
            }
            finally
            {
                inFlight.Release();
            }
        }));
    }
    await Task.WhenAll(pending);
}

// kill -9 of a resource's process (its whole tree for RabbitMQ, whose script starts the Erlang VM; the service process
// itself for a replica, which DCP may have started through a launcher), and Aspire's own start command once `down` is over.
async Task<Fault> FaultAsync(string what, string resourceName, TimeSpan down, bool killTree, bool serviceProcess = false)
{
    var launched = platform.ProcessIds().Single(p => p.Key == resourceName || p.Key.StartsWith(resourceName + "-", StringComparison.Ordinal)
                                                      && !p.Key[(resourceName.Length + 1)..].Contains('-', StringComparison.Ordinal)).Value;
    var victims = killTree ? ProcessTable.SelfAndDescendants(launched)
        : serviceProcess ? [ProcessTable.SelfAndDescendants(launched).Single(pid => ProcessTable.Snapshot()[pid].Command == "TrainingPlatfor")]
        : [launched];
    var start = DateTimeOffset.UtcNow;
    Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:0} s  {what}: kill -9 {string.Join(' ', victims)}");
    Process.Start("kill", ["-9", .. victims.Select(v => v.ToString(CultureInfo.InvariantCulture))])!.WaitForExit();
    await Task.Delay(down);
    var resource = platform.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
    var started = await platform.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
    var end = DateTimeOffset.UtcNow;
    Console.WriteLine($"{clock.Elapsed.TotalSeconds,6:0} s  {resourceName} started again: {(started.Success ? "ok" : started.Message)}");
    return new Fault(what, start, end);
}

async Task<Counts> CountAsync()
{
    await using var enrollment = new NpgsqlConnection(databases["enrollmentdb"]);
    await using var credits = new NpgsqlConnection(databases["creditsdb"]);
    await using var mentoring = new NpgsqlConnection(databases["mentoringdb"]);
    var completed = (await enrollment.QueryAsync<(Guid Id, Guid Teacher, Guid Course)>(
        "select id, teacher_id, course_id from enrollments where status = 'completed' and completed_at >= @Since", new { Since = runStart.AddMinutes(-1) })).ToList();
    var chosen = (await enrollment.QueryAsync<(Guid Id, Guid Teacher, Guid Course)>(
        "select id, teacher_id, course_id from enrollments where kind = 'elective' and enrolled_at >= @Since", new { Since = runStart.AddMinutes(-1) })).ToList();
    var completedIds = completed.Select(c => c.Id).ToArray();
    var refs = completedIds.Select(id => $"enrollment:{id}").ToArray();
    var ledger = await credits.QuerySingleAsync<(long Rows, long Distinct)>(
        "select count(*), count(distinct source_ref) from ledger_entries where source_ref = any(@Refs)", new { Refs = refs });
    var mentoringCompleted = await mentoring.ExecuteScalarAsync<long>(
        "select count(*) from course_progress where status = 'completed' and enrollment_id = any(@Ids)", new { Ids = completedIds });
    var mentoringElectives = await mentoring.ExecuteScalarAsync<long>(
        "select count(*) from course_progress where enrollment_id = any(@Ids)", new { Ids = chosen.Select(c => c.Id).ToArray() });
    return new Counts(completed.Count, ledger.Distinct, ledger.Rows - ledger.Distinct, mentoringCompleted, chosen.Count, mentoringElectives,
        completed.Select(c => (c.Teacher, c.Course)).ToHashSet(), chosen.Select(c => (c.Teacher, c.Course)).ToHashSet());
}

// What each service's operators see parked (GET /api/<service>/operations/parked); null when no service answers it.
async Task<long?> ParkedAsync()
{
    var operatorToken = await SignInAsync("operator");
    long? total = null;
    foreach (var service in new[] { "directory", "catalog", "enrollment", "credits", "mentoring" })
    {
        using var response = await SendRawAsync(HttpMethod.Get, $"/api/{service}/operations/parked", operatorToken);
        if (!response.IsSuccessStatusCode)
        {
            continue;
        }
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var queues = body.ValueKind == JsonValueKind.Array ? body : body.GetProperty("queues");
        total = (total ?? 0) + queues.EnumerateArray().Sum(q => q.GetProperty("count").GetInt64());
    }
    return total;
}

internal sealed record Outcome(string Kind, DateTimeOffset SentAt, DateTimeOffset AnsweredAt, int Status);

internal sealed record Fault(string What, DateTimeOffset Start, DateTimeOffset End);

internal sealed record Counts(long Completed, long CreditsApplied, long CreditsDuplicated, long MentoringCompleted, long Electives, long MentoringElectives,
    HashSet<(Guid Teacher, Guid Course)> CompletedPairs, HashSet<(Guid Teacher, Guid Course)> ChosenPairs)
{
    public int CompletedOfSucceeded(IEnumerable<(Guid Teacher, Guid Course)> succeeded) => succeeded.Count(CompletedPairs.Contains);

    public int ChosenOfSucceeded(IEnumerable<(Guid Teacher, Guid Course)> succeeded) => succeeded.Count(ChosenPairs.Contains);
}
