using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Directory;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Teachers: registered by their school's admins, unique by ID number, scoped, transferable with history.</summary>
public sealed class TeacherTests : DirectoryTestBase
{
    private string _province = "", _city = "", _county = "", _school = "", _otherSchool = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        _province = Unique("P");
        _city = Unique("C");
        var city = _city;
        _county = Unique("X");
        _school = Unique("S");
        _otherSchool = Unique("S");
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _province, name = "省", kind = "province" });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = city, name = "市", kind = "city", parentCode = _province });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _county, name = "县", kind = "county", parentCode = city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _school, name = "一中", kind = "school", parentCode = _county, stages = new[] { "junior", "senior" } });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _otherSchool, name = "二中", kind = "school", parentCode = _county, stages = new[] { "junior" } });
    }

    [Fact]
    public async Task A_school_admin_registers_a_teacher_whose_birth_date_and_sex_come_from_the_ID_number()
    {
        using var admin = SchoolAdmin(_school);
        var created = await PostOk(admin, "/api/directory/teachers", Teacher("11010519491231002X", _school));

        var teacher = created.GetProperty("teacher");
        Assert.Equal("1949-12-31", teacher.GetProperty("birthDate").GetString());
        Assert.Equal("female", teacher.GetProperty("sex").GetString());
        Assert.Equal("new_teacher", teacher.GetProperty("tier").GetString());

        // The teacher signs in with their ID number (a lower-case x works) and the one-time password.
        using var signIn = await DirectoryService.CreateClient().PostAsJsonAsync("/api/directory/sign-in",
            new { login = "11010519491231002x", password = created.GetProperty("initialPassword").GetString() });
        var token = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(token.GetProperty("mustChangePassword").GetBoolean());
    }

    [Fact]
    public async Task Bad_profiles_are_refused_naming_each_field_and_nothing_is_saved()
    {
        using var admin = SchoolAdmin(_school);
        using var response = await admin.PostAsJsonAsync("/api/directory/teachers", new
        {
            nationalId = "110105194912310021", // wrong check character
            name = "王芳",
            schoolCode = _school,
            stage = "junior",
            subject = "通用技术",             // a senior-school subject
            hireDate = "2030-09-01",           // in the future
            normalSchoolGraduate = true,
            classTeacher = false,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("校验位", errors.GetProperty("nationalId")[0].GetString());
        Assert.Contains("不属于该学段", errors.GetProperty("subject")[0].GetString());
        Assert.True(errors.TryGetProperty("hireDate", out _));
        Assert.Equal(0, await CountAsync("select count(*) from teachers where name = '王芳'"));
    }

    [Fact]
    public async Task Malformed_json_and_fields_of_the_wrong_type_get_a_400_problem_and_change_nothing()
    {
        using var admin = SchoolAdmin(_school);
        using var malformed = await admin.PostAsync("/api/directory/teachers",
            new StringContent("{\"nationalId\": \"11010519491231002X\", \"name\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);

        using var wrongType = await admin.PostAsync("/api/directory/teachers",
            new StringContent("{\"nationalId\": \"11010519491231002X\", \"hireDate\": 2015}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Equal("application/problem+json", wrongType.Content.Headers.ContentType?.MediaType);

        Assert.Equal(0, await CountAsync("select count(*) from teachers"));
    }

    [Fact]
    public async Task A_title_that_looks_like_sql_is_just_a_title()
    {
        // Names admit no punctuation now; the professional title is free text, so the injection attempt moves there.
        const string title = "一级'); drop table teachers;--";
        using var admin = SchoolAdmin(_school);
        using var response = await admin.PostAsJsonAsync("/api/directory/teachers", new
        {
            nationalId = "11010519491231002X", name = "王丽", schoolCode = _school, stage = "senior", subject = "语文",
            hireDate = "2015-09-01", normalSchoolGraduate = true, classTeacher = false, title,
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(title, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("teacher").GetProperty("title").GetString());
        Assert.Equal(1, await CountAsync("select count(*) from teachers"));
    }

    [Fact]
    public async Task A_name_a_certificate_cannot_hold_is_refused_on_register_update_and_import_and_rare_characters_and_the_middle_dot_are_kept()
    {
        using var admin = SchoolAdmin(_school);
        foreach (var name in new[] { "王丽😀", "王\u0007丽", "王\u0378丽", "王\uE000丽", "王丽2", "·王丽" })
        {
            await BadInput.OnlyFieldRefusedAsync(admin, HttpMethod.Post, "/api/directory/teachers",
                Json(Teacher("11010519491231002X", _school) with { Name = name }), "name", "invalid-characters");
        }
        Assert.Equal(0, await CountAsync("select count(*) from teachers"));

        var rare = await PostOk(admin, "/api/directory/teachers", Teacher("371602198503120028", _school) with { Name = "𠀀〇" });
        Assert.Equal("𠀀〇", rare.GetProperty("teacher").GetProperty("name").GetString());
        // The dot an input method types for the middle dot is stored as the middle dot, so the certificate has one spelling.
        var minority = await PostOk(admin, "/api/directory/teachers", Teacher("371602199007180034", _school) with { Name = "阿依古丽・买买提" });
        Assert.Equal("阿依古丽·买买提", minority.GetProperty("teacher").GetProperty("name").GetString());

        var id = rare.GetProperty("teacher").GetProperty("id").GetString();
        await BadInput.OnlyFieldRefusedAsync(admin, HttpMethod.Put, $"/api/directory/teachers/{id}",
            Json(Teacher("371602198503120028", _school) with { Name = "王丽\u200B" }), "name", "invalid-characters");
        Assert.Equal(1, await CountAsync("select count(*) from teachers where name = '𠀀〇' and version = 1"));

        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var job = await ImportAndWaitAsync(operatorClient, "teachers", TeachersCsv($"440305198506150038,张伟🎉,{_school},高中,语文,2008-09-01,是,是,,"),
            "teachers.csv");
        Assert.Contains("表情符号", job.GetProperty("errors").ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("select count(*) from teachers where national_id = '440305198506150038'"));
    }

    [Fact]
    public async Task A_hire_date_after_today_in_the_province_is_refused_naming_the_field()
    {
        var tomorrow = TrainingPlatform.BuildingBlocks.Time.ProvinceCalendar.Today(TimeProvider.System).AddDays(1);
        using var admin = SchoolAdmin(_school);
        await BadInput.OnlyFieldRefusedAsync(admin, HttpMethod.Post, "/api/directory/teachers",
            Json(Teacher("11010519491231002X", _school) with { HireDate = $"{tomorrow:yyyy-MM-dd}" }), "hireDate", "future-date");
        Assert.Equal(0, await CountAsync("select count(*) from teachers"));
    }

    [Fact]
    public async Task Refusals_about_the_school_carry_a_kebab_case_rule_and_name_the_stages_in_Chinese()
    {
        using var noSuchStage = await SchoolAdmin(_otherSchool).PostAsJsonAsync("/api/directory/teachers",
            Teacher("440305198506150038", _otherSchool, stage: "senior", subject: "物理"));
        var problem = await noSuchStage.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSuchStage.StatusCode);
        Assert.Equal(("stage-not-at-school", "stage"), (problem.GetProperty("rule").GetString(), problem.GetProperty("field").GetString()));
        Assert.Equal("二中没有高中学段（该校学段：初中）", problem.GetProperty("detail").GetString());

        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        using var noSuchSchool = await operatorClient.PostAsJsonAsync("/api/directory/teachers", Teacher("440305198506150038", "NO-SUCH-SCHOOL"));
        problem = await noSuchSchool.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSuchSchool.StatusCode);
        Assert.Equal(("unknown-school", "schoolCode"), (problem.GetProperty("rule").GetString(), problem.GetProperty("field").GetString()));

        var id = (await PostOk(SchoolAdmin(_school), "/api/directory/teachers", Teacher("371602198503120028", _school))).GetProperty("teacher").GetProperty("id");
        using var updated = await SchoolAdmin(_school).PutAsJsonAsync($"/api/directory/teachers/{id}", Teacher("371602199007180034", _school));
        Assert.Equal("national-id-unchangeable", (await updated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rule").GetString());
        Assert.Equal(0, await CountAsync("select count(*) from teachers where national_id <> '371602198503120028'"));
    }

    [Fact]
    public async Task Another_schools_or_another_districts_teachers_are_not_found_not_an_empty_list()
    {
        await PostOk(SchoolAdmin(_otherSchool), "/api/directory/teachers", Teacher("440305198506150038", _otherSchool, stage: "junior"));
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var (farCounty, farSchool) = (Unique("X"), Unique("S"));
        await PostOk(operatorClient, "/api/directory/organisations", new { code = farCounty, name = "邻县", kind = "county", parentCode = _city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = farSchool, name = "邻县一中", kind = "school", parentCode = farCounty, stages = new[] { "junior" } });
        using var district = ClientWith(Tokens.Issue(Roles.DistrictAdmin, claims: new Dictionary<string, object>
        {
            [PlatformClaims.OrganisationPath] = $"{_province}/{_city}/{_county}",
        }));

        foreach (var (client, code) in new[] { (SchoolAdmin(_school), _otherSchool), (district, farSchool), (district, "NO-SUCH-SCHOOL") })
        {
            foreach (var path in new[] { $"/api/directory/teachers?schoolCode={code}", $"/api/directory/teachers/export?schoolCode={code}" })
            {
                using var response = await client.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        // In scope, the list is the list.
        Assert.Equal(1, (await district.GetFromJsonAsync<JsonElement>($"/api/directory/teachers?schoolCode={_otherSchool}")).GetArrayLength());
        Assert.Equal(0, (await district.GetFromJsonAsync<JsonElement>($"/api/directory/teachers?schoolCode={_school}")).GetArrayLength());
    }

    [Fact]
    public async Task A_profile_correction_is_saved_and_announced_but_the_ID_number_and_school_stay()
    {
        using var admin = SchoolAdmin(_school);
        var id = (await PostOk(admin, "/api/directory/teachers", Teacher("371602198503120028", _school))).GetProperty("teacher").GetProperty("id").GetString();

        using var corrected = await admin.PutAsJsonAsync($"/api/directory/teachers/{id}", Teacher("371602198503120028", _school, stage: "junior", subject: "历史"));
        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
        Assert.Equal("历史", (await corrected.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("subject").GetString());
        Assert.Equal(1, await CountAsync($"select count(*) from outbox_messages where body->>'teacherId' = '{id}' and body->>'change' = 'updated' and body->>'subject' = '历史'"));

        using var otherId = await admin.PutAsJsonAsync($"/api/directory/teachers/{id}", Teacher("371602199007180034", _school));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherId.StatusCode);
        using var otherSchool = await admin.PutAsJsonAsync($"/api/directory/teachers/{id}", Teacher("371602198503120028", _otherSchool, stage: "junior"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherSchool.StatusCode);
    }

    [Fact]
    public async Task The_same_ID_number_at_another_school_is_a_conflict_that_names_that_school()
    {
        await PostOk(SchoolAdmin(_school), "/api/directory/teachers", Teacher("440305198506150038", _school, stage: "junior"));

        using var again = await SchoolAdmin(_otherSchool).PostAsJsonAsync("/api/directory/teachers",
            Teacher("440305198506150038", _otherSchool, stage: "junior"));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("一中", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_school_admin_cannot_register_into_another_school_and_a_school_must_teach_the_stage()
    {
        using var outside = await SchoolAdmin(_school).PostAsJsonAsync("/api/directory/teachers", Teacher("440305198506150038", _otherSchool, stage: "junior"));
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);

        using var noSuchStage = await SchoolAdmin(_otherSchool).PostAsJsonAsync("/api/directory/teachers",
            Teacher("440305198506150038", _otherSchool, stage: "senior", subject: "物理"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSuchStage.StatusCode);
    }

    [Fact]
    public async Task A_teacher_sees_their_own_record_and_no_one_elses()
    {
        var me = (await PostOk(SchoolAdmin(_school), "/api/directory/teachers", Teacher("371602198503120028", _school))).GetProperty("teacher");
        var colleague = (await PostOk(SchoolAdmin(_school), "/api/directory/teachers", Teacher("371602199007180034", _school))).GetProperty("teacher");
        var myId = me.GetProperty("id").GetString()!;
        using var teacher = ClientWith(Tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>
        {
            [PlatformClaims.TeacherId] = myId,
            [PlatformClaims.OrganisationPath] = SchoolPath(_school),
        }));

        Assert.Equal(HttpStatusCode.OK, (await teacher.GetAsync($"/api/directory/teachers/{myId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await teacher.GetAsync($"/api/directory/teachers/{colleague.GetProperty("id").GetString()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await teacher.GetAsync("/api/directory/teachers")).StatusCode);
    }

    [Fact]
    public async Task A_transfer_keeps_the_teacher_and_their_history_and_announces_the_new_school()
    {
        var teacher = (await PostOk(SchoolAdmin(_school), "/api/directory/teachers", Teacher("371602199301250048", _school, stage: "junior", subject: "英语")))
            .GetProperty("teacher");
        var id = teacher.GetProperty("id").GetString()!;
        using var district = ClientWith(Tokens.Issue(Roles.DistrictAdmin, claims: new Dictionary<string, object>
        {
            [PlatformClaims.OrganisationPath] = SchoolPath(_school)[..SchoolPath(_school).LastIndexOf('/')],
        }));

        using var moved = await district.PostAsJsonAsync($"/api/directory/teachers/{id}/transfer", new { schoolCode = _otherSchool });

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(_otherSchool, (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schoolCode").GetString());
        Assert.Equal(1, await CountAsync($"select count(*) from teacher_transfers where teacher_id = '{id}'"));
        Assert.Equal(1, await CountAsync(
            $"select count(*) from outbox_messages where body->>'teacherId' = '{id}' and body->>'change' = 'transferred' and (body->>'version')::int = 2"));
        // The teacher's own account now belongs to the new school, so their token's scope follows them.
        Assert.Equal(1, await CountAsync(
            $"select count(*) from accounts a join organisations o on o.id = a.organisation_id where a.teacher_id = '{id}' and o.code = '{_otherSchool}'"));
    }

    private string SchoolPath(string school) => $"{_province}/{_city}/{_county}/{school}";

    private static TeacherBody Teacher(string nationalId, string school, string stage = "senior", string subject = "语文") =>
        new(nationalId, "测试教师", school, stage, subject, "2015-09-01", true, false);

    private sealed record TeacherBody(string NationalId, string Name, string SchoolCode, string Stage, string Subject, string HireDate,
        bool NormalSchoolGraduate, bool ClassTeacher);

    private static string Json(TeacherBody body) => JsonSerializer.Serialize(body, JsonSerializerOptions.Web);

    private HttpClient SchoolAdmin(string school) => ClientWith(Tokens.Issue(Roles.SchoolAdmin, claims: new Dictionary<string, object>
    {
        [PlatformClaims.OrganisationPath] = SchoolPath(school),
    }));




}
