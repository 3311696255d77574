// Catalog search benchmark (the Catalog issue: "search and browse … fast and relevant on a catalogue of 20,000
// courses"). A private PostgreSQL and RabbitMQ, the catalogue generated and written through the Catalog's own stores,
// then the real Catalog service on Kestrel and concurrent clients searching it over HTTP for a fixed time: Chinese
// words, single characters, Latin, filters, text with filters, topics and page 5. Prints throughput, latency
// percentiles per kind of search, the search index's size, and a few queries' totals and first titles.
//
//   dotnet run -c Release --project benchmarks/CatalogSearch [-- seconds=30 clients=16 courses=20000]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrainingPlatform.AppHost.Infrastructure;
using TrainingPlatform.Benchmarks.CatalogSearch;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.TestSupport;

var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var courses = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;

// The service's bus would otherwise report anonymous usage to MassTransit's servers during the run.
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
Console.WriteLine($"catalog search benchmark: {courses:N0} courses, {clients} clients for {seconds} s, {Environment.ProcessorCount} cores");
var root = Directory.CreateTempSubdirectory("trainingplatform-bench-").FullName;
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // the servers run as the postgres and rabbitmq users
}
try
{
    await RunAsync(root, seconds, clients, courses);
}
finally
{
    Directory.Delete(root, recursive: true);
}
return 0;

static async Task RunAsync(string root, int seconds, int clients, int courses)
{
    var postgresStarting = LocalPostgres.StartAsync(new LocalPostgresOptions { DataDirectory = Path.Combine(root, "pg") }, NullLogSink.Instance);
    var rabbitStarting = LocalRabbitMq.StartAsync(new LocalRabbitMqOptions { DataDirectory = Path.Combine(root, "rabbitmq") }, NullLogSink.Instance);
    await using var postgres = await postgresStarting;
    await using var rabbit = await rabbitStarting;
    await postgres.EnsureDatabaseAsync(CatalogApi.DatabaseName);
    var connectionString = postgres.ConnectionStringFor(CatalogApi.DatabaseName);
    await new DatabaseMigrations(connectionString, typeof(CatalogApi).Assembly).RunAsync(NullLogger.Instance, CancellationToken.None);
    DapperSetup.ConfigureOnce();

    IReadOnlyList<Guid> topics;
    await using (var db = new NpgsqlDataSourceBuilder(connectionString).Build())
    {
        var seeding = Stopwatch.StartNew();
        topics = await CatalogueSeeder.SeedAsync(db, courses, CancellationToken.None);
        Console.WriteLine($"seeded through CourseStore (draft + publish, {courses / seeding.Elapsed.TotalSeconds:N0} courses/s) and {topics.Count} topics " +
                          $"in {seeding.Elapsed.TotalSeconds:0.0} s");
        await using var connection = await db.OpenConnectionAsync();
        var (index, table, total) = await connection.QuerySingleAsync<(long, long, long)>("""
            select pg_relation_size('ix_courses_search'), pg_table_size('courses'), (select count(*) from courses where status = 'published')
            """);
        Console.WriteLine($"database: {total:N0} published courses; ix_courses_search {index / 1048576.0:0.0} MB; courses table with TOAST {table / 1048576.0:0.0} MB");
    }

    var tokens = new TestTokens();
    var port = FreePort.Next();
    await using var catalog = new CatalogService(new Dictionary<string, string?>
    {
        [$"ConnectionStrings:{CatalogApi.DatabaseName}"] = connectionString,
        ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
        ["Authentication:Jwt:SigningKeys"] = tokens.Jwks,
        ["Logging:LogLevel:Default"] = "Warning",
        // The readiness poll below asks before the bus has started; that is expected, not worth a logged error.
        ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None",
    });
    catalog.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
    // The factory finds the service's content root through the manifest the build puts beside this program, looked up
    // in the current directory.
    Directory.SetCurrentDirectory(AppContext.BaseDirectory);
    catalog.StartServer();

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, UseProxy = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
    };
    await WaitUntilReadyAsync(http, connectionString);
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
        tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object> { ["teacher"] = Guid.NewGuid().ToString() }, lifetime: TimeSpan.FromHours(1)));

    Console.WriteLine("sample searches (total, first three titles):");
    foreach (var (label, query) in new[]
             {
                 ("q=班级管理", SearchLoad.Q("班级管理")), ("q=心理健康", SearchLoad.Q("心理健康")), ("q=微课", SearchLoad.Q("微课")),
                 ("q=整本书阅读", SearchLoad.Q("整本书阅读")), ("q=PPT", SearchLoad.Q("PPT")), ("q=课", SearchLoad.Q("课")),
                 ("q=数学&stage=primary", SearchLoad.Q("数学") + "&stage=primary"),
                 ("stage=junior&category=law", "stage=junior&category=law"), ("topic=T01 (班级管理)", $"topic={topics[0]}"),
             })
    {
        await SearchLoad.PrintSampleAsync(http, label, query);
    }

    var kinds = SearchLoad.Kinds(topics);
    await SearchLoad.RunAsync(http, kinds, clients, TimeSpan.FromSeconds(5)); // warm-up: JIT, pools, PostgreSQL's caches
    var (ownBefore, postgresBefore) = (CpuTime.OfThisProcess(), CpuTime.OfTree(postgres.Process.Id));
    var (results, elapsed) = await SearchLoad.RunAsync(http, kinds, clients, TimeSpan.FromSeconds(seconds));
    var (own, inPostgres) = (CpuTime.OfThisProcess() - ownBefore, CpuTime.OfTree(postgres.Process.Id) - postgresBefore);
    Console.WriteLine($"load: {clients} concurrent clients, each taking the kinds in turn");
    SearchLoad.Print(results, elapsed);
    var searches = results.Sum(r => r.Milliseconds.Length + r.Failures);
    Console.WriteLine($"  CPU per search: PostgreSQL {inPostgres.TotalMilliseconds / searches:0.0} ms, Catalog service + clients " +
                      $"{own.TotalMilliseconds / searches:0.0} ms; the machine's load average meanwhile {LoadAverage()}");
}

// Others' work on the machine slows every figure above; the 1-minute load average says how busy it was.
static string LoadAverage() =>
    OperatingSystem.IsLinux() ? File.ReadAllText("/proc/loadavg").Split(' ')[0] + $" on {Environment.ProcessorCount} cores" : "unknown";

// Healthy (migrated, broker connected), and the seed's outbox published, so dispatching is not part of what is measured.
static async Task WaitUntilReadyAsync(HttpClient http, string connectionString)
{
    var clock = Stopwatch.StartNew();
    await using var connection = new NpgsqlConnection(connectionString);
    while (true)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(5))
        {
            throw new TimeoutException("the Catalog service did not become ready and publish its outbox within 5 minutes");
        }
        var healthy = false;
        try
        {
            using var health = await http.GetAsync("/health");
            healthy = health.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
        }
        if (healthy && await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages where sent_at is null") == 0)
        {
            Console.WriteLine($"catalog service ready on Kestrel, seed's outbox published, after {clock.Elapsed.TotalSeconds:0.0} s");
            return;
        }
        await Task.Delay(250);
    }
}

/// <summary>The real Catalog service, its Program and all, on Kestrel rather than the in-memory test server.</summary>
internal sealed class CatalogService(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<CatalogApi>
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
