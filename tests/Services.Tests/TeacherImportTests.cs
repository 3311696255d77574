using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Bulk import of teachers from a bureau's spreadsheet, in the background, all or nothing, idempotent.</summary>
public sealed class TeacherImportTests : DirectoryTestBase
{
    private HttpClient _district = null!;
    private string _school = "", _foreignSchool = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var (province, city, county, otherCounty) = (Unique("P"), Unique("C"), Unique("X"), Unique("X"));
        _school = Unique("S");
        _foreignSchool = Unique("S");
        foreach (var body in new object[]
                 {
                     new { code = province, name = "省", kind = "province" },
                     new { code = city, name = "市", kind = "city", parentCode = province },
                     new { code = county, name = "县", kind = "county", parentCode = city },
                     new { code = otherCounty, name = "邻县", kind = "county", parentCode = city },
                     new { code = _school, name = "一中", kind = "school", parentCode = county, stages = new[] { "junior", "senior" } },
                     new { code = _foreignSchool, name = "邻县一中", kind = "school", parentCode = otherCounty, stages = new[] { "senior" } },
                 })
        {
            using var response = await operatorClient.PostAsJsonAsync("/api/directory/organisations", body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        _district = ClientWith(Tokens.Issue(Roles.DistrictAdmin, "district-admin",
            new Dictionary<string, object> { [PlatformClaims.OrganisationPath] = $"{province}/{city}/{county}" }));
    }

    public override async Task DisposeAsync()
    {
        _district.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_file_with_bad_rows_lists_each_by_line_column_and_reason_and_imports_nothing()
    {
        var job = await ImportAsync(TeachersCsv(
            $"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝",
            $"371602199007180035,李强,{_school},初中,数学,2013-09-01,是,否,,",        // wrong check character
            $"371602199301250048,张敏,{_school},初中,通用技术,2016-09-01,否,是,,",     // a senior subject
            $"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,,",          // the first row again
            $"371602198809090052,刘洋,{_foreignSchool},高中,物理,2024-09-01,否,否,,",  // another district's school
            $"371602199506010064,陈静,NOPE,初中,语文,2018-09-01,是,否,,"));             // no such school

        Assert.Equal("failed", job.GetProperty("status").GetString());
        var errors = job.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetString())).ToList();
        Assert.Equal([(3, "身份证号"), (4, "学科"), (5, "身份证号"), (6, "学校代码"), (7, "学校代码")], errors);
        Assert.Equal(0, await CountAsync("select count(*) from teachers"));
        Assert.Equal(0, await CountAsync("select count(*) from outbox_messages where message_type like '%TeacherProfileChanged%'"));
    }

    [Fact]
    public async Task A_good_file_imports_every_teacher_and_importing_it_again_changes_nothing()
    {
        var file = TeachersCsv(
            $"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝",
            $"371602199007180034,李强,{_school},初中,数学,2013-09-01,是,否,,扬帆");

        var first = await ImportAsync(file);
        Assert.Equal("succeeded", first.GetProperty("status").GetString());
        Assert.Equal((2, 2, 2), (first.GetProperty("totalRows").GetInt32(), first.GetProperty("rowsDone").GetInt32(), first.GetProperty("created").GetInt32()));

        var again = await ImportAsync(file);
        Assert.Equal("succeeded", again.GetProperty("status").GetString());
        Assert.Equal((0, 0, 2), (again.GetProperty("created").GetInt32(), again.GetProperty("updated").GetInt32(), again.GetProperty("unchanged").GetInt32()));
        Assert.Equal(2, await CountAsync("select count(*) from teachers"));
        Assert.Equal(2, await CountAsync("select count(*) from outbox_messages where message_type like '%TeacherProfileChanged%'"));

        // The events were built in SQL; they must read as the contract the consumers expect.
        await using var connection = await DirectoryService.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var body = await connection.ExecuteScalarAsync<string>(
            "select body::text from outbox_messages where body->>'nationalId' = '371602198503120028'");
        var announced = JsonSerializer.Deserialize<TeacherProfileChanged>(body!, MessageTypes.JsonOptions)!;
        Assert.Equal(("王丽", "senior", "语文", TeacherChanges.Registered), (announced.Name, announced.Stage, announced.Subject, announced.Change));
        Assert.Equal((new DateOnly(1985, 3, 12), new DateOnly(2008, 9, 1), 1), (announced.BirthDate, announced.HireDate, announced.Version));
        Assert.EndsWith("/" + _school, announced.SchoolPath);
    }

    [Fact]
    public async Task A_teacher_already_registered_at_another_school_is_refused_as_a_transfer_not_imported()
    {
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        using var registered = await operatorClient.PostAsJsonAsync("/api/directory/teachers", new
        {
            nationalId = "371602198503120028", name = "王丽", schoolCode = _foreignSchool, stage = "senior", subject = "语文",
            hireDate = "2008-09-01", normalSchoolGraduate = true, classTeacher = true,
        });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        var job = await ImportAsync(TeachersCsv($"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝"));

        Assert.Equal("failed", job.GetProperty("status").GetString());
        var error = Assert.Single(job.GetProperty("errors").EnumerateArray());
        Assert.Contains("邻县一中", error.GetProperty("reason").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from teachers"));
    }

    [Fact]
    public async Task An_exported_workbook_with_full_ID_numbers_imports_back_unchanged_and_an_edit_in_it_is_applied()
    {
        await ImportAsync(TeachersCsv($"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝"));

        // The ordinary export masks the ID numbers, and a masked number cannot be imported: said so, row by row.
        using var masked = await _district.GetAsync($"/api/directory/teachers/export?schoolCode={_school}");
        var refused = await ImportAsync(await masked.Content.ReadAsByteArrayAsync(), "teachers.xlsx");
        Assert.Equal("failed", refused.GetProperty("status").GetString());
        Assert.Contains("脱敏", Assert.Single(refused.GetProperty("errors").EnumerateArray()).GetProperty("reason").GetString());

        // The export for editing carries the full numbers (an audited export).
        using var export = await _district.GetAsync($"/api/directory/teachers/export?schoolCode={_school}&fullNationalIds=true");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var workbook = await export.Content.ReadAsByteArrayAsync();

        var unchanged = await ImportAsync(workbook, "teachers.xlsx");
        Assert.Equal((1, 0), (unchanged.GetProperty("unchanged").GetInt32(), unchanged.GetProperty("updated").GetInt32()));

        using var edited = new MemoryStream();
        using (var book = new ClosedXML.Excel.XLWorkbook(new MemoryStream(workbook)))
        {
            book.Worksheet(1).Cell(2, 10).Value = "高级教师"; // 职称
            book.SaveAs(edited);
        }
        var updated = await ImportAsync(edited.ToArray(), "teachers.xlsx");
        Assert.Equal(1, updated.GetProperty("updated").GetInt32());
        Assert.Equal(1, await CountAsync("select count(*) from teachers where title = '高级教师' and version = 2"));
    }

    [Fact]
    public async Task Imported_teachers_sign_in_with_one_time_passwords_from_their_school_and_then_no_longer_with_pinyin()
    {
        await ImportAsync(TeachersCsv(
            $"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝",
            $"371602199007180034,李强,{_school},初中,数学,2013-09-01,是,否,,扬帆"));
        // No password exists, so none works — not even an empty hash's favourite, the empty string, which the form refuses anyway.
        // Only the first-sign-in convention does, the name's pinyin (SignInTests), until the school issues a password.
        using var before = await PostSignInAsync("371602198503120028", "Guess-2026");
        Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        using var pinyinBefore = await PostSignInAsync("371602198503120028", "wangli");
        Assert.Equal(HttpStatusCode.OK, pinyinBefore.StatusCode);

        using var issued = await _district.PostAsJsonAsync("/api/directory/teachers/initial-passwords", new { schoolCode = _school });
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        using var sheet = new ClosedXML.Excel.XLWorkbook(new MemoryStream(await issued.Content.ReadAsByteArrayAsync()));
        var rows = sheet.Worksheet(1).RowsUsed().Skip(1).Select(r => (Id: r.Cell(1).GetString(), Password: r.Cell(3).GetString())).ToList();
        Assert.Equal(2, rows.Count);

        using var signIn = await PostSignInAsync(rows[0].Id, rows[0].Password);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.True((await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mustChangePassword").GetBoolean());
        using var pinyinAfter = await PostSignInAsync("371602198503120028", "wangli");
        Assert.Equal(HttpStatusCode.Unauthorized, pinyinAfter.StatusCode); // it has a password now

        using var again = await _district.PostAsJsonAsync("/api/directory/teachers/initial-passwords", new { schoolCode = _school });
        Assert.Equal("0", again.Headers.GetValues("X-Passwords-Issued").Single()); // each password is handed out once
    }

    [Fact]
    public async Task A_gzip_compressed_csv_imports_like_the_plain_one()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(TeachersCsv($"371602198503120028,王丽,{_school},高中,语文,2008-09-01,是,是,一级教师,深蓝"));
        }

        var job = await ImportAsync(compressed.ToArray(), "teachers.csv.gz");

        Assert.Equal((("succeeded"), 1), (job.GetProperty("status").GetString(), job.GetProperty("created").GetInt32()));
    }

    [Fact]
    public async Task An_upload_that_is_not_a_spreadsheet_or_is_too_large_is_refused_at_once_and_queues_nothing()
    {
        using var notASheet = new MultipartFormDataContent { { new ByteArrayContent([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]), "file", "teachers.csv" } };
        using var refused = await _district.PostAsync("/api/directory/imports/teachers", notASheet);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("file", out _));

        using var huge = new MultipartFormDataContent { { new ByteArrayContent(new byte[51 * 1024 * 1024]), "file", "teachers.csv" } };
        using var tooLarge = await _district.PostAsync("/api/directory/imports/teachers", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);

        Assert.Equal(0, await CountAsync("select count(*) from import_jobs"));
    }

    private Task<JsonElement> ImportAsync(byte[] content, string fileName = "teachers.csv") =>
        ImportAndWaitAsync(_district, "teachers", content, fileName);
}
