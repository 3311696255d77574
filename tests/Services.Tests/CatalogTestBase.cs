using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A Catalog service of its own for each test (fresh database on the real test servers), with a small
/// organisation tree in its local copy: city 3716 → county 371602 → two primary schools and a kindergarten; and
/// county 370402 of another city with one school.
/// </summary>
public abstract class CatalogTestBase : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();

    protected ServiceFactory<CatalogApi> Catalog { get; private set; } = null!;

    protected static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    public virtual async Task InitializeAsync()
    {
        Catalog = await ServiceFactory<CatalogApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CatalogApi.DatabaseName);
        await using var connection = await Db.OpenConnectionAsync();
        foreach (var (code, kind, path, stages) in new (string, string, string, string[])[]
                 {
                     ("37", "province", "37", []), ("3716", "city", "37/3716", []), ("371602", "county", "37/3716/371602", []),
                     ("S1", "school", "37/3716/371602/S1", ["primary"]), ("S2", "school", "37/3716/371602/S2", ["primary", "junior"]),
                     ("K1", "school", "37/3716/371602/K1", ["kindergarten"]),
                     ("3704", "city", "37/3704", []), ("370402", "county", "37/3704/370402", []), ("S3", "school", "37/3704/370402/S3", ["junior"]),
                 })
        {
            await connection.ExecuteAsync("""
                insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
                values (@Id, @Code, @Code, @Kind, null, @Path, @Stages, now())
                """, new { Id = OrganisationId(code), Code = code, Kind = kind, Path = path, Stages = stages });
        }
    }

    public virtual async Task DisposeAsync() => await Catalog.DisposeAsync();

    protected NpgsqlDataSource Db => Catalog.Services.GetRequiredService<NpgsqlDataSource>();

    protected static Guid OrganisationId(string code) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(code)));

    protected HttpClient Operator => As(Tokens.Issue(Roles.PlatformOperator, claims: new Dictionary<string, object> { ["name"] = "运营" }));

    protected HttpClient SchoolAdmin(string school) => As(Tokens.Issue(Roles.SchoolAdmin, claims: Scope(school)));

    protected HttpClient DistrictAdmin(string code) => As(Tokens.Issue(Roles.DistrictAdmin, claims: Scope(code)));

    protected HttpClient Teacher(string school, Guid? teacherId = null) =>
        As(Tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>(Scope(school)) { ["teacher"] = (teacherId ?? Guid.NewGuid()).ToString() }));

    private static Dictionary<string, object> Scope(string code)
    {
        var paths = new Dictionary<string, string>
        {
            ["3716"] = "37/3716", ["371602"] = "37/3716/371602", ["S1"] = "37/3716/371602/S1", ["S2"] = "37/3716/371602/S2",
            ["K1"] = "37/3716/371602/K1", ["S3"] = "37/3704/370402/S3", ["3704"] = "37/3704",
        };
        return new Dictionary<string, object> { ["org"] = OrganisationId(code).ToString(), ["org_path"] = paths[code] };
    }

    private HttpClient As(string token)
    {
        var client = Catalog.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
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

    protected static Task<JsonElement> Problem(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected) =>
        SendOk(client, method, path, body, expected);

    protected async Task<long> OutboxCountAsync(string messageType)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from outbox_messages where message_type like @Type",
            new { Type = "%" + messageType + "%" });
    }

    /// <summary>A program year whose windows are placed around today by the given offsets (days).</summary>
    protected static object YearBody(string code, int topicOpens = -3, int topicCloses = 3, int courseOpens = -2, int studyStarts = 10) => new
    {
        code,
        name = $"{code}年“互联网+教师专业发展”工程",
        minAnnualHours = 36,
        minElectiveHours = 14,
        windows = new
        {
            groupListsDue = Today.AddDays(Math.Min(topicOpens, 0) - 1),
            topicSelectionOpens = Today.AddDays(topicOpens),
            topicSelectionCloses = Today.AddDays(topicCloses),
            courseSelectionOpens = Today.AddDays(courseOpens),
            studyStarts = Today.AddDays(studyStarts),
            requiredStudyEnds = Today.AddDays(studyStarts + 90),
            creditRegistrationCloses = Today.AddDays(studyStarts + 150),
        },
    };

    protected static object CourseBody(string code, string title, decimal hours = 4, string[]? stages = null, string summary = "课程简介",
        string category = "subject") => new
        {
            code,
            title,
            summary,
            hours,
            category,
            mode = "online",
            level = "provincial",
            stages = stages ?? ["primary", "junior"],
            subjects = Array.Empty<string>(),
        };

    /// <summary>Creates and publishes a course; returns its id.</summary>
    protected async Task<Guid> PublishedCourseAsync(string code, string title, decimal hours = 4, string[]? stages = null, string summary = "课程简介")
    {
        var draft = await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", CourseBody(code, title, hours, stages, summary), HttpStatusCode.Created);
        var id = draft.GetProperty("id").GetGuid();
        await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/publish");
        return id;
    }
}
