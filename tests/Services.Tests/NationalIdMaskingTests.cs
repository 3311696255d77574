using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Security;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// ID numbers shown as the purpose needs: lists, pages and the ordinary export show 3716**********0028; the teacher
/// sees their own in full; the employing school, a district above it and the operator read the full number only on an
/// explicit request, each read leaving exactly one audit record; everyone else is refused and leaves none.
/// </summary>
public sealed class NationalIdMaskingTests : DirectoryTestBase
{
    private const string Id = "371602198503120028";
    private const string Masked = "3716**********0028";

    /// <summary>The records a full number leaves (setting up the school and its teachers leaves records of its own).</summary>
    private const string FullNumberReads =
        "select count(*) from audit_records where action in ('national-id-read', 'teachers-exported-with-national-ids')";
    private const string Audit = "/api/directory/operations/audit";

    private string _province = "", _county = "", _school = "", _otherSchool = "", _farSchool = "", _teacherId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var operatorClient = Operator();
        (_province, var city, _county, var farCounty) = (Unique("P"), Unique("C"), Unique("X"), Unique("X"));
        (_school, _otherSchool, _farSchool) = (Unique("S"), Unique("S"), Unique("S"));
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _province, name = "省", kind = "province" });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = city, name = "市", kind = "city", parentCode = _province });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _county, name = "县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = farCounty, name = "邻县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _school, name = "一中", kind = "school", parentCode = _county, stages = new[] { "senior" } });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _otherSchool, name = "二中", kind = "school", parentCode = _county, stages = new[] { "senior" } });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _farSchool, name = "邻县一中", kind = "school", parentCode = farCounty, stages = new[] { "senior" } });
        _county = $"{_province}/{city}/{_county}";
        _farSchool = $"{_province}/{city}/{farCounty}/{_farSchool}";

        using var admin = SchoolAdmin(_school);
        var created = await PostOk(admin, "/api/directory/teachers", new
        {
            nationalId = Id, name = "王丽", schoolCode = _school, stage = "senior", subject = "语文", hireDate = "2008-09-01",
            normalSchoolGraduate = true, classTeacher = false,
        });
        _teacherId = created.GetProperty("teacher").GetProperty("id").GetString()!;
        // The creator just typed the number and hands it over with the one-time password: the login is in full, the profile masked.
        Assert.Equal((Id, Masked), (created.GetProperty("login").GetString(), created.GetProperty("teacher").GetProperty("nationalId").GetString()));
    }

    [Fact]
    public async Task Lists_the_teacher_page_and_the_ordinary_export_show_the_masked_number_and_the_teacher_sees_their_own_in_full()
    {
        foreach (var client in new[] { SchoolAdmin(_school), District(_county), Operator() })
        {
            var list = await client.GetFromJsonAsync<JsonElement>($"/api/directory/teachers?schoolCode={_school}");
            Assert.Equal(Masked, Assert.Single(list.EnumerateArray()).GetProperty("nationalId").GetString());
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/directory/teachers/{_teacherId}");
            Assert.Equal(Masked, page.GetProperty("nationalId").GetString());

            var cells = await ExportCellsAsync(client, $"/api/directory/teachers/export?schoolCode={_school}");
            Assert.Equal(["身份证号", Masked], cells.Select(row => row[0]));
            Assert.DoesNotContain(cells.SelectMany(row => row), cell => cell.Contains("19850312", StringComparison.Ordinal));
        }

        var own = await Teacher(_teacherId).GetFromJsonAsync<JsonElement>($"/api/directory/teachers/{_teacherId}");
        Assert.Equal(Id, own.GetProperty("nationalId").GetString());
        Assert.Equal(0, await CountAsync(FullNumberReads));
    }

    [Fact]
    public async Task The_school_its_district_and_the_operator_read_the_full_number_on_request_and_each_read_leaves_one_audit_record()
    {
        var readers = new[] { SchoolAdmin(_school), District(_county), Operator() };
        for (var i = 0; i < readers.Length; i++)
        {
            var answer = await readers[i].GetFromJsonAsync<JsonElement>($"/api/directory/teachers/{_teacherId}/national-id");
            Assert.Equal((_teacherId, Id), (answer.GetProperty("teacherId").GetString(), answer.GetProperty("nationalId").GetString()));
            Assert.Equal(i + 1, await CountAsync($"select count(*) from audit_records where action = 'national-id-read' and target_kind = 'teacher' and target_id = '{_teacherId}'"));
        }
        Assert.Equal([Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator],
            (await AuditRecordsAsync("national-id-read")).Select(r => r.GetProperty("actorRole").GetString()).Reverse());
    }

    [Fact]
    public async Task Other_roles_other_schools_and_other_districts_are_refused_and_leave_no_record()
    {
        var refused = new (string Who, HttpClient Client)[]
        {
            ("another school", SchoolAdmin(_otherSchool)),
            ("another district", District(_farSchool[.._farSchool.LastIndexOf('/')])),
            ("research office", Role(Roles.ResearchOffice, _county)),
            ("training institution", Role(Roles.TrainingInstitution, _county)),
            ("guide teacher", Role(Roles.GuideTeacher, $"{_county}/{_school}")),
            ("auditor", Role(Roles.Auditor, "")),
            ("the teacher (their own page shows it)", Teacher(_teacherId)),
        };
        foreach (var (who, client) in refused)
        {
            using var response = await client.GetAsync($"/api/directory/teachers/{_teacherId}/national-id");
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{who}: {(int)response.StatusCode}");
        }
        foreach (var (who, client) in new[] { refused[2], refused[3] })
        {
            using var export = await client.GetAsync($"/api/directory/teachers/export?schoolCode={_school}&fullNationalIds=true");
            Assert.True(export.StatusCode == HttpStatusCode.Forbidden, $"{who} export: {(int)export.StatusCode}");
        }
        using var unknown = await Operator().GetAsync($"/api/directory/teachers/{Guid.NewGuid()}/national-id");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        Assert.Equal(0, await CountAsync(FullNumberReads));
    }

    [Fact]
    public async Task The_full_export_is_audited_once_per_export_and_the_ordinary_one_not_at_all()
    {
        var cells = await ExportCellsAsync(SchoolAdmin(_school), $"/api/directory/teachers/export?schoolCode={_school}&fullNationalIds=true");
        Assert.Equal(["身份证号", Id], cells.Select(row => row[0]));
        await ExportCellsAsync(District(_county), "/api/directory/teachers/export?fullNationalIds=true");
        await ExportCellsAsync(District(_county), "/api/directory/teachers/export");

        var records = await AuditRecordsAsync("teachers-exported-with-national-ids");
        Assert.Equal([("organisation", _county), ("school", _school)], records.Select(r => (r.GetProperty("targetKind").GetString(), r.GetProperty("targetId").GetString())));
        Assert.All(records, r => Assert.Contains("1 名教师", r.GetProperty("summary").GetString()));
        Assert.Equal(2, await CountAsync(FullNumberReads));
    }

    [Fact]
    public async Task The_audit_search_masks_a_login_that_is_an_id_number_but_keeps_the_stored_record_and_its_chain()
    {
        // A school may well give its admin the admin's own ID number as login.
        using var admin = ClientWith(Tokens.Issue(Roles.SchoolAdmin, Guid.NewGuid().ToString(), new Dictionary<string, object>
        {
            [PlatformClaims.Name] = "37160219900718003X",
            [PlatformClaims.OrganisationPath] = $"{_county}/{_school}",
        }));
        await admin.GetFromJsonAsync<JsonElement>($"/api/directory/teachers/{_teacherId}/national-id");

        var record = Assert.Single(await AuditRecordsAsync("national-id-read"));
        Assert.Equal("3716**********003X", record.GetProperty("actorLogin").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from audit_records where actor_login = '37160219900718003X'"));
        var verification = await Operator().GetFromJsonAsync<JsonElement>($"{Audit}/verify");
        Assert.True(verification.GetProperty("intact").GetBoolean(), verification.ToString());
    }

    private async Task<List<JsonElement>> AuditRecordsAsync(string action)
    {
        var page = await Role(Roles.Auditor, "").GetFromJsonAsync<JsonElement>($"{Audit}?action={action}");
        return [.. page.GetProperty("records").EnumerateArray()];
    }

    private static async Task<List<string[]>> ExportCellsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var book = new ClosedXML.Excel.XLWorkbook(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        return [.. book.Worksheet(1).RowsUsed().Select(r => r.Cells(1, 12).Select(c => c.GetString()).ToArray())];
    }

    private HttpClient Operator() => ClientWith(Tokens.Issue(Roles.PlatformOperator));

    private HttpClient SchoolAdmin(string school) => Role(Roles.SchoolAdmin, $"{_county}/{school}");

    private HttpClient District(string path) => Role(Roles.DistrictAdmin, path);

    private HttpClient Role(string role, string path) => ClientWith(Tokens.Issue(role, claims: new Dictionary<string, object>
    {
        [PlatformClaims.OrganisationPath] = path,
    }));

    private HttpClient Teacher(string teacherId) => ClientWith(Tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>
    {
        [PlatformClaims.TeacherId] = teacherId,
        [PlatformClaims.OrganisationPath] = $"{_county}/{_school}",
    }));
}
