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

namespace TrainingPlatform.PlatformTesting;

/// <summary>
/// The fault rehearsals' load and bookkeeping (benchmarks/FaultRun, its <c>--cluster</c> mode, AppHost.Tests'
/// ClusterRehearsalTests): required courses completed by the learning platform's progress reports and elective choices
/// of teachers, sent open-loop through the gateway; every answer kept; resources killed with <c>kill -9</c> and started
/// again through Aspire; and afterwards everything counted in the databases, so a success that was not committed, or
/// a write applied twice, shows.
/// </summary>
public sealed class GatewayLoad : IDisposable
{
    private readonly RunningPlatform _platform;
    private readonly Dictionary<string, string> _databases;
    private readonly Stopwatch _clock;

    private GatewayLoad(RunningPlatform platform, HttpClient http, string year, Dictionary<string, string> databases, Stopwatch clock)
    {
        _platform = platform;
        Http = http;
        Year = year;
        _databases = databases;
        _clock = clock;
    }

    public HttpClient Http { get; }

    public string Year { get; }

    public List<(Guid Teacher, Guid Course)> Required { get; private set; } = [];

    public ConcurrentQueue<(string Token, Guid Teacher, Guid Course)> ElectiveWork { get; } = new();

    public ConcurrentBag<Outcome> Outcomes { get; } = [];

    public ConcurrentBag<(Guid Teacher, Guid Course)> CompletedOk { get; } = [];

    public ConcurrentBag<(Guid Teacher, Guid Course)> ChosenOk { get; } = [];

    public DateTimeOffset RunStart { get; private set; }

    /// <summary>
    /// The work: the required courses pushed to teachers as the demo arrived (waited for until they stop growing), and
    /// elective choices of the first <paramref name="schools"/> demo schools' teachers (<paramref name="teachersPerSchool"/>
    /// each, three topics, four courses a topic).
    /// </summary>
    public static async Task<GatewayLoad> PrepareAsync(RunningPlatform platform, Stopwatch clock, int schools = 4, int teachersPerSchool = 100)
    {
        var http = new HttpClient { BaseAddress = platform.Gateway, Timeout = TimeSpan.FromSeconds(30) };
        var year = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).Year.ToString(CultureInfo.InvariantCulture);
        var databases = new Dictionary<string, string>();
        foreach (var name in new[] { "enrollmentdb", "creditsdb", "mentoringdb" })
        {
            // Unpooled: a pooled connection from before a server was killed would fail the first count after it.
            databases[name] = (await platform.App.GetConnectionStringAsync(name)) + ";Pooling=false";
        }
        var load = new GatewayLoad(platform, http, year, databases, clock);

        await using (var enrollment = new NpgsqlConnection(databases["enrollmentdb"]))
        {
            long previous = -1, now;
            while ((now = await enrollment.ExecuteScalarAsync<long>("select count(*) from enrollments where kind = 'required'")) != previous || now == 0)
            {
                previous = now;
                await Task.Delay(TimeSpan.FromSeconds(5));
            }
            load.Required = [.. await enrollment.QueryAsync<(Guid, Guid)>("""
                select e.teacher_id, e.course_id from enrollments e join program_years y on y.id = e.program_year_id
                where y.code = @Year and e.kind = 'required' and e.status = 'enrolled' order by e.id
                """, new { Year = year })];
        }
        foreach (var school in new[] { "371602001", "371602002", "371602004", "371602005" }.Take(schools))
        {
            var admin = await load.SignInAsync($"school-{school}");
            var topics = (await load.GetAsync($"/api/catalog/years/{year}/topics", admin)).EnumerateArray().Take(3).Select(t => t.GetProperty("id").GetGuid()).ToList();
            await load.SendAsync(HttpMethod.Put, $"/api/catalog/years/{year}/schools/{school}/topics", admin, new { topicIds = topics });
            var teachers = (await load.GetAsync($"/api/directory/teachers?schoolCode={school}&pageSize=100", admin)).EnumerateArray().Take(teachersPerSchool).ToList();
            foreach (var teacher in teachers)
            {
                // Lists mask ID numbers: the school reads each login in full (an audited read, as a real school would).
                var login = (await load.SendAsync(HttpMethod.Get, $"/api/directory/teachers/{teacher.GetProperty("id").GetGuid()}/national-id", admin))
                    .GetProperty("nationalId").GetString()!;
                var token = await load.SignInAsync(login);
                foreach (var topic in topics)
                {
                    foreach (var course in (await load.GetAsync($"/api/catalog/courses?topic={topic}&pageSize=4", token)).GetProperty("items").EnumerateArray())
                    {
                        load.ElectiveWork.Enqueue((token, teacher.GetProperty("id").GetGuid(), course.GetProperty("id").GetGuid()));
                    }
                }
            }
        }
        return load;
    }

    /// <summary>Both loads, open loop, until <paramref name="stop"/> or out of work.</summary>
    public Task RunAsync(double reportRate, double electiveRate, CancellationToken stop)
    {
        RunStart = DateTimeOffset.UtcNow;
        var learningToken = SignInAsync("learning-platform");
        var reportIndex = -1;
        var reports = LoadAsync("progress", reportRate, stop, async () =>
        {
            var i = Interlocked.Increment(ref reportIndex);
            if (i >= Required.Count)
            {
                return null;
            }
            var (teacher, course) = Required[i];
            using var response = await SendRawAsync(HttpMethod.Post, "/api/enrollment/progress", await learningToken, new
            {
                reports = new[]
                {
                    new
                    {
                        reportId = $"faultrun-{teacher:N}-{course:N}", teacherId = teacher, courseId = course, programYear = Year, minutesStudied = 600,
                        percent = 100, testPassed = true, testScore = 90, assignmentHandedIn = true, occurredAt = DateTimeOffset.UtcNow,
                    },
                },
            });
            if (response.IsSuccessStatusCode)
            {
                CompletedOk.Add((teacher, course));
            }
            return (int)response.StatusCode;
        });
        var electives = LoadAsync("elective", electiveRate, stop, async () =>
        {
            if (!ElectiveWork.TryDequeue(out var work))
            {
                return null;
            }
            using var response = await SendRawAsync(HttpMethod.Post, $"/api/enrollment/years/{Year}/electives", work.Token, new { courseId = work.Course });
            if (response.IsSuccessStatusCode)
            {
                ChosenOk.Add((work.Teacher, work.Course));
            }
            return (int)response.StatusCode;
        });
        return Task.WhenAll(reports, electives);
    }

    // Sends one request every 1/rate seconds until stopped or out of work, never waiting for answers (at most 400 in
    // flight: during an outage requests hang until their timeout, and the load must not pile up without bound).
    private async Task LoadAsync(string kind, double rate, CancellationToken stop, Func<Task<int?>> send)
    {
        if (rate <= 0)
        {
            return;
        }
        using var inFlight = new SemaphoreSlim(400);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate));
        var pending = new List<Task>();
        var done = false;
        while (!done && !stop.IsCancellationRequested && await timer.WaitForNextTickAsync(CancellationToken.None))
        {
            if (!await inFlight.WaitAsync(0))
            {
                Outcomes.Add(new Outcome(kind, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0)); // not even sent: counted as failed
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
                    Outcomes.Add(new Outcome(kind, sentAt, DateTimeOffset.UtcNow, status.Value));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Outcomes.Add(new Outcome(kind, sentAt, DateTimeOffset.UtcNow, 0));
                }
                finally
                {
                    inFlight.Release();
                }
            }));
        }
        await Task.WhenAll(pending);
    }

    /// <summary>
    /// <c>kill -9</c> of a resource's process: its whole tree (<paramref name="killTree"/>, for RabbitMQ, whose script
    /// starts the Erlang VM), the service process itself (<paramref name="serviceProcess"/>, for a replica DCP may have
    /// started through a launcher), or the process DCP started. Returns when it was killed.
    /// </summary>
    public DateTimeOffset Kill(string what, string resourceName, bool killTree, bool serviceProcess = false)
    {
        var ids = _platform.ProcessIds();
        var launched = ids.TryGetValue(resourceName, out var exact) ? exact
            : ids.Single(p => p.Key.StartsWith(resourceName + "-", StringComparison.Ordinal)
                              && !p.Key[(resourceName.Length + 1)..].Contains('-', StringComparison.Ordinal)).Value;
        var victims = killTree ? ProcessTable.SelfAndDescendants(launched)
            : serviceProcess ? [ProcessTable.SelfAndDescendants(launched).Single(pid => ProcessTable.Snapshot()[pid].Command == "TrainingPlatfor")]
            : [launched];
        var start = DateTimeOffset.UtcNow;
        Say($"{what}: kill -9 {string.Join(' ', victims)}");
        Process.Start("kill", ["-9", .. victims.Select(v => v.ToString(CultureInfo.InvariantCulture))])!.WaitForExit();
        return start;
    }

    /// <summary>Aspire's own start command for a resource that was killed.</summary>
    public async Task<DateTimeOffset> StartAgainAsync(string resourceName)
    {
        var resource = _platform.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var started = await _platform.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        Say($"{resourceName} started again: {(started.Success ? "ok" : started.Message)}");
        return DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// Cluster mode: what a failover manager does once the primary is gone — <c>pg_promote()</c> on the standby (the
    /// second host of the services' multi-host connection string). The old primary is not started again: it would be a
    /// second primary.
    /// </summary>
    public async Task<DateTimeOffset> PromoteStandbyAsync()
    {
        var services = new NpgsqlConnectionStringBuilder(await _platform.App.GetConnectionStringAsync("postgres")) { Database = "postgres", Timeout = 5 };
        var standby = services.Host!.Split(',')[1];
        var direct = new NpgsqlConnectionStringBuilder(services.ConnectionString)
        {
            Host = standby.Split(':')[0],
            Port = int.Parse(standby.Split(':')[1], CultureInfo.InvariantCulture),
            TargetSessionAttributes = null,
            Pooling = false,
        };
        await using var connection = new NpgsqlConnection(direct.ConnectionString);
        await connection.OpenAsync();
        var promoted = await connection.ExecuteScalarAsync<bool>("select pg_promote(wait => true)");
        Say($"standby {standby} promoted: {promoted}");
        return DateTimeOffset.UtcNow;
    }

    /// <summary>Counts until every succeeded write's events have arrived, or <paramref name="patience"/> is over.</summary>
    public async Task<Counts> DrainAsync(TimeSpan patience)
    {
        var drainStart = Stopwatch.StartNew();
        while (true)
        {
            Counts counts;
            try
            {
                counts = await CountAsync();
            }
            catch (NpgsqlException e) when (drainStart.Elapsed < patience)
            {
                Say($"count not possible yet: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(5));
                continue;
            }
            if (counts.Drained || drainStart.Elapsed > patience)
            {
                return counts;
            }
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    public async Task<Counts> CountAsync()
    {
        await using var enrollment = new NpgsqlConnection(_databases["enrollmentdb"]);
        await using var credits = new NpgsqlConnection(_databases["creditsdb"]);
        await using var mentoring = new NpgsqlConnection(_databases["mentoringdb"]);
        var since = new { Since = RunStart.AddMinutes(-1) };
        var completed = (await enrollment.QueryAsync<(Guid Id, Guid Teacher, Guid Course)>(
            "select id, teacher_id, course_id from enrollments where status = 'completed' and completed_at >= @Since", since)).ToList();
        var chosen = (await enrollment.QueryAsync<(Guid Id, Guid Teacher, Guid Course)>(
            "select id, teacher_id, course_id from enrollments where kind = 'elective' and enrolled_at >= @Since", since)).ToList();
        var duplicatedEnrollments = await enrollment.ExecuteScalarAsync<long>(
            "select count(*) - count(distinct (teacher_id, course_id, program_year_id)) from enrollments where enrolled_at >= @Since or completed_at >= @Since", since);
        var completedIds = completed.Select(c => c.Id).ToArray();
        var refs = completedIds.Select(id => $"enrollment:{id}").ToArray();
        var ledger = await credits.QuerySingleAsync<(long Rows, long Distinct)>(
            "select count(*), count(distinct source_ref) from ledger_entries where source_ref = any(@Refs)", new { Refs = refs });
        var mentoringCompleted = await mentoring.ExecuteScalarAsync<long>(
            "select count(*) from course_progress where status = 'completed' and enrollment_id = any(@Ids)", new { Ids = completedIds });
        var mentoringElectives = await mentoring.ExecuteScalarAsync<long>(
            "select count(*) from course_progress where enrollment_id = any(@Ids)", new { Ids = chosen.Select(c => c.Id).ToArray() });
        return new Counts(completed.Count, ledger.Distinct, ledger.Rows - ledger.Distinct, mentoringCompleted, chosen.Count, mentoringElectives,
            duplicatedEnrollments, completed.Select(c => (c.Teacher, c.Course)).ToHashSet(), chosen.Select(c => (c.Teacher, c.Course)).ToHashSet());
    }

    /// <summary>What each service's operators see parked (GET /api/&lt;service&gt;/operations/parked); null when no service answers it.</summary>
    public async Task<long?> ParkedAsync()
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

    /// <summary>The requests per kind: sent, succeeded (2xx), refused by a rule (4xx), failed (anything else).</summary>
    public IEnumerable<string> RequestLines() =>
        Outcomes.GroupBy(o => o.Kind).OrderBy(g => g.Key).Select(kind =>
            $"  {kind.Key,-9} sent {kind.Count(),7:N0}   succeeded {kind.Count(o => o.Succeeded),7:N0}   " +
            $"refused {kind.Count(o => o.Status is >= 400 and < 500),6:N0}   failed {kind.Count(o => o.Failed),6:N0}");

    /// <summary>
    /// A fault's failure window: first to last failed request sent from its start until <paramref name="windowEnd"/>
    /// (some time after its end, never past the next fault's start); and the first success after its end.
    /// </summary>
    public string FaultLine(Fault fault, DateTimeOffset windowEnd)
    {
        var failed = Outcomes.Where(o => o.SentAt >= fault.Start && o.SentAt < windowEnd && o.Failed).Select(o => o.SentAt).Order().ToList();
        var firstSuccess = Outcomes.Where(o => o.SentAt >= fault.End && o.Succeeded).Select(o => o.AnsweredAt).DefaultIfEmpty().Min();
        return $"  {fault.What} {(fault.End - fault.Start).TotalSeconds:0} s: {failed.Count:N0} failed requests" +
               (failed.Count > 0 ? $" over {(failed[^1] - failed[0]).TotalSeconds:0.0} s" : "") +
               $"; first success {(firstSuccess == default ? "never" : $"{(firstSuccess - fault.End).TotalSeconds:0.0} s")} after it ended";
    }

    public async Task<string> SignInAsync(string login)
    {
        using var response = await Http.PostAsJsonAsync("/api/directory/sign-in", new { login, password = _platform.DemoPassword });
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!
            : throw new InvalidOperationException($"sign-in as {login}: {(int)response.StatusCode} {body}");
    }

    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var response = await SendRawAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? (text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone())
            : throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
    }

    public Task<JsonElement> GetAsync(string path, string token) => SendAsync(HttpMethod.Get, path, token);

    public void Say(string line) => Console.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0} s  {line}");

    public void Dispose() => Http.Dispose();
}

public sealed record Outcome(string Kind, DateTimeOffset SentAt, DateTimeOffset AnsweredAt, int Status)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public bool Failed => Status is < 200 or >= 500;
}

public sealed record Fault(string What, DateTimeOffset Start, DateTimeOffset End);

/// <summary>What the databases hold after a run: enrollments completed and chosen since it started, and their events' copies.</summary>
public sealed record Counts(long Completed, long CreditsApplied, long CreditsDuplicated, long MentoringCompleted, long Electives, long MentoringElectives,
    long EnrollmentsDuplicated, HashSet<(Guid Teacher, Guid Course)> CompletedPairs, HashSet<(Guid Teacher, Guid Course)> ChosenPairs)
{
    public bool Drained => CreditsApplied == Completed && MentoringCompleted == Completed && MentoringElectives == Electives;

    public int CompletedOfSucceeded(IEnumerable<(Guid Teacher, Guid Course)> succeeded) => succeeded.Count(CompletedPairs.Contains);

    public int ChosenOfSucceeded(IEnumerable<(Guid Teacher, Guid Course)> succeeded) => succeeded.Count(ChosenPairs.Contains);
}
