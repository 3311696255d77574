using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using MassTransit;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Sessions that end: a token issued before a password change, a lock-out, a transfer, leaving post or signing out is
/// refused by Directory and by another service (Catalog, taking Directory's keys as in production) on both of its
/// replicas, though only one of them consumed the announcement; a token issued afterwards works. A repeated or late
/// announcement changes nothing.
/// </summary>
public sealed class SessionRevocationTests : DirectoryTestBase
{
    private const string OperatorPassword = "Operator-2026-test";

    /// <summary>Generous: the announcement crosses the outbox, the broker and a copy, then each replica's next read.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private ServiceFactory<CatalogApi> _catalog = null!;
    private ServiceFactory<CatalogApi> _catalogReplica = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:BootstrapOperator:Password"] = OperatorPassword,
        ["Directory:SignIn:LockAfterFailures"] = "3",
        ["Directory:SignIn:LockDuration"] = "00:00:02",
        ["Directory:SignIn:SlowdownPerFailure"] = "00:00:00.010",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            // No inline keys: Catalog takes Directory's JWKS, so the tokens Directory issues are the ones it checks.
            ["Authentication:Jwt:SigningKeys"] = "",
            ["Authentication:Jwt:Authority"] = "http://directory",
        };
        void UseDirectoryKeys(IServiceCollection services) => services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
            o => o.BackchannelHttpHandler = DirectoryService.Server.CreateHandler());
        _catalog = await ServiceFactory<CatalogApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CatalogApi.DatabaseName, settings, UseDirectoryKeys);

        // A second replica: the same database and the same queues, so the two compete for each announcement.
        var configuration = _catalog.Services.GetRequiredService<IConfiguration>();
        _catalogReplica = await ServiceFactory<CatalogApi>.CreateAsync(await TestServers.GetAsync(), Tokens, CatalogApi.DatabaseName,
            new Dictionary<string, string?>(settings)
            {
                [$"ConnectionStrings:{CatalogApi.DatabaseName}"] = _catalog.Services.GetRequiredService<DatabaseMigrations>().ConnectionString,
                ["Messaging:QueuePrefix"] = configuration["Messaging:QueuePrefix"],
            }, UseDirectoryKeys);
    }

    public override async Task DisposeAsync()
    {
        await _catalogReplica.DisposeAsync();
        await _catalog.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_password_change_ends_the_sessions_before_it_everywhere_and_the_token_it_returns_works()
    {
        var (login, password, before) = await StaffSignedInAsync();
        await AcceptedEverywhereAsync(before);

        var after = await ChangePasswordAsync(before, password, "Second-Pass-2026");

        await RefusedEverywhereAsync(before);
        await AcceptedEverywhereAsync(after);
        Assert.Equal(HttpStatusCode.OK, (await PostSignInAsync(login, "Second-Pass-2026")).StatusCode);
    }

    [Fact]
    public async Task A_lock_out_ends_the_sessions_and_a_sign_in_after_it_works()
    {
        var (login, password, before) = await StaffSignedInAsync();
        await AcceptedEverywhereAsync(before);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await PostSignInAsync(login, "wrong-password-1");
        }
        await RefusedEverywhereAsync(before);

        // Once the lock (two seconds here) is over.
        string? after = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await PostSignInAsync(login, password);
            after = response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString() : null;
            return after is not null;
        }, Wait, "the lock to end");
        await AcceptedEverywhereAsync(after!);
    }

    [Fact]
    public async Task A_transfer_ends_the_teachers_sessions_and_the_next_sign_in_carries_the_new_school()
    {
        var (schoolCode, otherSchool) = (await CreatePrimarySchoolAsync(), await CreatePrimarySchoolAsync());
        var (teacherId, login, password, before) = await TeacherSignedInAsync("371602198503120028", "王芳", schoolCode);
        await AcceptedEverywhereAsync(before);

        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        using var moved = await operatorClient.PostAsJsonAsync($"/api/directory/teachers/{teacherId}/transfer", new { schoolCode = otherSchool });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);

        await RefusedEverywhereAsync(before);
        var after = await SignInAsync(login, password);
        await AcceptedEverywhereAsync(after);
        Assert.EndsWith(otherSchool, new JsonWebToken(after).GetPayloadValue<string>(PlatformClaims.OrganisationPath));
    }

    [Fact]
    public async Task Leaving_post_ends_the_teachers_sessions_by_profile_update_and_by_import()
    {
        var school = await CreatePrimarySchoolAsync();
        var (teacherId, _, _, updated) = await TeacherSignedInAsync("371602198503120028", "王芳", school);
        var (_, _, _, imported) = await TeacherSignedInAsync("440305198506150038", "李强", school);
        await AcceptedEverywhereAsync(updated);
        await AcceptedEverywhereAsync(imported);

        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        using var left = await operatorClient.PutAsJsonAsync($"/api/directory/teachers/{teacherId}", TeacherInput("371602198503120028", "王芳", school, inPost: false));
        Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        await RefusedEverywhereAsync(updated);
        await AcceptedEverywhereAsync(imported);

        // The import leaves the first teacher as they are (already out of post: no second ending) and takes the second out.
        var job = await ImportAndWaitAsync(operatorClient, "teachers", System.Text.Encoding.UTF8.GetBytes(string.Join("\r\n",
            "身份证号,姓名,学校代码,学段,学科,入职日期,是否师范毕业,是否班主任,职称,发展层级,是否在岗",
            $"371602198503120028,王芳,{school},小学,语文,2010-09-01,是,否,,,否",
            $"440305198506150038,李强,{school},小学,语文,2010-09-01,是,否,,,否")), "teachers.csv");
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        await RefusedEverywhereAsync(imported);
        Assert.Equal(1, await CountAsync("select count(*) from outbox_messages where message_type like '%AccountSessionsEnded%' and body->>'reason' = 'left-post' and body->>'accountId' = (select id::text from accounts where login = '371602198503120028')"));
    }

    [Fact]
    public async Task Signing_out_ends_every_session_of_the_account_and_a_new_sign_in_works()
    {
        var (login, password, first) = await StaffSignedInAsync();
        var second = await SignInAsync(login, password); // another device
        await AcceptedEverywhereAsync(first);

        using var signOut = ClientWith(first);
        Assert.Equal(HttpStatusCode.NoContent, (await signOut.PostAsync("/api/directory/account/sign-out", null)).StatusCode);

        await RefusedEverywhereAsync(first);
        await RefusedEverywhereAsync(second);
        await AcceptedEverywhereAsync(await SignInAsync(login, password));
    }

    [Fact]
    public async Task A_repeated_or_late_announcement_changes_nothing_and_a_newer_one_alone_ends_the_sessions()
    {
        var (_, password, before) = await StaffSignedInAsync();
        var current = await ChangePasswordAsync(before, password, "Second-Pass-2026"); // version 2: the first change of the initial password was 1
        var accountId = Guid.Parse(new JsonWebToken(current).Subject);
        await RefusedEverywhereAsync(before);
        await AcceptedEverywhereAsync(current);

        // The same announcement again, and an older one: both consumed, neither ends the current session.
        var bus = _catalog.Services.GetRequiredService<IBus>();
        var repeatedId = Guid.NewGuid();
        var lateId = Guid.NewGuid();
        await bus.Publish(new AccountSessionsEnded(accountId, 2, SessionEndReasons.PasswordChanged, DateTimeOffset.UtcNow), c => c.MessageId = repeatedId);
        await bus.Publish(new AccountSessionsEnded(accountId, 2, SessionEndReasons.PasswordChanged, DateTimeOffset.UtcNow), c => c.MessageId = repeatedId);
        await bus.Publish(new AccountSessionsEnded(accountId, 1, SessionEndReasons.SignedOut, DateTimeOffset.UtcNow.AddMinutes(-5)), c => c.MessageId = lateId);
        await Eventually.HoldsAsync(async () => await CatalogCountAsync(
            $"select count(*) from inbox_messages where message_id in ('{repeatedId}', '{lateId}')") == 2, Wait, "Catalog to take both announcements");
        Assert.Equal(2, await CatalogCountAsync($"select session_version from session_versions where account_id = '{accountId}'"));
        await AcceptedEverywhereAsync(current);

        // A newer one, on its own (as if from another Directory replica's change), ends it in both Catalog replicas,
        // and a late one afterwards does not bring it back.
        await bus.Publish(new AccountSessionsEnded(accountId, 7, SessionEndReasons.SignedOut, DateTimeOffset.UtcNow));
        await RefusedAsync(_catalog, current);
        await RefusedAsync(_catalogReplica, current);
        await bus.Publish(new AccountSessionsEnded(accountId, 3, SessionEndReasons.SignedOut, DateTimeOffset.UtcNow), c => c.MessageId = lateId = Guid.NewGuid());
        await Eventually.HoldsAsync(async () => await CatalogCountAsync($"select count(*) from inbox_messages where message_id = '{lateId}'") == 1,
            Wait, "Catalog to take the late announcement");
        Assert.Equal(7, await CatalogCountAsync($"select session_version from session_versions where account_id = '{accountId}'"));
        Assert.Equal(7, _catalogReplica.Services.GetRequiredService<SessionVersions>().RequiredVersion(accountId));
    }

    private async Task AcceptedEverywhereAsync(string token)
    {
        Assert.Equal(HttpStatusCode.OK, await DirectoryStatusAsync(token));
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(_catalog, token));
        Assert.Equal(HttpStatusCode.OK, await CatalogStatusAsync(_catalogReplica, token));
    }

    /// <summary>Refused by Directory and by both Catalog replicas, saying so to the user.</summary>
    private async Task RefusedEverywhereAsync(string token)
    {
        await Eventually.HoldsAsync(async () => await DirectoryStatusAsync(token) == HttpStatusCode.Unauthorized, Wait, "Directory to refuse the token");
        await RefusedAsync(_catalog, token);
        await RefusedAsync(_catalogReplica, token);

        using var client = ClientWith(token);
        using var response = await client.GetAsync("/api/directory/account");
        Assert.Equal("登录已失效，请重新登录。(This session has ended; please sign in again.)",
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    private static Task RefusedAsync(ServiceFactory<CatalogApi> catalog, string token) =>
        Eventually.HoldsAsync(async () => await CatalogStatusAsync(catalog, token) == HttpStatusCode.Unauthorized, Wait, "Catalog to refuse the token");

    private async Task<HttpStatusCode> DirectoryStatusAsync(string token)
    {
        using var client = ClientWith(token);
        using var response = await client.GetAsync("/api/directory/account");
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> CatalogStatusAsync(ServiceFactory<CatalogApi> catalog, string token)
    {
        using var client = catalog.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/api/catalog/years");
        return response.StatusCode;
    }

    private async Task<long> CatalogCountAsync(string sql)
    {
        await using var connection = await _catalog.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long?>(sql) ?? 0;
    }

    /// <summary>A school admin who has set their own password, signed in: login, password, token.</summary>
    private async Task<(string Login, string Password, string Token)> StaffSignedInAsync()
    {
        var school = await CreatePrimarySchoolAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var login = Unique("admin");
        var created = await PostOk(operatorClient, "/api/directory/accounts",
            new { login, displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = school });
        var pending = await SignInAsync(login, created.GetProperty("initialPassword").GetString()!);
        const string password = "First-Pass-2026";
        await ChangePasswordAsync(pending, created.GetProperty("initialPassword").GetString()!, password);
        return (login, password, await SignInAsync(login, password));
    }

    /// <summary>A registered teacher who has set their own password, signed in.</summary>
    private async Task<(Guid TeacherId, string Login, string Password, string Token)> TeacherSignedInAsync(string nationalId, string name, string school)
    {
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var registered = await PostOk(operatorClient, "/api/directory/teachers", TeacherInput(nationalId, name, school));
        var pending = await SignInAsync(nationalId, registered.GetProperty("initialPassword").GetString()!);
        const string password = "Teacher-Pass-2026";
        await ChangePasswordAsync(pending, registered.GetProperty("initialPassword").GetString()!, password);
        return (registered.GetProperty("teacher").GetProperty("id").GetGuid(), nationalId, password, await SignInAsync(nationalId, password));
    }

    private static object TeacherInput(string nationalId, string name, string school, bool inPost = true) => new
    {
        nationalId, name, schoolCode = school, stage = "primary", subject = "语文", hireDate = "2010-09-01",
        normalSchoolGraduate = true, classTeacher = false, inPost,
    };

    private async Task<string> ChangePasswordAsync(string token, string currentPassword, string newPassword)
    {
        using var client = ClientWith(token);
        using var response = await client.PutAsJsonAsync("/api/directory/account/password", new { currentPassword, newPassword });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    private async Task<string> SignInAsync(string login, string password)
    {
        using var response = await PostSignInAsync(login, password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }
}
