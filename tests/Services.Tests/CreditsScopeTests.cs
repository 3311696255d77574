using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Credits;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Who may call each Credits endpoint, on the real servers: every endpoint the service maps is probed signed out (401,
/// except the public certificate check), in a role it is not for (403), and by someone outside its scope — a school
/// admin of another school, a district admin of another district, another teacher — which the service answers as it
/// answers a record that does not exist (404; a school-based batch naming another school's teacher is a 400 on that
/// row). A refused write changes nothing in the database. The same requests in scope succeed, so every refusal is
/// about who asks, not about a wrong address.
/// </summary>
public sealed class CreditsScopeTests : IAsyncLifetime
{
    private const string School1 = "37/3716/371602/S1";
    private const string School2 = "37/3716/371602/S2";
    private const string County = "37/3716/371602";
    private const string City = "37/3716";
    private const string OtherCity = "37/3704";
    private const string OtherCounty = "37/3704/370402";

    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    private readonly TestTokens _tokens = new();
    private ServiceFactory<CreditsApi> _credits = null!;

    public async Task InitializeAsync() =>
        _credits = await ServiceFactory<CreditsApi>.CreateAsync(await TestServers.GetAsync(), _tokens, CreditsApi.DatabaseName);

    public async Task DisposeAsync() => await _credits.DisposeAsync();

    private NpgsqlDataSource Db => _credits.Services.GetRequiredService<NpgsqlDataSource>();

    private HttpClient Client(string? role, string? orgPath = null, Guid? teacher = null)
    {
        var client = _credits.CreateClient();
        if (role is null)
        {
            return client;
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens.For(role, orgPath, teacher));
        return client;
    }

    private Task<Guid> TeacherAsync(string school, string name) => CreditsDirect.TeacherAsync(_credits.Services, school, name);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }

    private static async Task<(int Status, string Body)> SendAsync(HttpClient client, string method, string path, object? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> OkAsync(HttpClient client, string method, string path, object? body, int expected)
    {
        var (status, text) = await SendAsync(client, method, path, body);
        Assert.True(status == expected, $"{method} {path}: expected {expected}, got {status}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// What the rejected writes could have changed: every table an endpoint writes, row by row — for this test's
    /// teachers, since other test classes' published messages may add their own teachers' rows meanwhile. (The
    /// background workers, idle by then, write only standings and roll-ups.)
    /// </summary>
    private async Task<string> FingerprintAsync(IReadOnlyList<Guid> teachers)
    {
        var mine = "(" + string.Join(",", teachers.Select(t => $"'{t}'")) + ")";
        var tables = new Dictionary<string, string>
        {
            ["ledger_entries"] = $"teacher_id in {mine}",
            ["ledger_refusals"] = $"teacher_id in {mine}",
            ["balances"] = $"teacher_id in {mine}",
            ["credit_applications"] = $"teacher_id in {mine}",
            ["credit_application_steps"] = $"application_id in (select id from credit_applications where teacher_id in {mine})",
            ["certificates"] = $"teacher_id in {mine}",
            ["failed_years"] = $"teacher_id in {mine}",
            ["year_reopenings"] = "true",
            ["credit_policies"] = "true",
            ["certificate_jobs"] = "true",
        };
        var parts = new List<string>();
        foreach (var (table, where) in tables)
        {
            parts.Add(table + ":" + await ScalarAsync<string>(
                $"select count(*) || '/' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from {table} t where {where}"));
        }
        var mentions = string.Join(" or ", teachers.Select(t => $"body::text like '%{t}%'"));
        parts.Add("outbox:" + await ScalarAsync<long>($"select count(*) from outbox_messages where {mentions}"));
        return string.Join("\n", parts);
    }

    /// <summary>One request: the route template it exercises, who sends it, and what must come back.</summary>
    private sealed record Probe(string Route, string Method, string Path, object? Body, string Who, int Expected, string? MustContain = null,
        string? MustNotContain = null)
    {
        public override string ToString() => $"{Who} {Method} {Path}";
    }

    [Fact]
    public async Task Every_credits_endpoint_refuses_the_signed_out_the_wrong_role_and_anyone_outside_its_scope()
    {
        // ---- The world: a teacher in school 1 with a credit, a certificate, an application and a district's bulk job ----
        var operatorClient = Client(Roles.PlatformOperator);
        var policy = new
        {
            name = "测试：五年 10 学时", cycleYears = 5, firstCycleYear = 2026,
            rules = new[] { new { key = "cycle-total", label = "周期总学时", period = "cycle", minHours = 10, filter = new { }, appliesTo = "all" } },
        };
        await OkAsync(operatorClient, "PUT", "/api/credits/policies/scope-10", policy, 200);
        await OkAsync(operatorClient, "POST", "/api/credits/policies/scope-10/activate", null, 200);

        var teacherId = await TeacherAsync(School1, "周一");
        var neighbourId = await TeacherAsync(School1, "吴二"); // the same school
        var teachers = new[] { teacherId, neighbourId, await TeacherAsync(School2, "郑三"), await TeacherAsync(OtherCounty + "/S9", "冯四") };
        await CreditsDirect.KeepThisYearOpenAsync(_credits.Services, Today);

        var who = new Dictionary<string, HttpClient>
        {
            ["anonymous"] = Client(null),
            ["teacher"] = Client(Roles.Teacher, School1, teacherId),
            ["another teacher"] = Client(Roles.Teacher, School1, neighbourId),
            ["a teacher token without a teacher id"] = Client(Roles.Teacher, School1),
            ["school admin"] = Client(Roles.SchoolAdmin, School1),
            ["another school's admin"] = Client(Roles.SchoolAdmin, School2),
            ["district admin"] = Client(Roles.DistrictAdmin, County),
            ["city admin"] = Client(Roles.DistrictAdmin, City),
            ["another district's admin"] = Client(Roles.DistrictAdmin, OtherCity),
            ["research office"] = Client(Roles.ResearchOffice, County),
            ["another research office"] = Client(Roles.ResearchOffice, OtherCounty),
            ["training institution"] = Client(Roles.TrainingInstitution, City),
            ["another training institution"] = Client(Roles.TrainingInstitution, OtherCity),
            ["guide teacher"] = Client(Roles.GuideTeacher, County, neighbourId),
            ["learning platform"] = Client(Roles.LearningPlatform),
            ["operator"] = operatorClient,
        };

        await OkAsync(who["school admin"], "POST", "/api/credits/school-based",
            new { batchId = "setup", title = "校本研修：同课异构", hours = 12, occurredOn = Today, teacherIds = new[] { teacherId } }, 200);
        var entryId = (await OkAsync(who["teacher"], "GET", "/api/credits/me/transcript", null, 200)).GetProperty("entries")[0].GetProperty("id").GetGuid();
        var application = new
        {
            title = "市级班主任集中培训", hours = 16, category = "class_teacher", mode = "concentrated", level = "city", source = "external_training",
            occurredOn = Today.AddDays(-3), attachmentRef = "附件-scope-1",
        };
        var applicationId = (await OkAsync(who["teacher"], "POST", "/api/credits/applications", application, 201)).GetProperty("application")
            .GetProperty("id").GetGuid();
        string number = "";
        await Eventually.HoldsAsync(async () =>
        {
            var certificates = await OkAsync(who["teacher"], "GET", "/api/credits/me/certificates", null, 200);
            number = certificates.GetArrayLength() == 1 ? certificates[0].GetProperty("number").GetString()! : "";
            return number.Length > 0;
        }, TimeSpan.FromSeconds(90), "the teacher's certificate");
        var jobId = (await OkAsync(who["district admin"], "POST", "/api/credits/certificates/bulk", new { }, 202)).GetProperty("id").GetGuid();
        await Eventually.HoldsAsync(async () => await ScalarAsync<string>($"select status from certificate_jobs where id = '{jobId}'") == "succeeded"
                && await ScalarAsync<long>($"select count(*) from compliance_dirty where teacher_id in ('{string.Join("','", teachers)}')") == 0,
            TimeSpan.FromSeconds(90), "the bulk job to finish and every standing to be evaluated");

        // ---- The table ----
        var probes = new List<Probe>();
        void Add(string route, string method, string path, object? body, int expected, params string[] callers) =>
            probes.AddRange(callers.Select(c => new Probe(route, method, path, body, c, expected)));
        void AddSignedOut(string route, string method, string path, object? body) => Add(route, method, path, body, 401, "anonymous");

        string[] notStaff = ["teacher", "guide teacher", "learning platform"];
        string[] notATeacher = ["school admin", "district admin", "research office", "training institution", "operator", "guide teacher", "learning platform"];
        string[] outsiders = ["another teacher", "a teacher token without a teacher id", "another school's admin", "another district's admin",
            "another research office", "another training institution", "guide teacher", "learning platform"];

        // The ledger.
        const string MyTranscript = "/api/credits/me/transcript";
        AddSignedOut(MyTranscript, "GET", MyTranscript, null);
        Add(MyTranscript, "GET", MyTranscript, null, 403, notATeacher);
        Add(MyTranscript, "GET", MyTranscript, null, 200, "teacher");

        const string Transcript = "/api/credits/teachers/{teacherId:guid}/transcript";
        var transcript = $"/api/credits/teachers/{teacherId}/transcript";
        AddSignedOut(Transcript, "GET", transcript, null);
        Add(Transcript, "GET", transcript, null, 404, outsiders);
        Add(Transcript, "GET", transcript, null, 200, "teacher", "school admin", "district admin", "city admin", "research office", "training institution",
            "operator");

        const string Reverse = "/api/credits/entries/{id:guid}/reverse";
        var reverse = $"/api/credits/entries/{entryId}/reverse";
        var reason = new { reason = "登记有误" };
        AddSignedOut(Reverse, "POST", reverse, reason);
        Add(Reverse, "POST", reverse, reason, 403, "teacher", "school admin", "research office", "training institution", "guide teacher", "learning platform");
        Add(Reverse, "POST", reverse, reason, 404, "another district's admin");

        const string SchoolBased = "/api/credits/school-based";
        var registration = new { batchId = "refused", title = "校本研修", hours = 5, occurredOn = Today, teacherIds = new[] { teacherId } };
        AddSignedOut(SchoolBased, "POST", SchoolBased, registration);
        Add(SchoolBased, "POST", SchoolBased, registration, 403, "teacher", "district admin", "research office", "training institution", "operator",
            "guide teacher", "learning platform");
        Add(SchoolBased, "POST", SchoolBased, registration, 400, "another school's admin"); // "不是本校教师", on the row

        const string Reopen = "/api/credits/years/{year:int}/reopen";
        var reopen = $"/api/credits/years/{Today.Year}/reopen";
        var reopening = new { until = Today.AddDays(7), reason = "补登" };
        AddSignedOut(Reopen, "POST", reopen, reopening);
        Add(Reopen, "POST", reopen, reopening, 403, "teacher", "school admin", "district admin", "research office", "training institution", "guide teacher",
            "learning platform");

        // Applications.
        const string Applications = "/api/credits/applications";
        AddSignedOut(Applications, "POST", Applications, application);
        Add(Applications, "POST", Applications, application, 403, notATeacher);
        AddSignedOut(Applications, "GET", Applications, null);
        Add(Applications, "GET", Applications, null, 403, "guide teacher", "learning platform");
        foreach (var outsider in new[] { "another teacher", "a teacher token without a teacher id", "another school's admin", "another district's admin",
                     "another research office", "another training institution" })
        {
            probes.Add(new Probe(Applications, "GET", $"{Applications}?status=submitted", null, outsider, 200, MustNotContain: applicationId.ToString()));
        }
        foreach (var insider in new[] { "teacher", "school admin", "district admin", "operator" })
        {
            probes.Add(new Probe(Applications, "GET", $"{Applications}?status=submitted", null, insider, 200, MustContain: applicationId.ToString()));
        }

        const string Application = "/api/credits/applications/{id:guid}";
        var applicationPath = $"{Applications}/{applicationId}";
        AddSignedOut(Application, "GET", applicationPath, null);
        Add(Application, "GET", applicationPath, null, 404, outsiders);
        Add(Application, "GET", applicationPath, null, 200, "teacher", "school admin", "district admin", "research office", "training institution", "operator");
        AddSignedOut(Application, "PUT", applicationPath, application);
        Add(Application, "PUT", applicationPath, application, 403, notATeacher);
        Add(Application, "PUT", applicationPath, application with { hours = 99 }, 404, "another teacher", "a teacher token without a teacher id");

        const string Resubmit = "/api/credits/applications/{id:guid}/resubmit";
        var resubmit = $"{applicationPath}/resubmit";
        AddSignedOut(Resubmit, "POST", resubmit, null);
        Add(Resubmit, "POST", resubmit, null, 403, notATeacher);
        Add(Resubmit, "POST", resubmit, null, 404, "another teacher", "a teacher token without a teacher id");
        Add(Resubmit, "POST", resubmit, null, 409, "teacher"); // it is the owner's, but nothing was rejected

        const string Decisions = "/api/credits/applications/{id:guid}/decisions";
        var decisions = $"{applicationPath}/decisions";
        var approve = new { decision = "approve" };
        AddSignedOut(Decisions, "POST", decisions, approve);
        Add(Decisions, "POST", decisions, approve, 403, "teacher", "district admin", "operator", "guide teacher", "learning platform");
        Add(Decisions, "POST", decisions, approve, 403, "research office", "training institution"); // in scope, but it is the school's step
        Add(Decisions, "POST", decisions, approve, 404, "another school's admin", "another research office", "another training institution");
        Add(Decisions, "POST", decisions, new { decision = "reject", reason = "不属于本校" }, 404, "another school's admin");

        // Compliance.
        const string MyCompliance = "/api/credits/me/compliance";
        AddSignedOut(MyCompliance, "GET", MyCompliance, null);
        Add(MyCompliance, "GET", MyCompliance, null, 403, notATeacher);
        Add(MyCompliance, "GET", MyCompliance, null, 200, "teacher");

        const string Compliance = "/api/credits/teachers/{teacherId:guid}/compliance";
        var compliance = $"/api/credits/teachers/{teacherId}/compliance";
        AddSignedOut(Compliance, "GET", compliance, null);
        Add(Compliance, "GET", compliance, null, 404, outsiders);
        Add(Compliance, "GET", compliance, null, 200, "teacher", "school admin", "district admin", "city admin", "research office", "operator");

        // Certificates.
        const string MyCertificates = "/api/credits/me/certificates";
        AddSignedOut(MyCertificates, "GET", MyCertificates, null);
        Add(MyCertificates, "GET", MyCertificates, null, 403, notATeacher);
        probes.Add(new Probe(MyCertificates, "GET", MyCertificates, null, "teacher", 200, MustContain: number));
        probes.Add(new Probe(MyCertificates, "GET", MyCertificates, null, "another teacher", 200, MustNotContain: number));
        probes.Add(new Probe(MyCertificates, "GET", MyCertificates, null, "a teacher token without a teacher id", 200, MustNotContain: number));

        const string Verify = "/api/credits/certificates/{number}/verify";
        probes.Add(new Probe(Verify, "GET", $"/api/credits/certificates/{number}/verify", null, "anonymous", 200, MustContain: "周*"));

        // The approval chain and the standings are public reference, like verification: anyone, signed in or not, reads the same.
        const string Chain = "/api/credits/approval-chain";
        Add(Chain, "GET", Chain, null, 200, "anonymous", "teacher", "school admin", "research office", "training institution", "operator");
        const string Standings = "/api/credits/reference/compliance-statuses";
        Add(Standings, "GET", Standings, null, 200, "anonymous", "teacher", "school admin", "district admin", "operator");

        const string Print = "/api/credits/certificates/{number}/print";
        var print = $"/api/credits/certificates/{number}/print";
        AddSignedOut(Print, "GET", print, null);
        Add(Print, "GET", print, null, 404, outsiders);
        Add(Print, "GET", print, null, 200, "teacher", "school admin", "district admin", "operator");

        const string Bulk = "/api/credits/certificates/bulk";
        AddSignedOut(Bulk, "POST", Bulk, new { });
        Add(Bulk, "POST", Bulk, new { }, 403, "teacher", "research office", "training institution", "guide teacher", "learning platform");
        Add(Bulk, "POST", Bulk, new { under = School2 }, 404, "school admin");
        Add(Bulk, "POST", Bulk, new { under = County }, 404, "school admin"); // above the school
        Add(Bulk, "POST", Bulk, new { under = County }, 404, "another district's admin");
        Add(Bulk, "POST", Bulk, new { under = "" }, 404, "district admin");

        const string Job = "/api/credits/certificates/bulk/{id:guid}";
        const string Download = "/api/credits/certificates/bulk/{id:guid}/download";
        foreach (var (route, path) in new[] { (Job, $"{Bulk}/{jobId}"), (Download, $"{Bulk}/{jobId}/download") })
        {
            AddSignedOut(route, "GET", path, null);
            Add(route, "GET", path, null, 403, "teacher", "research office", "training institution", "guide teacher", "learning platform");
            // A school admin does not see the district's job: it holds every school's certificates.
            Add(route, "GET", path, null, 404, "school admin", "another school's admin", "another district's admin");
            Add(route, "GET", path, null, 200, "district admin", "city admin", "operator");
        }

        // Reports.
        foreach (var route in new[] { "/api/credits/reports/compliance", "/api/credits/reports/teachers", "/api/credits/reports/teachers/export" })
        {
            AddSignedOut(route, "GET", route, null);
            Add(route, "GET", route, null, 403, notStaff);
            Add(route, "GET", $"{route}?under={School2}", null, 404, "school admin");
            Add(route, "GET", $"{route}?under={County}", null, 404, "school admin", "another district's admin", "another research office");
            Add(route, "GET", $"{route}?under={OtherCounty}", null, 404, "district admin", "research office", "training institution");
            Add(route, "GET", route, null, 200, "school admin", "district admin", "research office", "training institution", "operator");
        }
        probes.Add(new Probe("/api/credits/reports/teachers", "GET", "/api/credits/reports/teachers", null, "another school's admin", 200,
            MustNotContain: teacherId.ToString()));
        probes.Add(new Probe("/api/credits/reports/teachers", "GET", "/api/credits/reports/teachers", null, "another district's admin", 200,
            MustNotContain: teacherId.ToString()));
        probes.Add(new Probe("/api/credits/reports/teachers", "GET", "/api/credits/reports/teachers", null, "school admin", 200,
            MustContain: teacherId.ToString()));

        // Policies: anyone signed in may read the rules; only the operator changes them.
        const string Policies = "/api/credits/policies";
        AddSignedOut(Policies, "GET", Policies, null);
        Add(Policies, "GET", Policies, null, 200, "teacher", "school admin", "operator");
        const string Policy = "/api/credits/policies/{code}";
        AddSignedOut(Policy, "PUT", $"{Policies}/scope-10", policy with { name = "改了" });
        Add(Policy, "PUT", $"{Policies}/scope-10", policy with { name = "改了" }, 403, "teacher", "school admin", "district admin", "research office",
            "training institution", "guide teacher", "learning platform");
        const string Activate = "/api/credits/policies/{code}/activate";
        AddSignedOut(Activate, "POST", $"{Policies}/seed-000/activate", null);
        Add(Activate, "POST", $"{Policies}/seed-000/activate", null, 403, "teacher", "school admin", "district admin", "research office",
            "training institution", "guide teacher", "learning platform");

        // Parked messages: the operator's alone. A queue that is not the service's is not found (and nothing moves).
        const string Parked = "/api/credits/operations/parked";
        const string Redrive = "/api/credits/operations/parked/{queue}/redrive";
        string[] notOperator = ["teacher", "school admin", "district admin", "city admin", "research office", "training institution", "guide teacher",
            "learning platform"];
        AddSignedOut(Parked, "GET", Parked, null);
        Add(Parked, "GET", Parked, null, 403, notOperator);
        Add(Parked, "GET", Parked, null, 200, "operator");
        AddSignedOut(Redrive, "POST", $"{Parked}/catalog-teacher-registered/redrive", null);
        Add(Redrive, "POST", $"{Parked}/catalog-teacher-registered/redrive", null, 403, notOperator);
        Add(Redrive, "POST", $"{Parked}/catalog-teacher-registered/redrive", null, 404, "operator");

        // The audit trail: the operator's (and the auditor's, tested in AuditTrailTests), read-only.
        foreach (var audit in new[] { "/api/credits/operations/audit", "/api/credits/operations/audit/verify", "/api/credits/operations/audit/export",
                     "/api/credits/operations/audit/archives" })
        {
            AddSignedOut(audit, "GET", audit, null);
            Add(audit, "GET", audit, null, 403, notOperator);
            Add(audit, "GET", audit, null, 200, "operator");
        }

        // ---- Every endpoint the service maps is in the table ----
        var mapped = _credits.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/credits", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .ToHashSet();
        var probed = probes.Select(p => $"{p.Method} {p.Route}").ToHashSet();
        Assert.Equal(mapped.Order(), probed.Order());
        var signedOut = probes.Where(p => p.Who == "anonymous" && p.Expected == 401).Select(p => $"{p.Method} {p.Route}").ToHashSet();
        Assert.Equal(mapped.Where(m => m != $"GET {Verify}" && m != $"GET {Chain}" && m != $"GET {Standings}").Order(), signedOut.Order());

        // ---- Run it: nothing refused may change anything ----
        var before = await FingerprintAsync(teachers);
        var failures = new List<string>();
        foreach (var probe in probes)
        {
            var (status, body) = await SendAsync(who[probe.Who], probe.Method, probe.Path, probe.Body);
            if (status != probe.Expected)
            {
                failures.Add($"{probe}: expected {probe.Expected}, got {status}: {body[..Math.Min(body.Length, 200)]}");
            }
            else if (probe.MustContain is not null && !body.Contains(probe.MustContain, StringComparison.Ordinal))
            {
                failures.Add($"{probe}: should show {probe.MustContain}");
            }
            else if (probe.MustNotContain is not null && body.Contains(probe.MustNotContain, StringComparison.Ordinal))
            {
                failures.Add($"{probe}: shows {probe.MustNotContain}, which is outside its scope");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {probes.Count} requests were answered wrongly:\n" + string.Join("\n", failures));
        Assert.Equal(before, await FingerprintAsync(teachers));

        // ---- The same writes in scope do go through ----
        await OkAsync(who["teacher"], "PUT", applicationPath, application with { hours = 18 }, 200);
        await OkAsync(who["school admin"], "POST", decisions, approve, 200);
        await OkAsync(who["research office"], "POST", decisions, approve, 200);
        await OkAsync(who["training institution"], "POST", decisions, approve, 200);
        await OkAsync(who["teacher"], "POST", Applications, application, 201);
        await OkAsync(who["school admin"], "POST", SchoolBased, registration, 200);
        await OkAsync(operatorClient, "POST", reopen, reopening, 201);
        await OkAsync(who["school admin"], "POST", Bulk, new { }, 202);
        await OkAsync(who["district admin"], "POST", Bulk, new { under = School2 }, 202);
        await OkAsync(operatorClient, "PUT", $"{Policies}/scope-10", policy with { name = "改了" }, 200);
        await OkAsync(operatorClient, "POST", $"{Policies}/scope-10/activate", null, 200);
        await OkAsync(who["district admin"], "POST", reverse, reason, 201);
        var after = await OkAsync(who["teacher"], "GET", MyTranscript, null, 200);
        Assert.Equal(12m + 18m + 5m - 12m, after.GetProperty("totalHours").GetDecimal());
    }
}
