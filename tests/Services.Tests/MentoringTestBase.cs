using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A Mentoring service of its own for each test (fresh database on the real test servers). The organisation tree is
/// seeded into its copy directly: city 3716 → county 371602 → schools S1, S2; county 371603 → S4; city 3704 →
/// county 370402 → S3. Years and teachers arrive as Catalog's and Directory's events through the real broker, which
/// hands every test's teachers to every test's service: each test has its own province (ids and paths), so another
/// test's teachers are never in its schools or its scopes.
/// </summary>
public abstract class MentoringTestBase : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();

    protected ServiceFactory<MentoringApi> Mentoring { get; private set; } = null!;

    protected static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    private static readonly Dictionary<string, (string Kind, string Path)> Tree = new()
    {
        ["37"] = ("province", ""), ["3716"] = ("city", "/3716"), ["371602"] = ("county", "/3716/371602"),
        ["S1"] = ("school", "/3716/371602/S1"), ["S2"] = ("school", "/3716/371602/S2"), ["371603"] = ("county", "/3716/371603"),
        ["S4"] = ("school", "/3716/371603/S4"), ["3704"] = ("city", "/3704"), ["370402"] = ("county", "/3704/370402"),
        ["S3"] = ("school", "/3704/370402/S3"),
    };

    private readonly string _province = "37" + Guid.NewGuid().ToString("N")[..8];

    private int _teachersPublished;

    public virtual async Task InitializeAsync()
    {
        Mentoring = await ServiceFactory<MentoringApi>.CreateAsync(await TestServers.GetAsync(), Tokens, MentoringApi.DatabaseName, Settings);
        await using var connection = await Db.OpenConnectionAsync();
        foreach (var (code, (kind, _)) in Tree)
        {
            await connection.ExecuteAsync("""
                insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
                values (@Id, @Code, @Name, @Kind, null, @Path, '{primary}', now())
                """, new { Id = OrganisationId(code), Code = code, Name = code + "校", Kind = kind, Path = PathOf(code) });
        }
    }

    /// <summary>Settings of the service under test (small groups keep the tests small).</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public virtual async Task DisposeAsync() => await Mentoring.DisposeAsync();

    protected NpgsqlDataSource Db => Mentoring.Services.GetRequiredService<NpgsqlDataSource>();

    protected Guid OrganisationId(string code) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(_province + code)));

    protected string PathOf(string code) => _province + Tree[code].Path;

    protected HttpClient Operator => As(Tokens.Issue(Roles.PlatformOperator, claims: new Dictionary<string, object> { ["name"] = "运营" }));

    protected HttpClient SchoolAdmin(string school) => As(Tokens.Issue(Roles.SchoolAdmin, claims: Scope(school)));

    protected HttpClient DistrictAdmin(string code) => As(Tokens.Issue(Roles.DistrictAdmin, claims: Scope(code)));

    protected HttpClient Teacher(Guid teacherId, string school = "S1") =>
        As(Tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>(Scope(school)) { ["teacher"] = teacherId.ToString() }));

    private Dictionary<string, object> Scope(string code) =>
        new() { ["org"] = OrganisationId(code).ToString(), ["org_path"] = PathOf(code), ["name"] = code + "管理员" };

    private HttpClient As(string token)
    {
        var client = Mentoring.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A program year whose group lists are due <paramref name="groupListsDue"/> days from today; returns its id.</summary>
    protected async Task<Guid> YearAsync(string code, int groupListsDue = 5)
    {
        var id = Guid.NewGuid();
        await Mentoring.Services.GetRequiredService<IBus>().Publish(new ProgramYearScheduled(id, code, $"{code}年度工程", 36, 14,
            new ProgramYearWindows(Today.AddDays(groupListsDue), Today.AddDays(-3), Today.AddDays(3), Today.AddDays(4), Today.AddDays(20),
                Today.AddDays(100), Today.AddDays(160)), 1, DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<bool>("select exists (select 1 from program_years where code = @Code)", new { Code = code });
        }, TimeSpan.FromSeconds(90), $"year {code} to reach mentoring");
        return id;
    }

    /// <summary>Publishes a teacher's profile as Directory would; <see cref="TeachersArrivedAsync"/> waits for all of them.</summary>
    protected async Task<Guid> TeacherAsync(string school, string subject, DateOnly hired, string tier = Tiers.Rising, string? name = null,
        string stage = Stages.Primary, bool inPost = true)
    {
        var id = Guid.NewGuid();
        _teachersPublished++;
        await Mentoring.Services.GetRequiredService<IBus>().Publish(new TeacherProfileChanged(id, 1, "371602199001010011",
            name ?? $"{subject}教师{_teachersPublished:000}", new DateOnly(1990, 1, 1), "female", OrganisationId(school), PathOf(school), stage, subject,
            hired, true, false, null, tier, inPost, TeacherChanges.Registered, DateTimeOffset.UtcNow));
        return id;
    }

    protected async Task TeachersArrivedAsync()
    {
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>("select count(*) from teachers where school_path like @Mine",
                new { Mine = _province + "/%" }) == _teachersPublished;
        }, TimeSpan.FromSeconds(60), $"{_teachersPublished} teachers to reach mentoring");
    }

    protected static async Task<JsonElement> SendOk(HttpClient client, HttpMethod method, string path, object? body = null,
        HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Counts after chaining pending audit records, so a count of the trail sees what the auditor would.</summary>
    protected async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await AuditRows.SealAsync(Mentoring.Services);
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }
}
