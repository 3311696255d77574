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
/// errors as problem details, bodies matching their schemas.
/// The requests come from CsCheck with a fixed seed (<see cref="Seed"/>; <c>CONTRACT_TEST_SEED</c> tries another),
/// so a CI run and a local one send the same requests.
/// </summary>
public sealed class ContractTests(ITestOutputHelper output, ContractTotals totals) : IClassFixture<ContractTotals>
{
    public const ulong Seed = 0x1900_C0_FFEE;

    /// <summary>The teacher's school: a real-looking scope, so scope checks run rather than failing on an empty path.</summary>
    private const string TeacherSchool = "37/3716/371602/S1";

    private static readonly Guid TeacherId = Guid.Parse("3b0a19a2-5c1e-4f7e-9d2b-19c0ffee0019");

    public static TheoryData<string> Services => new() { "directory", "catalog", "enrollment", "credits", "mentoring" };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_operation_answers_as_the_services_own_document_says(string service)
    {
        var tokens = new TestTokens();
        await using var host = await StartAsync(service, tokens);
        using var documentClient = host.CreateClient();
        var document = new ApiDocument(await documentClient.GetStringAsync("/openapi/v1.json"));
        Assert.NotEmpty(document.Operations);

        Caller[] callers =
        [
            new("operator", tokens.For(Roles.PlatformOperator)),
            new("teacher", tokens.For(Roles.Teacher, TeacherSchool, TeacherId)),
            new("anonymous", null),
        ];
        var run = new ContractRun(service, document, host.CreateClient, callers, ChosenSeed());
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

    private static async Task<IServiceUnderTest> StartAsync(string service, TestTokens tokens)
    {
        var servers = await TestServers.GetAsync();
        // No demo data (a fixed starting point), and no logs: thousands of refused requests would bury the report,
        // and each finding carries the first line of what the service answered.
        var settings = new Dictionary<string, string?> { ["Demo:Seed"] = "false" };
        static void Quiet(IServiceCollection services) => services.AddLogging(logging => logging.ClearProviders());
        return service switch
        {
            "directory" => await ServiceFactory<DirectoryApi>.CreateAsync(servers, tokens, DirectoryApi.DatabaseName, settings, Quiet),
            "catalog" => await ServiceFactory<CatalogApi>.CreateAsync(servers, tokens, CatalogApi.DatabaseName, settings, Quiet),
            "enrollment" => await ServiceFactory<EnrollmentApi>.CreateAsync(servers, tokens, EnrollmentApi.DatabaseName, settings, Quiet),
            "credits" => await ServiceFactory<CreditsApi>.CreateAsync(servers, tokens, CreditsApi.DatabaseName, settings, Quiet),
            "mentoring" => await ServiceFactory<MentoringApi>.CreateAsync(servers, tokens, MentoringApi.DatabaseName, settings, Quiet),
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
