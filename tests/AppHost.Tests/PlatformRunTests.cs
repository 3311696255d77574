using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TrainingPlatform.LocalServers;
using TrainingPlatform.PlatformTesting;
using Xunit;
using Xunit.Abstractions;

// Each test runs the whole platform; two at once would only fight over two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The platform end to end as Aspire runs it: the AppHost's own PostgreSQL and RabbitMQ, the five services (two
/// Enrollment replicas) and the gateway, started by Aspire's testing host; every flow through the gateway with tokens
/// Directory really signed; a replica killed under load. And the README's run command itself: it prints where the
/// portal and the dashboard are, both answer, and SIGTERM (what Ctrl+C does for a terminal) leaves no process behind.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // /proc, setpriv, postgres and rabbitmq users
public sealed class PlatformRunTests(ITestOutputHelper output)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Aspire_runs_the_whole_platform_and_every_flow_passes_through_the_gateway()
    {
        var clock = Stopwatch.StartNew();
        await using var platform = await RunningPlatform.StartAsync(["--replicas", "enrollment=2"], dashboard: true);
        output.WriteLine($"cold start to all healthy: {clock.Elapsed.TotalSeconds:0.0} s");
        using var http = new HttpClient { BaseAddress = platform.Gateway, Timeout = TimeSpan.FromSeconds(100) };

        using var health = await http.GetAsync("/health");
        var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        foreach (var service in new[] { "directory", "catalog", "enrollment", "credits", "mentoring" })
        {
            Assert.Equal("Healthy", report.GetProperty("services").GetProperty(service).GetProperty("status").GetString());
        }
        var enrollmentReplicas = report.GetProperty("services").GetProperty("enrollment").GetProperty("destinations");
        Assert.Equal(["Healthy", "Healthy"], enrollmentReplicas.EnumerateObject().Select(d => d.Value.GetString()));

        var password = platform.DemoPassword;
        using var signIn = await http.PostAsJsonAsync("/api/directory/sign-in", new { login = "school-371602001", password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        using var teachers = await Gateway.SendAsync(http, HttpMethod.Get, "/api/directory/teachers", token);
        var visible = (await teachers.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        // The demo school's forty teachers, and no one else's.
        Assert.Equal(40, visible.Count);
        Assert.All(visible, t => Assert.Equal("371602001", t.GetProperty("schoolCode").GetString()));
        Assert.Contains(visible, t => t.GetProperty("name").GetString() == "王丽");

        await ThroughTheGatewayAsync(http, password);
        await ProgramYearFlow.RunAsync(http, password, output);
        await ElectiveRulesFlow.RunAsync(http, password, output);
        await OneElectiveChoiceIsOneTraceAsync(platform, http, password, visible);
        await AReplicaKilledUnderLoadAsync(platform, http, password);
    }

    /// <summary>
    /// A teacher's elective choice, sent with a trace id of our own, reaches the dashboard as one trace: the gateway, the
    /// Enrollment replica that took it, the outbox dispatch after commit, and Mentoring consuming CourseEnrolled from
    /// RabbitMQ — read back from the dashboard's telemetry API, which serves what its trace pages show.
    /// </summary>
    private async Task OneElectiveChoiceIsOneTraceAsync(RunningPlatform platform, HttpClient http, string password, List<JsonElement> schoolTeachers)
    {
        var year = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).Year.ToString(CultureInfo.InvariantCulture);
        var herToken = await Gateway.SignInAsync(http, "371602198503120028", password);
        var herId = (await Gateway.GetAsync(http, "/api/directory/account", herToken)).GetProperty("teacherId").GetGuid();
        var wangLi = schoolTeachers.Single(t => t.GetProperty("id").GetGuid() == herId);
        var hers = await Gateway.GetAsync(http, $"/api/enrollment/years/{year}/me", herToken);
        // A colleague of the same stage chooses one of her electives: a course of a topic their school chose.
        var colleague = schoolTeachers.First(t => t.GetProperty("stage").GetString() == wangLi.GetProperty("stage").GetString()
                                                  && t.GetProperty("id").GetGuid() != herId);
        var token = await Gateway.SignInAsync(http,
            await Gateway.TeacherLoginAsync(http, colleague, await Gateway.SignInAsync(http, "school-371602001", password)), password);
        var course = hers.GetProperty("electiveCourses")[0].GetProperty("courseId").GetGuid();

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var choose = new HttpRequestMessage(HttpMethod.Post, $"/api/enrollment/years/{year}/electives") { Content = JsonContent.Create(new { courseId = course }) };
        choose.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        choose.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var chosen = await http.SendAsync(choose))
        {
            Assert.True(chosen.StatusCode == HttpStatusCode.Created, $"the elective choice answered {(int)chosen.StatusCode}: {await chosen.Content.ReadAsStringAsync()}");
        }

        var (_, telemetry) = await platform.DashboardAsync();
        using (telemetry)
        {
            // Spans arrive in batches (every few seconds from each process), the consumer's last.
            Dictionary<string, HashSet<string>> spans = [];
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline)
            {
                using var trace = await telemetry.GetAsync($"/api/telemetry/traces/{traceId}");
                spans = trace.IsSuccessStatusCode ? SpansByService(JsonDocument.Parse(await trace.Content.ReadAsStringAsync()).RootElement) : [];
                if (spans.ContainsKey("gateway") && spans.TryGetValue("enrollment", out var enrollment) && enrollment.Contains("outbox dispatch")
                    && spans.TryGetValue("mentoring", out var mentoring) && mentoring.Any(s => s.StartsWith("MassTransit:", StringComparison.Ordinal)))
                {
                    break;
                }
                await Task.Delay(1000);
            }

            output.WriteLine($"trace {traceId}: " + string.Join("; ", spans.Select(s => $"{s.Key}: {string.Join(", ", s.Value.Order())}")));
            Assert.True(spans.ContainsKey("gateway"), "the gateway's spans are not in the trace");
            Assert.Contains("outbox dispatch", spans.GetValueOrDefault("enrollment") ?? []);
            Assert.Contains(spans.GetValueOrDefault("mentoring") ?? [], s => s.StartsWith("MassTransit:", StringComparison.Ordinal));
        }
    }

    /// <summary>OTLP JSON (resourceSpans → scopeSpans → spans) as service name → its spans, each as "scope: span name" and "span name".</summary>
    private static Dictionary<string, HashSet<string>> SpansByService(JsonElement document)
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var root = document.TryGetProperty("data", out var data) ? data : document;
        if (!root.TryGetProperty("resourceSpans", out var resources))
        {
            return result;
        }

        foreach (var resource in resources.EnumerateArray())
        {
            var service = resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("key").GetString() == "service.name").GetProperty("value").GetProperty("stringValue").GetString() ?? "";
            var names = result.TryGetValue(service, out var known) ? known : result[service] = [];
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                var scopeName = scope.TryGetProperty("scope", out var s) && s.TryGetProperty("name", out var n) ? n.GetString() : "";
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    var name = span.GetProperty("name").GetString();
                    names.Add(name!);
                    names.Add($"{scopeName}: {name}");
                }
            }
        }

        return result;
    }

    /// <summary>
    /// kill -9 of one Enrollment replica while four schools keep reading their teachers' progress through the gateway:
    /// only the requests that replica had in flight may fail. Requests that cannot connect to it go to the other
    /// replica, and it is out of rotation at once.
    /// </summary>
    private async Task AReplicaKilledUnderLoadAsync(RunningPlatform platform, HttpClient http, string password)
    {
        const int Clients = 4;
        var year = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).Year.ToString(CultureInfo.InvariantCulture);
        // One school each: every caller has its own rate limit at the gateway, well above what one client sends.
        // (school-371602003 is locked by the sign-in flow above.)
        var schools = new List<string>();
        foreach (var school in new[] { "371602001", "371602002", "371602004", "371602005" })
        {
            schools.Add(await Gateway.SignInAsync(http, $"school-{school}", password));
        }
        // The pid the dashboard shows may be the `dotnet run` that started the service: kill the service itself.
        var launched = platform.ProcessIds().Single(p => p.Key.StartsWith("enrollment-2", StringComparison.Ordinal)).Value;
        var victim = ProcessTable.SelfAndDescendants(launched).Single(pid => ProcessTable.Snapshot()[pid].Command == "TrainingPlatfor");
        long succeeded = 0, succeededAfterKill = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var killed = false;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var clients = schools.Select(token => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await Gateway.SendAsync(http, HttpMethod.Get, $"/api/enrollment/years/{year}/teachers?pageSize=5", token);
                    if (!response.IsSuccessStatusCode)
                    {
                        failures.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                    }
                    else if (Interlocked.Increment(ref succeeded) > 0 && Volatile.Read(ref killed)
                             && Interlocked.Increment(ref succeededAfterKill) >= 400)
                    {
                        await stop.CancelAsync();
                    }
                }
                catch (HttpRequestException e)
                {
                    failures.Add(e.Message);
                }
            }
        })).ToList();

        await WaitForAsync(() => Interlocked.Read(ref succeeded) >= 200, TimeSpan.FromMinutes(1));
        Process.Start("kill", ["-9", victim.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        Volatile.Write(ref killed, true);
        await Task.WhenAll(clients);

        output.WriteLine($"replica killed under load: {succeeded} succeeded, {failures.Count} failed ({succeededAfterKill} succeeded after the kill)");
        Assert.True(succeededAfterKill >= 400, $"the surviving replica served only {succeededAfterKill} requests after the kill");
        Assert.True(failures.Count <= Clients,
            $"{failures.Count} requests failed ({string.Join(", ", failures.GroupBy(f => f).Select(g => $"{g.Key} ×{g.Count()}"))}); "
            + $"at most the {Clients} in flight at the kill may");
    }

    [Fact]
    public async Task The_run_command_prints_the_portal_and_the_dashboard_and_SIGTERM_leaves_no_process_behind()
    {
        var repository = TrainingPlatform.TestSupport.Repository.Root;
        var dataDirectory = Directory.CreateTempSubdirectory("trainingplatform-apphost-").FullName;
        // The servers run as the postgres and rabbitmq users, who must be able to enter it (as with .data/).
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
        var ports = FreePort.Allocate(2);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                "exec", Path.Combine(repository, "AppHost", "bin", Configuration, "net10.0", "TrainingPlatform.AppHost.dll"),
                "--gateway-port", ports[0].ToString(CultureInfo.InvariantCulture),
                "--dashboard-port", ports[1].ToString(CultureInfo.InvariantCulture),
                "--data-dir", dataDirectory,
            },
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Its own servers, not the ones the other test assemblies may have been given.
        start.Environment.Remove("ConnectionStrings__postgres");
        start.Environment.Remove("ConnectionStrings__messaging");

        var before = ProcessTable.Snapshot().Keys.ToHashSet();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var appHost = Process.Start(start)!;
        appHost.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        appHost.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        var started = new HashSet<int>();
        try
        {
            var clock = Stopwatch.StartNew();
            await WaitForAsync(() => log.Any(l => l.Contains("TrainingPlatform is ready", StringComparison.Ordinal)) || appHost.HasExited,
                TimeSpan.FromMinutes(8));
            Assert.False(appHost.HasExited, "the AppHost exited early:\n" + string.Join('\n', log.TakeLast(40)));
            Assert.Contains(log, l => l.Contains("TrainingPlatform is ready", StringComparison.Ordinal));
            output.WriteLine($"run command, cold start to ready: {clock.Elapsed.TotalSeconds:0.0} s");
            // Ours: the AppHost's descendants, and DCP's (it detaches from the AppHost), not whatever else the machine started.
            started.UnionWith(ProcessTable.Snapshot()
                .Where(p => !before.Contains(p.Key) && (p.Key == appHost.Id || p.Value.Command == "dcp"))
                .SelectMany(p => ProcessTable.SelfAndDescendants(p.Key)));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var gateway = log.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"gateway\): (http://\S+?)/ ")).First(m => m.Success).Groups[1].Value;
            using (var health = await http.GetAsync($"{gateway}/health"))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }
            using (var portal = await http.GetAsync($"{gateway}/"))
            {
                Assert.True(portal.IsSuccessStatusCode, $"the portal answered {(int)portal.StatusCode}");
            }

            // The printed sign-in link lets the browser into the dashboard (it sets the dashboard's cookie and redirects).
            var dashboard = log.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"(http://127\.0\.0\.1:\d+/login\?t=\w+)")).First(m => m.Success).Groups[1].Value;
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using var login = await browser.GetAsync(dashboard);
            Assert.True(login.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.OK,
                $"the dashboard's sign-in link answered {(int)login.StatusCode}");
            Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".Aspire.Dashboard.Auth", StringComparison.Ordinal));

            // comm is cut at 15 characters: the seven .NET projects all read "TrainingPlatfor".
            var commands = ProcessTable.Snapshot().Where(p => started.Contains(p.Key)).Select(p => p.Value.Command).ToList();
            Assert.Subset(commands.ToHashSet(), new HashSet<string> { "postgres", "beam.smp", "epmd", "dcp", "TrainingPlatfor" });
            Assert.True(commands.Count(c => c == "TrainingPlatfor") >= 7, "expected five services, the portal and the gateway: " + string.Join(", ", commands));
        }
        finally
        {
            if (!appHost.HasExited)
            {
                Process.Start("kill", ["-15", appHost.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                await appHost.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token);
            }
        }

        Assert.Equal(0, appHost.ExitCode);
        // Generous: DCP stops the servers and projects one by one, and on a loaded two-core machine (a CI run beside
        // other builds) that took over a minute; only a process still there after three minutes is left behind.
        await WaitForAsync(() => started.All(pid => !ProcessTable.IsAlive(pid)), TimeSpan.FromSeconds(180));
        var left = ProcessTable.Snapshot().Where(p => started.Contains(p.Key) && ProcessTable.IsAlive(p.Key)).Select(p => $"{p.Key} {p.Value.Command}").ToList();
        Assert.True(left.Count == 0, "left running after SIGTERM: " + string.Join(", ", left));
        Directory.Delete(dataDirectory, recursive: true);
    }

    /// <summary>Issue 3's rules, end to end through the gateway with tokens Directory really signed.</summary>
    private static async Task ThroughTheGatewayAsync(HttpClient http, string demoPassword)
    {
        // The operator creates a school admin; the first sign-in token allows nothing but the password change.
        var operatorToken = await Gateway.SignInAsync(http, "operator", demoPassword);
        var login = $"admin{Guid.NewGuid():N}"[..16];
        using var created = await Gateway.SendAsync(http, HttpMethod.Post, "/api/directory/accounts", operatorToken,
            new { login, displayName = "教导处", role = "school_admin", organisationCode = "371602002" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var initial = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("initialPassword").GetString()!;
        var limited = await Gateway.SignInAsync(http, login, initial);
        using (var refused = await Gateway.SendAsync(http, HttpMethod.Get, "/api/directory/teachers", limited))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var changed = await Gateway.SendAsync(http, HttpMethod.Put, "/api/directory/account/password", limited,
                   new { currentPassword = initial, newPassword = "Spring-2026-ok" }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }
        var full = await Gateway.SignInAsync(http, login, "Spring-2026-ok");
        using (var allowed = await Gateway.SendAsync(http, HttpMethod.Get, "/api/directory/teachers", full))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        // A teacher reads their own record but not a colleague's.
        var teacherToken = await Gateway.SignInAsync(http, "371602198503120028", demoPassword);
        var schoolAdminToken = await Gateway.SignInAsync(http, "school-371602001", demoPassword);
        using var list = await Gateway.SendAsync(http, HttpMethod.Get, "/api/directory/teachers", schoolAdminToken);
        var colleagues = (await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        // The list shows ID numbers masked: the teacher's own id comes from her account.
        var me = (await Gateway.GetAsync(http, "/api/directory/account", teacherToken)).GetProperty("teacherId").GetString();
        var colleague = colleagues.First(t => t.GetProperty("id").GetString() != me).GetProperty("id").GetString();
        using (var mine = await Gateway.SendAsync(http, HttpMethod.Get, $"/api/directory/teachers/{me}", teacherToken))
        {
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }
        using (var theirs = await Gateway.SendAsync(http, HttpMethod.Get, $"/api/directory/teachers/{colleague}", teacherToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        }

        // Five wrong passwords in a row lock the account, even against the right one.
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await http.PostAsJsonAsync("/api/directory/sign-in", new { login = "school-371602003", password = "wrong-1" });
        }
        using var locked = await http.PostAsJsonAsync("/api/directory/sign-in", new { login = "school-371602003", password = demoPassword });
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
    }
}
