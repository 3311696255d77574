using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Directory's privileged writes and sign-in events each leave one audit record naming who (account, role,
/// organisation) did what to which record; refused requests leave none. Auditors and the staff account list and changes.
/// </summary>
public sealed class DirectoryAuditTests : DirectoryTestBase
{
    private const string OperatorPassword = "Operator-2026-audit";
    private const string NationalId = "371602198503120028";

    private static readonly Guid OperatorId = Guid.NewGuid();
    private static readonly Guid DistrictId = Guid.NewGuid();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Directory:BootstrapOperator:Password"] = OperatorPassword,
        ["Directory:SignIn:LockAfterFailures"] = "3",
        ["Directory:SignIn:SlowdownPerFailure"] = "00:00:00.010",
    };

    private sealed record Row(long Seq, string Action, string TargetKind, string TargetId, Guid ActorAccountId, string ActorLogin, string ActorRole,
        string ActorOrganisationPath, string Summary, string? ClientAddress);

    private async Task<IReadOnlyList<Row>> RecordsAsync(string? action = null)
    {
        await AuditRows.SealAsync(DirectoryService.Services);
        await using var connection = await DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        return [.. await connection.QueryAsync<Row>($"""
            select seq, action, target_kind, target_id, actor_account_id, actor_login, actor_role, actor_organisation_path, summary, client_address
            from audit_records where (@Action::text is null and {AuditRows.NotSecurityEvents}) or action = @Action order by seq
            """, new { Action = action })];
    }

    private HttpClient Operator() => ClientWith(Tokens.Issue(Roles.PlatformOperator, OperatorId.ToString(),
        new Dictionary<string, object> { [PlatformClaims.Name] = "运营甲" }));

    private HttpClient District(string path) => ClientWith(Tokens.Issue(Roles.DistrictAdmin, DistrictId.ToString(),
        new Dictionary<string, object> { [PlatformClaims.Name] = "区管理员", [PlatformClaims.OrganisationPath] = path }));

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
    }

    /// <summary>Province, city, two counties, a primary school in each: (path of the first county, school 1, school 2, province).</summary>
    private async Task<(string County, string School1, string School2, string Province)> TreeAsync(HttpClient op)
    {
        var (p, c, x1, x2, s1, s2) = (Unique("P"), Unique("C"), Unique("X"), Unique("X"), Unique("S"), Unique("S"));
        await PostOk(op, "/api/directory/organisations", new { code = p, name = "省", kind = "province" });
        await PostOk(op, "/api/directory/organisations", new { code = c, name = "市", kind = "city", parentCode = p });
        await PostOk(op, "/api/directory/organisations", new { code = x1, name = "东县", kind = "county", parentCode = c });
        await PostOk(op, "/api/directory/organisations", new { code = x2, name = "西县", kind = "county", parentCode = c });
        await PostOk(op, "/api/directory/organisations", new { code = s1, name = "东县一小", kind = "school", parentCode = x1, stages = new[] { "primary" } });
        await PostOk(op, "/api/directory/organisations", new { code = s2, name = "西县一小", kind = "school", parentCode = x2, stages = new[] { "primary" } });
        return ($"{p}/{c}/{x1}", s1, s2, p);
    }

    private static object Teacher(string school, bool classTeacher = false, bool? inPost = null) => new
    {
        nationalId = NationalId, name = "李审计", schoolCode = school, stage = "primary", subject = "语文", hireDate = "2010-09-01",
        normalSchoolGraduate = true, classTeacher, inPost,
    };

    [Fact]
    public async Task Each_privileged_write_leaves_one_record_naming_the_actor_and_the_target_and_refused_ones_none()
    {
        using var op = Operator();
        var (county, s1, s2, _) = await TreeAsync(op);
        await SendAsync(op, HttpMethod.Put, $"/api/directory/organisations/{s1}", new { name = "东县实验小学", stages = new[] { "primary" } }, HttpStatusCode.OK);
        await SendAsync(op, HttpMethod.Put, $"/api/directory/organisations/{s1}", new { name = "东县实验小学", stages = new[] { "primary" } }, HttpStatusCode.OK);
        await SendAsync(op, HttpMethod.Put, $"/api/directory/organisations/{s1}", new { name = "", stages = new[] { "primary" } }, HttpStatusCode.BadRequest);
        var organisations = await RecordsAsync();
        Assert.Equal(7, organisations.Count);
        Assert.All(organisations, r => Assert.Equal((OperatorId, "运营甲", Roles.PlatformOperator), (r.ActorAccountId, r.ActorLogin, r.ActorRole)));
        Assert.Equal(["organisation-registered"], organisations.Take(6).Select(r => r.Action).Distinct());
        Assert.Equal(("organisation-changed", s1), (organisations[6].Action, organisations[6].TargetId));
        Assert.Contains("名称：东县一小 → 东县实验小学", organisations[6].Summary);

        using var district = District(county);
        var teacherId = (await PostOk(district, "/api/directory/teachers", Teacher(s1))).GetProperty("teacher").GetProperty("id").GetGuid();
        await SendAsync(district, HttpMethod.Post, "/api/directory/teachers", Teacher(s1), HttpStatusCode.Conflict);
        await SendAsync(district, HttpMethod.Post, "/api/directory/teachers", Teacher(s2), HttpStatusCode.Forbidden);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/teachers/{teacherId}", Teacher(s1, classTeacher: true, inPost: false), HttpStatusCode.OK);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/teachers/{teacherId}", Teacher(s1, classTeacher: true, inPost: false), HttpStatusCode.OK);
        await SendAsync(district, HttpMethod.Post, $"/api/directory/teachers/{teacherId}/transfer", new { schoolCode = s2 }, HttpStatusCode.Forbidden);
        await SendAsync(op, HttpMethod.Post, $"/api/directory/teachers/{teacherId}/transfer", new { schoolCode = s2 }, HttpStatusCode.OK);
        await SendAsync(op, HttpMethod.Post, $"/api/directory/teachers/{teacherId}/transfer", new { schoolCode = s2 }, HttpStatusCode.Conflict);

        var adminId = (await PostOk(district, "/api/directory/accounts",
            new { login = Unique("adm"), displayName = "教导处", role = Roles.SchoolAdmin, organisationCode = s1 })).GetProperty("id").GetGuid();
        await SendAsync(district, HttpMethod.Post, "/api/directory/accounts",
            new { login = Unique("adm"), displayName = "越权", role = Roles.SchoolAdmin, organisationCode = s2 }, HttpStatusCode.Forbidden);
        await SendAsync(op, HttpMethod.Post, "/api/directory/operations/signing-keys/rotate", null, HttpStatusCode.OK);

        var records = (await RecordsAsync()).Skip(7).ToList();
        Assert.Equal(
            [
                ("teacher-registered", "teacher", teacherId.ToString(), DistrictId, Roles.DistrictAdmin, county),
                ("teacher-profile-updated", "teacher", teacherId.ToString(), DistrictId, Roles.DistrictAdmin, county),
                ("teacher-transferred", "teacher", teacherId.ToString(), OperatorId, Roles.PlatformOperator, ""),
                ("staff-account-created", "account", adminId.ToString(), DistrictId, Roles.DistrictAdmin, county),
                ("signing-keys-rotated", "signing-keys", "rotation", OperatorId, Roles.PlatformOperator, ""),
            ],
            records.Select(r => (r.Action, r.TargetKind, r.TargetId, r.ActorAccountId, r.ActorRole, r.ActorOrganisationPath)));
        var profile = records[1].Summary;
        Assert.Contains("班主任：否 → 是", profile);
        Assert.Contains("离岗", profile);
        Assert.DoesNotContain("姓名", profile); // only what changed
        Assert.Contains("西县一小", records[2].Summary);
        Assert.All(await RecordsAsync(), r => Assert.DoesNotContain(NationalId, r.Summary));
    }

    [Fact]
    public async Task Imports_are_recorded_when_started_and_finished_as_the_uploader_and_initial_passwords_as_who_issued_them_for_whom()
    {
        using var op = Operator();
        var (county, s1, _, _) = await TreeAsync(op);
        using var district = District(county);
        var job = await ImportAndWaitAsync(district, "teachers", TeachersCsv($"{NationalId},王导入,{s1},小学,语文,2010-09-01,是,否,,"), "teachers.csv");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var bad = await ImportAndWaitAsync(district, "teachers", TeachersCsv($"{NationalId},王导入,NO-SUCH-SCHOOL,小学,语文,2010-09-01,是,否,,"), "bad.csv");
        Assert.Equal("failed", bad.GetProperty("status").GetString());

        using var issued = await district.PostAsJsonAsync("/api/directory/teachers/initial-passwords", new { schoolCode = s1 });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        using var none = await district.PostAsJsonAsync("/api/directory/teachers/initial-passwords", new { schoolCode = s1 });
        Assert.Equal("0", none.Headers.GetValues("X-Passwords-Issued").Single());

        var records = (await RecordsAsync()).Where(r => r.Action != "organisation-registered").ToList();
        var jobId = job.GetProperty("id").GetString()!;
        var badId = bad.GetProperty("id").GetString()!;
        Assert.Equal(
            [
                ("import-started", jobId), ("import-finished", jobId), ("import-started", badId), ("import-finished", badId),
                ("initial-passwords-issued", s1),
            ],
            records.Select(r => (r.Action, r.TargetId)));
        Assert.All(records, r => Assert.Equal((DistrictId, "区管理员", Roles.DistrictAdmin, county), (r.ActorAccountId, r.ActorLogin, r.ActorRole, r.ActorOrganisationPath)));
        Assert.Contains("新增 1", records[1].Summary);
        Assert.Contains("失败", records[3].Summary);
        Assert.Contains("1 名教师", records[4].Summary);
        Assert.Contains("王导入", records[4].Summary);
        Assert.DoesNotContain(NationalId, records[4].Summary);
    }

    [Fact]
    public async Task Sign_ins_failures_lockouts_and_password_changes_are_recorded_once_each_and_an_auditor_made_by_the_operator_reads_the_trail()
    {
        using var signedIn = await PostSignInAsync("operator", OperatorPassword);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        using var op = ClientWith((await signedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!);
        var (county, _, _, province) = await TreeAsync(op);

        // Only the operator makes auditors, and only at the province.
        using var district = District(county);
        await SendAsync(district, HttpMethod.Post, "/api/directory/accounts",
            new { login = Unique("aud"), displayName = "越权审计", role = Roles.Auditor, organisationCode = province }, HttpStatusCode.Forbidden);
        await SendAsync(op, HttpMethod.Post, "/api/directory/accounts",
            new { login = Unique("aud"), displayName = "审计", role = Roles.Auditor, organisationCode = county }, HttpStatusCode.UnprocessableEntity);
        var login = Unique("aud").ToUpperInvariant();
        var auditor = await PostOk(op, "/api/directory/accounts", new { login, displayName = "审计员乙", role = Roles.Auditor, organisationCode = province });
        var auditorId = auditor.GetProperty("id").GetGuid();

        using var first = await PostSignInAsync(login, auditor.GetProperty("initialPassword").GetString()!);
        using var limited = ClientWith((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!);
        await SendAsync(limited, HttpMethod.Put, "/api/directory/account/password",
            new { currentPassword = auditor.GetProperty("initialPassword").GetString(), newPassword = "x" }, HttpStatusCode.BadRequest);
        await SendAsync(limited, HttpMethod.Put, "/api/directory/account/password",
            new { currentPassword = auditor.GetProperty("initialPassword").GetString(), newPassword = "Audit-Trail-2026" }, HttpStatusCode.OK);

        using var unknown = await PostSignInAsync("nobody-at-all", "whatever-1");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await PostSignInAsync(login, "wrong-password-1");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var locking = await PostSignInAsync(login, "wrong-password-1"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locking.StatusCode);
        }
        using (var whileLocked = await PostSignInAsync(login, "Audit-Trail-2026"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, whileLocked.StatusCode);
        }
        using (var blank = await PostSignInAsync(login, ""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode); // refused before any account is looked at: no record
        }

        var events = (await RecordsAsync()).Where(r => r.Action is "signed-in" or "sign-in-failed" or "account-locked" or "password-changed").ToList();
        Assert.Equal(
            [
                ("signed-in", "平台运营", Roles.PlatformOperator),
                ("signed-in", "审计员乙", Roles.Auditor),
                ("password-changed", "审计员乙", Roles.Auditor),
                ("sign-in-failed", "NOBODY-AT-ALL", ""),
                ("sign-in-failed", "审计员乙", Roles.Auditor),
                ("sign-in-failed", "审计员乙", Roles.Auditor),
                ("account-locked", "审计员乙", Roles.Auditor),
                ("sign-in-failed", "审计员乙", Roles.Auditor),
            ],
            events.Select(r => (r.Action, r.ActorLogin, r.ActorRole)));
        Assert.Equal(Guid.Empty, events[3].ActorAccountId);
        Assert.All(events.Skip(1).Where(r => r.ActorLogin == "审计员乙"), r => Assert.Equal((auditorId, auditorId.ToString()), (r.ActorAccountId, r.TargetId)));
        Assert.All(await RecordsAsync(), r => Assert.DoesNotContain("Audit-Trail-2026", r.Summary));
        var creation = Assert.Single(await RecordsAsync("staff-account-created"));
        Assert.Equal(("平台运营", auditorId.ToString()), (creation.ActorLogin, creation.TargetId));

        // The lock-out lifted, the auditor reads (and cannot write) the trail.
        await using (var unlock = DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            $"update accounts set locked_until = null where id = '{auditorId}'"))
        {
            await unlock.ExecuteNonQueryAsync();
        }
        using var again = await PostSignInAsync(login, "Audit-Trail-2026");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var reader = ClientWith((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!);
        var page = await SendAsync(reader, HttpMethod.Get, "/api/directory/operations/audit?action=account-locked", null, HttpStatusCode.OK);
        Assert.Equal(auditorId.ToString(), Assert.Single(page.GetProperty("records").EnumerateArray()).GetProperty("targetId").GetString());
        Assert.True((await SendAsync(reader, HttpMethod.Get, "/api/directory/operations/audit/verify", null, HttpStatusCode.OK)).GetProperty("intact").GetBoolean());
        await SendAsync(reader, HttpMethod.Post, "/api/directory/organisations", new { code = Unique("P"), name = "省", kind = "province" }, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Staff_accounts_are_listed_and_changed_within_scope_each_change_recorded_and_a_disabled_account_cannot_sign_in()
    {
        using var op = Operator();
        var (county, s1, s2, _) = await TreeAsync(op);
        var mine = await PostOk(op, "/api/directory/accounts", new { login = Unique("adm"), displayName = "东县教导处", role = Roles.SchoolAdmin, organisationCode = s1 });
        var theirs = await PostOk(op, "/api/directory/accounts", new { login = Unique("adm"), displayName = "西县教导处", role = Roles.SchoolAdmin, organisationCode = s2 });
        var (mineId, theirsId) = (mine.GetProperty("id").GetGuid(), theirs.GetProperty("id").GetGuid());

        using var district = District(county);
        var listed = await SendAsync(district, HttpMethod.Get, "/api/directory/accounts", null, HttpStatusCode.OK);
        Assert.Equal([mineId], listed.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));
        var all = await SendAsync(op, HttpMethod.Get, $"/api/directory/accounts?role={Roles.SchoolAdmin}", null, HttpStatusCode.OK);
        Assert.Equal(2, all.GetArrayLength());
        Assert.Equal(1, (await SendAsync(op, HttpMethod.Get, $"/api/directory/accounts?organisationCode={s2}", null, HttpStatusCode.OK)).GetArrayLength());
        await SendAsync(district, HttpMethod.Get, $"/api/directory/accounts?organisationCode={s2}", null, HttpStatusCode.NotFound);
        await SendAsync(district, HttpMethod.Get, "/api/directory/accounts?role=janitor", null, HttpStatusCode.BadRequest);
        await SendAsync(ClientWith(Tokens.Issue(Roles.SchoolAdmin)), HttpMethod.Get, "/api/directory/accounts", null, HttpStatusCode.Forbidden);

        var before = (await RecordsAsync()).Count;
        // Refused: another district's account, a school out of scope, an operator-only role, the wrong level, bad input.
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{theirsId}", new { disabled = true }, HttpStatusCode.NotFound);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { organisationCode = s2 }, HttpStatusCode.Forbidden);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { role = Roles.Auditor }, HttpStatusCode.Forbidden);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { role = Roles.DistrictAdmin }, HttpStatusCode.UnprocessableEntity);
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { role = "janitor" }, HttpStatusCode.BadRequest);
        Assert.Equal(before, (await RecordsAsync()).Count);

        var disabled = await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { disabled = true }, HttpStatusCode.OK);
        Assert.True(disabled.GetProperty("disabled").GetBoolean());
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { disabled = true }, HttpStatusCode.OK); // already so
        var login = mine.GetProperty("login").GetString()!;
        var password = mine.GetProperty("initialPassword").GetString()!;
        using (var refused = await PostSignInAsync(login, password))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("account-disabled", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rule").GetString());
        }
        await SendAsync(district, HttpMethod.Put, $"/api/directory/accounts/{mineId}", new { disabled = false }, HttpStatusCode.OK);
        using (var allowed = await PostSignInAsync(login, password))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        var moved = await SendAsync(op, HttpMethod.Put, $"/api/directory/accounts/{theirsId}", new { organisationCode = s1 }, HttpStatusCode.OK);
        Assert.Equal(s1, moved.GetProperty("organisationCode").GetString());

        var changes = await RecordsAsync("account-changed");
        Assert.Equal(
            [(mineId.ToString(), DistrictId, "停用账号"), (mineId.ToString(), DistrictId, "重新启用账号"), (theirsId.ToString(), OperatorId, $"机构：{s2} → {s1}（东县一小）")],
            changes.Select(r => (r.TargetId, r.ActorAccountId, r.Summary.Split('：', 2)[1])));
        Assert.Equal(["sign-in-failed", "signed-in"], (await RecordsAsync()).Where(r => r.Action.Contains("sign")).Select(r => r.Action));
    }
}
