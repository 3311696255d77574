// Sign-in load run (issue 3): concurrent clients signing in through the gateway for a fixed time, then the
// throughput and latency percentiles. Bounded in time and aimed at a loopback gateway only.
//
//   scripts/run.sh   (in another terminal), then:
//   dotnet run -c Release --project benchmarks/SignInLoad -- [gateway=http://127.0.0.1:8080] [seconds=20] [clients=32]
//   (password from .data/demo-credentials; each client signs in as a different demo school admin)
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

var gateway = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:8080");
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
if (!gateway.IsLoopback)
{
    Console.Error.WriteLine("This load run only targets a gateway on this machine (loopback).");
    return 2;
}
var password = File.ReadAllText(Path.Combine(FindRepositoryRoot(), ".data", "demo-credentials")).Trim();
var schools = new[] { "371602", "371603", "371621", "370402", "370481" }
    .SelectMany(county => Enumerable.Range(1, 10).Select(i => $"school-{county}{i:000}")).ToArray();

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = gateway };
var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
var failures = 0;
var statusCounts = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
{
    var login = schools[client % schools.Length];
    while (!stop.IsCancellationRequested)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsJsonAsync("/api/directory/sign-in", new { login, password }, CancellationToken.None);
            statusCounts.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            if (response.IsSuccessStatusCode)
            {
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            else
            {
                Interlocked.Increment(ref failures);
            }
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref failures);
        }
    }
}));
clock.Stop();

var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
Console.WriteLine($"sign-in through {gateway}: {clients} clients for {clock.Elapsed.TotalSeconds:0.0} s");
Console.WriteLine($"  {sorted.Length:N0} successful sign-ins = {sorted.Length / clock.Elapsed.TotalSeconds:0.0} per second; {failures} failed " +
                  $"(status codes: {string.Join(", ", statusCounts.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))})");
Console.WriteLine($"  latency ms: p50 {Percentile(0.50):0.0}, p95 {Percentile(0.95):0.0}, p99 {Percentile(0.99):0.0}, max {(sorted.Length > 0 ? sorted[^1] : double.NaN):0.0}");
return 0;

static string FindRepositoryRoot()
{
    var directory = new DirectoryInfo(AppContext.BaseDirectory);
    while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "TrainingPlatform.sln")))
    {
        directory = directory.Parent;
    }
    return directory?.FullName ?? Directory.GetCurrentDirectory();
}
