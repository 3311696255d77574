using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Directory as the issuer: sign-in, lockout, the first-sign-in password change, scoped account creation.</summary>
public sealed class SignInTests : DirectoryTestBase
{
    private const string OperatorPassword = "Operator-2026-test";
    private const string NationalId = "37160219850312028X"; // an X check character: typed lower case below

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:BootstrapOperator:Password"] = OperatorPassword,
        ["Directory:SignIn:LockAfterFailures"] = "3",
        ["Directory:SignIn:SlowdownPerFailure"] = "00:00:00.010",
    };

    [Fact]
    public async Task The_bootstrap_operator_signs_in_and_the_token_is_accepted_by_the_service()
    {
        var token = await SignInAsync("operator", OperatorPassword);

        using var client = ClientWith(token.GetProperty("accessToken").GetString()!);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/directory/account");
        Assert.Equal(Roles.PlatformOperator, me.GetProperty("role").GetString());
        using var created = await client.PostAsJsonAsync("/api/directory/organisations", new { code = Unique("P"), name = "省", kind = "province" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var jwks = await DirectoryService.CreateClient().GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        Assert.Equal("RSA", jwks.GetProperty("keys")[0].GetProperty("kty").GetString());
        Assert.False(jwks.GetProperty("keys")[0].TryGetProperty("d", out _)); // never the private part
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_for_a_while_even_against_the_right_password()
    {
        var (login, password) = await CreateSchoolAdminAsync();
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await PostSignInAsync(login, "wrong-password-1");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var third = await PostSignInAsync(login, "wrong-password-1");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);

        using var right = await PostSignInAsync(login, password);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Contains("锁定", (await right.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_first_sign_in_token_allows_nothing_but_changing_the_password()
    {
        var (login, initialPassword) = await CreateSchoolAdminAsync();
        var first = await SignInAsync(login, initialPassword);
        Assert.True(first.GetProperty("mustChangePassword").GetBoolean());

        using var limited = ClientWith(first.GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await limited.GetAsync("/api/directory/account")).StatusCode);

        using var weak = await limited.PutAsJsonAsync("/api/directory/account/password", new { currentPassword = initialPassword, newPassword = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.True((await weak.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("newPassword", out _));

        using var changed = await limited.PutAsJsonAsync("/api/directory/account/password",
            new { currentPassword = initialPassword, newPassword = "NewPassw0rd-2026" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var full = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(full.GetProperty("mustChangePassword").GetBoolean());

        using var client = ClientWith(full.GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/directory/account")).StatusCode);
        using var oldPassword = await PostSignInAsync(login, initialPassword);
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
    }

    [Fact]
    public async Task An_imported_teacher_signs_in_first_with_id_number_and_pinyin_only_to_set_a_password()
    {
        await ImportTeacherAsync(NationalId, "曾丽");
        var first = await SignInAsync(NationalId.ToLowerInvariant(), "Zeng Li"); // 曾 read as a surname; case and spaces do not matter
        Assert.True(first.GetProperty("mustChangePassword").GetBoolean());
        var limitedToken = first.GetProperty("accessToken").GetString()!;
        var teacherId = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(limitedToken).GetPayloadValue<string>(PlatformClaims.TeacherId);

        // Refused as any pending-change token is: it does not authenticate anywhere but the password change.
        using var limited = ClientWith(limitedToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await limited.GetAsync($"/api/directory/teachers/{teacherId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await limited.GetAsync("/api/directory/account")).StatusCode);

        using var pinyinAgain = await limited.PutAsJsonAsync("/api/directory/account/password", new { currentPassword = "zengli", newPassword = "zengli" });
        Assert.Equal(HttpStatusCode.BadRequest, pinyinAgain.StatusCode); // a standing password is never the pinyin
        Assert.Contains("拼音", (await pinyinAgain.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        using var changed = await limited.PutAsJsonAsync("/api/directory/account/password", new { currentPassword = "zengli", newPassword = "Spring-2026-ok" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        using var client = ClientWith((await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/directory/teachers/{teacherId}")).StatusCode);

        using var pinyinAfter = await PostSignInAsync(NationalId, "zengli");
        Assert.Equal(HttpStatusCode.Unauthorized, pinyinAfter.StatusCode);
        Assert.False((await SignInAsync(NationalId, "Spring-2026-ok")).GetProperty("mustChangePassword").GetBoolean());
    }

    [Fact]
    public async Task A_new_password_a_guesser_would_try_first_is_refused_with_its_rule_and_the_account_keeps_no_password()
    {
        await ImportTeacherAsync(NationalId, "曾丽");
        using var limited = ClientWith((await SignInAsync(NationalId, "zengli")).GetProperty("accessToken").GetString()!);
        foreach (var (candidate, rule) in new[]
                 {
                     ("Zengli2024", "name-pinyin"), ("zl123456", "name-pinyin"), ("li.zeng.88", "name-pinyin"),
                     ("woaini1314", "common-password"), ("QQ123456", "common-password"), ("a123456789", "common-password"),
                     ($"x{NationalId}", "contains-login"), ("kx7Qz2m", "too-short"),
                 })
        {
            await BadInput.OnlyFieldRefusedAsync(limited, HttpMethod.Put, "/api/directory/account/password",
                JsonSerializer.Serialize(new { currentPassword = "zengli", newPassword = candidate }), "newPassword", rule);
        }
        Assert.Equal(1, await CountAsync($"select count(*) from accounts where login = '{NationalId}' and password_hash = ''"));
    }

    [Fact]
    public async Task A_wrong_pinyin_is_refused_and_counts_toward_the_lockout()
    {
        await ImportTeacherAsync(NationalId, "曾丽");
        foreach (var guess in new[] { "zhangli", "zengliang" })
        {
            using var wrong = await PostSignInAsync(NationalId, guess);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Contains("账号或密码错误", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using var third = await PostSignInAsync(NationalId, "zengl");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);

        using var right = await PostSignInAsync(NationalId, "zengli");
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
    }

    [Fact]
    public async Task A_district_admin_creates_accounts_only_inside_their_district()
    {
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var province = Unique("P");
        var city = Unique("C");
        var county = Unique("X");
        var otherCounty = Unique("X");
        var school = Unique("S");
        var otherSchool = Unique("S");
        await PostOk(operatorClient, "/api/directory/organisations", new { code = province, name = "省", kind = "province" });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = city, name = "市", kind = "city", parentCode = province });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = county, name = "县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = otherCounty, name = "另一县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = school, name = "一小", kind = "school", parentCode = county, stages = new[] { "primary" } });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = otherSchool, name = "二小", kind = "school", parentCode = otherCounty, stages = new[] { "primary" } });

        using var district = ClientWith(Tokens.Issue(Roles.DistrictAdmin, claims: new Dictionary<string, object>
        {
            [PlatformClaims.OrganisationPath] = $"{province}/{city}/{county}",
        }));
        using var inside = await district.PostAsJsonAsync("/api/directory/accounts",
            new { login = Unique("admin"), displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = school });
        Assert.Equal(HttpStatusCode.Created, inside.StatusCode);

        using var outside = await district.PostAsJsonAsync("/api/directory/accounts",
            new { login = Unique("admin"), displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = otherSchool });
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);

        using var wrongLevel = await operatorClient.PostAsJsonAsync("/api/directory/accounts",
            new { login = Unique("admin"), displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = county });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongLevel.StatusCode);
    }

    [Fact]
    public async Task A_guide_teachers_own_login_signs_the_person_in_as_the_teacher_they_are()
    {
        await ImportTeacherAsync(NationalId, "曾丽");
        // Guide accounts are the demo's, from before roles attached to people; no endpoint creates them any more.
        var login = Unique("guide").ToUpperInvariant();
        var initial = "Guide-initial-2026";
        var hash = DirectoryService.Services.GetRequiredService<IPasswordHasher<AccountRow>>().HashPassword(new AccountRow(), initial);
        Assert.Equal(1, await CountAsync($"""
            with added as (
                insert into accounts (id, login, display_name, role, teacher_id, password_hash, must_change_password)
                select gen_random_uuid(), '{login}', '曾丽（指导教师）', 'guide_teacher', id, '{hash}', true from teachers where national_id = '{NationalId}'
                returning 1)
            select count(*) from added
            """));

        // Before its first password change the alias is only itself, for nothing but that change.
        var first = await SignInAsync(login, initial);
        Assert.True(first.GetProperty("mustChangePassword").GetBoolean());
        using var limited = ClientWith(first.GetProperty("accessToken").GetString()!);
        using var changed = await limited.PutAsJsonAsync("/api/directory/account/password",
            new { currentPassword = initial, newPassword = "Guide-2026-ok" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        // Then every sign-in with it is the teacher's: the teacher role and the person's own records.
        foreach (var token in new[]
        {
            (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!,
            (await SignInAsync(login, "Guide-2026-ok")).GetProperty("accessToken").GetString()!,
        })
        {
            using var person = ClientWith(token);
            var me = await person.GetFromJsonAsync<JsonElement>("/api/directory/account");
            Assert.Equal(Roles.Teacher, me.GetProperty("role").GetString());
            Assert.Equal(NationalId, me.GetProperty("login").GetString());
            var teacherId = me.GetProperty("teacherId").GetGuid();
            Assert.Equal(HttpStatusCode.OK, (await person.GetAsync($"/api/directory/teachers/{teacherId}")).StatusCode);
        }
    }

    private async Task<(string Login, string Password)> CreateSchoolAdminAsync()
    {
        var school = await CreatePrimarySchoolAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var login = Unique("admin");
        var created = await PostOk(operatorClient, "/api/directory/accounts",
            new { login, displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = school });
        return (login.ToUpperInvariant(), created.GetProperty("initialPassword").GetString()!);
    }

    private async Task<JsonElement> SignInAsync(string login, string password)
    {
        using var response = await PostSignInAsync(login, password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
