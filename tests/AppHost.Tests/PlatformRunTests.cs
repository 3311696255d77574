using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.AppHost.Tests;

/// <summary>
/// The README's run command, end to end: the AppHost starts its own PostgreSQL and RabbitMQ, the five services (two
/// Enrollment replicas) and the gateway; the gateway reports all five healthy; a demo account signs in through it; and SIGTERM (what Ctrl+C
/// does for a terminal) leaves no process behind.
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
    public async Task The_AppHost_brings_up_the_whole_platform_and_stops_every_process_it_started()
    {
        var repository = TrainingPlatform.TestSupport.Repository.Root;
        var dataDirectory = Directory.CreateTempSubdirectory("trainingplatform-apphost-").FullName;
        // The servers run as the postgres and rabbitmq users, who must be able to enter it (as with .data/).
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
        var gatewayPort = TrainingPlatform.AppHost.Infrastructure.FreePort.Next();
        var gateway = $"http://127.0.0.1:{gatewayPort}";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "exec", Path.Combine(repository, "AppHost", "bin", Configuration, "net10.0", "TrainingPlatform.AppHost.dll"),
                             "--gateway-port", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDirectory,
                             "--replicas", "enrollment=2" },
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Its own servers, not the ones the other test assemblies may have been given.
        start.Environment.Remove("ConnectionStrings__postgres");
        start.Environment.Remove("ConnectionStrings__messaging");
        start.Environment["NO_COLOR"] = "1";

        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var appHost = Process.Start(start)!;
        appHost.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        appHost.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        var descendants = new HashSet<int>();
        try
        {
            var clock = Stopwatch.StartNew();
            await WaitForAsync(() => log.Any(l => l.Contains("TrainingPlatform is ready", StringComparison.Ordinal)) || appHost.HasExited,
                TimeSpan.FromMinutes(6)); // a loaded 2-core machine: waves of services, then the demo province and catalogue
            Assert.False(appHost.HasExited, "the AppHost exited early:\n" + string.Join('\n', log.TakeLast(40)));
            output.WriteLine($"cold start to ready: {clock.Elapsed.TotalSeconds:0.0} s");
            descendants.UnionWith(DescendantsOf(appHost.Id));

            using var http = new HttpClient { BaseAddress = new Uri(gateway) };
            using var health = await http.GetAsync("/health");
            var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            foreach (var service in new[] { "directory", "catalog", "enrollment", "credits", "mentoring" })
            {
                Assert.Equal("Healthy", report.GetProperty("services").GetProperty(service).GetProperty("status").GetString());
            }
            var enrollmentReplicas = report.GetProperty("services").GetProperty("enrollment").GetProperty("destinations");
            Assert.Equal(["Healthy", "Healthy"], enrollmentReplicas.EnumerateObject().Select(d => d.Value.GetString()));

            var password = File.ReadAllText(Path.Combine(dataDirectory, "demo-credentials")).Trim();
            using var signIn = await http.PostAsJsonAsync("/api/directory/sign-in", new { login = "school-371602001", password });
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/directory/teachers");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var teachers = await http.SendAsync(request);
            var visible = (await teachers.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
            // The demo school's forty teachers, and no one else's.
            Assert.Equal(40, visible.Count);
            Assert.All(visible, t => Assert.Equal("371602001", t.GetProperty("schoolCode").GetString()));
            Assert.Contains(visible, t => t.GetProperty("name").GetString() == "王丽");

            await ThroughTheGatewayAsync(http, password);
            await ProgramYearFlow.RunAsync(http, password, output);
            await ElectiveRulesFlow.RunAsync(http, password, output);

            descendants.UnionWith(DescendantsOf(appHost.Id));
            Assert.True(descendants.Count >= 9, $"expected postgres, rabbitmq, epmd, six service processes and the gateway; saw {descendants.Count}");
        }
        finally
        {
            if (!appHost.HasExited)
            {
                Kill(appHost.Id, signal: 15);
                await appHost.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            }
        }

        Assert.Equal(0, appHost.ExitCode);
        await WaitForAsync(() => descendants.All(pid => !IsAlive(pid)), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(descendants, IsAlive);
        Assert.Contains(log, l => l.Contains("all stopped", StringComparison.Ordinal));
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
        var me = colleagues.Single(t => t.GetProperty("nationalId").GetString() == "371602198503120028").GetProperty("id").GetString();
        var colleague = colleagues.First(t => t.GetProperty("nationalId").GetString() != "371602198503120028").GetProperty("id").GetString();
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

    /// <summary>Every live process below <paramref name="root"/>, from /proc (ppid is field 4 of /proc/PID/stat).</summary>
    private static IEnumerable<int> DescendantsOf(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // exited while we looked
                }
            }
        }
        var found = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                frontier.Enqueue(child);
            }
        }
        return found;
    }

    /// <summary>Alive and not a zombie waiting to be reaped.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Kill(int pid, int signal) => Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
    }
}
