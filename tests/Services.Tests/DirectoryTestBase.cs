using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// A Directory service of its own for each test (a fresh database on the real test servers), with the helpers the
/// Directory tests share.
/// </summary>
public abstract class DirectoryTestBase : IAsyncLifetime
{
    protected TestTokens Tokens { get; } = new();

    protected ServiceFactory<DirectoryApi> DirectoryService { get; private set; } = null!;

    /// <summary>Extra configuration for the service under test.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    public virtual async Task InitializeAsync() =>
        DirectoryService = await ServiceFactory<DirectoryApi>.CreateAsync(await TestServers.GetAsync(), Tokens, DirectoryApi.DatabaseName, Settings);

    public virtual async Task DisposeAsync() => await DirectoryService.DisposeAsync();

    protected HttpClient ClientWith(string token)
    {
        var client = DirectoryService.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Counts after chaining pending audit records, so a count of the trail sees what the auditor would.</summary>
    protected async Task<long> CountAsync(string sql)
    {
        await AuditRows.SealAsync(DirectoryService.Services);
        await using var connection = await DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    /// <summary>POSTs and insists on 201 Created (showing the problem otherwise); returns the body.</summary>
    protected static async Task<JsonElement> PostOk(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Uploads a sheet to /api/directory/imports/{kind} and waits for the job to finish; returns the job.</summary>
    protected static async Task<JsonElement> ImportAndWaitAsync(HttpClient client, string kind, byte[] content, string fileName)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(content), "file", fileName } };
        using var accepted = await client.PostAsync($"/api/directory/imports/{kind}", form);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();

        JsonElement job = default;
        await Eventually.HoldsAsync(async () =>
        {
            job = await client.GetFromJsonAsync<JsonElement>(location);
            return job.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(90), "the import job to finish");
        return job;
    }

    private const string TeachersHeader = "身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任,职称,发展层级";

    /// <summary>A teachers sheet as a bureau sends it: the Chinese header row, then these rows, UTF-8 CSV.</summary>
    protected static byte[] TeachersCsv(params string[] rows) => Encoding.UTF8.GetBytes(string.Join("\r\n", [TeachersHeader, .. rows]));

    /// <summary>A province, city, county and primary school of their own, created by an operator; returns the school's code.</summary>
    protected async Task<string> CreatePrimarySchoolAsync()
    {
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var (province, city, county, school) = (Unique("P"), Unique("C"), Unique("X"), Unique("S"));
        await PostOk(operatorClient, "/api/directory/organisations", new { code = province, name = "省", kind = "province" });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = city, name = "市", kind = "city", parentCode = province });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = county, name = "县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = school, name = "一小", kind = "school", parentCode = county, stages = new[] { "primary" } });
        return school;
    }

    /// <summary>Imports one primary-school teacher into a school of their own, so their account has no password yet.</summary>
    protected async Task ImportTeacherAsync(string nationalId, string name)
    {
        var school = await CreatePrimarySchoolAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var job = await ImportAndWaitAsync(operatorClient, "teachers", TeachersCsv($"{nationalId},{name},{school},小学,语文,2010-09-01,是,否,,"), "teachers.csv");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
    }

    protected Task<HttpResponseMessage> PostSignInAsync(string login, string password) =>
        DirectoryService.CreateClient().PostAsJsonAsync("/api/directory/sign-in", new { login, password });

    /// <summary>A code no other test uses, so tests can share the servers.</summary>
    protected static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..12];
}
