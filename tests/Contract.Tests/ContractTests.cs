using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Mentoring;
using TrainingPlatform.Services.Tests;
using TrainingPlatform.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace TrainingPlatform.Contract.Tests;

/// <summary>
/// Each service, started in-process on this assembly's own PostgreSQL and RabbitMQ, is called by what its own
/// <c>/openapi/v1.json</c> describes — valid, boundary and malformed requests for every operation, as a platform
/// operator, a teacher and anonymous — and must answer as the document says: no 5xx, only documented statuses,
/// errors as problem details, bodies matching their schemas, and no 2xx to a request that breaks the documented request schema.
/// Before the run the service learns a small world from Directory's and Catalog's messages (<see cref="SeedWorld"/>),
/// so the teacher exists and real codes are at hand.
/// The requests come from CsCheck with a fixed seed (<see cref="Seed"/>; <c>CONTRACT_TEST_SEED</c> tries another),
/// so a CI run and a local one send the same requests.
/// </summary>
public sealed class ContractTests(ITestOutputHelper output, ContractTotals totals) : IClassFixture<ContractTotals>
{
    public const ulong Seed = 0x1900_C0_FFEE;

    public static TheoryData<string> Services => new() { "directory", "catalog", "enrollment", "credits", "mentoring" };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_operation_answers_as_the_services_own_document_says(string service)
    {
        var tokens = new TestTokens();
        var (started, assembly) = await StartAsync(service, tokens);
        await using var host = started;
        await SeedWorld.PublishAsync(host, assembly);
        using var documentClient = host.CreateClient();
        var document = new ApiDocument(await documentClient.GetStringAsync("/openapi/v1.json"));
        Assert.NotEmpty(document.Operations);

        Caller[] callers =
        [
            new("operator", tokens.For(Roles.PlatformOperator)),
            new("teacher", tokens.For(Roles.Teacher, SeedWorld.SchoolPath, SeedWorld.TeacherId)),
            new("anonymous", null),
        ];
        var run = new ContractRun(service, document, host.CreateClient, callers, ChosenSeed());
        SeedWorld.Prime(run.Pool);
        await run.RunAsync();

        var report = ContractReport.Full(service, run);
        output.WriteLine(report);
        Console.WriteLine(report);
        totals.Add(service, run);
        Assert.True(run.Findings.Count == 0, ContractReport.Failure(service, run));
    }

    private static ulong ChosenSeed() =>
        Environment.GetEnvironmentVariable("CONTRACT_TEST_SEED") is { Length: > 0 } given
            ? ulong.Parse(given, CultureInfo.InvariantCulture)
            : Seed;

    private static async Task<(IServiceUnderTest Host, System.Reflection.Assembly Assembly)> StartAsync(string service, TestTokens tokens)
    {
        var servers = await TestServers.GetAsync();
        // No demo data (a fixed starting point), and no logs: thousands of refused requests would bury the report,
        // and each finding carries the first line of what the service answered.
        var settings = new Dictionary<string, string?> { ["Demo:Seed"] = "false" };
        static void Quiet(IServiceCollection services) => services.AddLogging(logging => logging.ClearProviders());
        return service switch
        {
            "directory" => (await ServiceFactory<DirectoryApi>.CreateAsync(servers, tokens, DirectoryApi.DatabaseName, settings, Quiet), typeof(DirectoryApi).Assembly),
            "catalog" => (await ServiceFactory<CatalogApi>.CreateAsync(servers, tokens, CatalogApi.DatabaseName, settings, Quiet), typeof(CatalogApi).Assembly),
            "enrollment" => (await ServiceFactory<EnrollmentApi>.CreateAsync(servers, tokens, EnrollmentApi.DatabaseName, settings, Quiet), typeof(EnrollmentApi).Assembly),
            "credits" => (await ServiceFactory<CreditsApi>.CreateAsync(servers, tokens, CreditsApi.DatabaseName, settings, Quiet), typeof(CreditsApi).Assembly),
            "mentoring" => (await ServiceFactory<MentoringApi>.CreateAsync(servers, tokens, MentoringApi.DatabaseName, settings, Quiet), typeof(MentoringApi).Assembly),
            _ => throw new ArgumentOutOfRangeException(nameof(service)),
        };
    }
}

/// <summary>The whole run's figures, printed once all five services have been tried.</summary>
public sealed class ContractTotals : IDisposable
{
    private readonly List<(string Service, int Operations, int Requests, int Findings, TimeSpan Elapsed)> _runs = [];

    public void Add(string service, ContractRun run)
    {
        lock (_runs)
        {
            _runs.Add((service, run.Tallies.Count, run.Requests, run.Findings.Count, run.Elapsed));
        }
    }

    public void Dispose()
    {
        if (_runs.Count == 0)
        {
            return;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Contract test total: {_runs.Sum(r => r.Operations)} operations, {_runs.Sum(r => r.Requests)} requests, {_runs.Sum(r => r.Findings)} findings — {string.Join("; ", _runs.Select(r => $"{r.Service} {r.Operations} ops / {r.Requests} requests / {r.Findings} findings / {r.Elapsed.TotalSeconds:0} s"))}"));
    }
}
