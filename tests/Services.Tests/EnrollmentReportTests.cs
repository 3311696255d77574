using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClosedXML.Excel;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Services.Enrollment;
using TrainingPlatform.Services.Enrollment.Reports;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// The school and district views of Enrollment, on its local copies seeded directly: city 3716 → county 371602 →
/// schools S1 (six teachers in post, one each of every status, and one not in post) and S2 (one on track); city 3704 →
/// county 370402 → school S3 (one teacher). The year is half-way through its required study (48 of 96 days: 18 of 36
/// hours expected); course selection closed the day before study started. Every code, path and year code carries this
/// test's own tag: other tests' services publish teachers, organisations and years at paths like 37/3716/371602/S1,
/// and every copy of Enrollment on the shared broker receives them.
/// </summary>
public sealed class EnrollmentReportTests : IAsyncLifetime
{
    private static readonly DateOnly Today = ProvinceCalendar.Today(TimeProvider.System);

    private readonly TestTokens _tokens = new();
    private ServiceFactory<EnrollmentApi> _enrollment = null!;

    private static readonly Dictionary<string, string> Tree = new()
    {
        ["37"] = "", ["3716"] = "37", ["371602"] = "3716", ["S1"] = "371602", ["S2"] = "371602", ["3704"] = "37", ["370402"] = "3704", ["S3"] = "370402",
    };

    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly Dictionary<string, string> _paths = [];
    private string Year => "Y" + _tag;
    private string NextYear => "Z" + _tag;

    /// <summary>This test's code for the organisation the summary calls <paramref name="name"/>.</summary>
    private string Code(string name) => name + _tag;

    private readonly Guid _year = Guid.NewGuid();
    private readonly Dictionary<string, Guid> _courses = [];
    private readonly Dictionary<string, Guid> _teachers = [];

    public async Task InitializeAsync()
    {
        // The export worker sweeps what is past retention every second, so a test sees it on the worker's next pass.
        _enrollment = await ServiceFactory<EnrollmentApi>.CreateAsync(await TestServers.GetAsync(), _tokens, EnrollmentApi.DatabaseName,
            new Dictionary<string, string?> { ["Enrollment:Exports:SweepEvery"] = "00:00:01" });
        await using var connection = await Db.OpenConnectionAsync();
        foreach (var (name, parent) in Tree)
        {
            var path = _paths[name] = parent.Length == 0 ? Code(name) : $"{_paths[parent]}/{Code(name)}";
            var kind = path.Count(c => c == '/') switch { 0 => "province", 1 => "city", 2 => "county", _ => "school" };
            await connection.ExecuteAsync("""
                insert into organisations (id, code, name, kind, path, updated_at) values (gen_random_uuid(), @Code, @Name, @Kind, @Path, now())
                """, new { Code = Code(name), Name = name.StartsWith('S') ? $"第{name[1..]}小学" : $"机构{name}", Kind = kind, Path = path });
        }
        await InsertYearAsync(connection, _year, Year, studyStarts: Today.AddDays(-48), requiredStudyEnds: Today.AddDays(48));
        foreach (var (code, kind, hours) in new[] { ("R1", "required", 10m), ("R2", "required", 12m), ("E1", "elective", 4m), ("E2", "elective", 4m),
                     ("E3", "elective", 4m), ("E4", "elective", 4m), ("E5", "elective", 4m) })
        {
            _courses[code] = Guid.NewGuid();
            await connection.ExecuteAsync("""
                insert into courses (id, content_id, code, version, title, hours, category, mode, level, stages, subjects, status, changed_at)
                values (@Id, gen_random_uuid(), @Code, 1, @Title, @Hours, 'subject', 'online', 'provincial', '{primary}', '{}', 'published', now())
                """, new { Id = _courses[code], Code = code, Title = $"{kind}课程 {code}", Hours = hours });
        }

        // S1: one teacher of each status, plus one not in post; "+" marks a completed course, "~" one with some progress.
        await TeacherAsync(connection, "教师A", "S1", "+R1 +R2 +E1 +E2 +E3 +E4");  // 38 h done: completed
        await TeacherAsync(connection, "教师B", "S1", "+R1 R2 E1 E2 E3 E4");        // 10 h done of 18 expected: behind
        await TeacherAsync(connection, "教师C", "S1", "+R1 +R2 E1 E2");              // 8 elective hours of 14: behind
        await TeacherAsync(connection, "教师D", "S1", "R1 R2 E1 E2 E3 E4");          // nothing studied: not started
        await TeacherAsync(connection, "教师E", "S1", "+R1 +R2 ~E1 E2 E3 E4 -E5");   // 22 h, the dropped E5 does not count: on track
        await TeacherAsync(connection, "教师F", "S1", "R1 R2");                      // opted out
        await TeacherAsync(connection, "教师G", "S1", "R1 R2", inPost: false);       // 内退: not counted
        await TeacherAsync(connection, "教师H", "S2", "+R1 +R2 E1 E2 E3 E4");        // on track
        await TeacherAsync(connection, "教师I", "S3", "+R1 +R2 +E1 +E2 +E3 +E4");    // completed, another city
        await connection.ExecuteAsync("""
            insert into opt_outs (teacher_id, program_year_id, statement_reference, reason, recorded_by, recorded_at)
            values (@Teacher, @Year, 'BZS-2030-07', '病休', '校管理员', now())
            """, new { Teacher = _teachers["教师F"], Year = _year });
        await RebuildTalliesAsync();
    }

    public async Task DisposeAsync() => await _enrollment.DisposeAsync();

    /// <summary>
    /// The teachers and enrollments are written straight into the tables, as data the service finds after a migration:
    /// the views read the running tallies, so an operator's rebuild builds them from the enrollments first.
    /// </summary>
    private async Task RebuildTalliesAsync()
    {
        var operatorClient = Admin(Roles.PlatformOperator, "37");
        using var response = await operatorClient.PostAsync("/api/enrollment/operations/progress-tallies/rebuilds", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await Eventually.HoldsAsync(async () =>
            (await GetAsync(operatorClient, $"/api/enrollment/operations/progress-tallies/rebuilds/{id}")).GetProperty("doneAt").ValueKind != JsonValueKind.Null,
            TimeSpan.FromSeconds(60), "the tallies rebuilt");
    }

    private NpgsqlDataSource Db => _enrollment.Services.GetRequiredService<NpgsqlDataSource>();

    [Fact]
    public async Task A_school_admin_sees_each_in_post_teacher_of_the_school_with_figures_status_and_reason()
    {
        var list = await GetAsync(Admin(Roles.SchoolAdmin, "S1"), $"/api/enrollment/years/{Year}/teachers");
        Assert.Equal(6, list.GetProperty("total").GetInt64());
        var items = list.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.Equal(["教师A", "教师B", "教师C", "教师D", "教师E", "教师F"], items.Keys);
        Assert.Equal(
            ["completed", "behind", "behind", "not_started", "on_track", "opted_out"],
            items.Values.Select(i => i.GetProperty("status").GetString()));

        var a = items["教师A"];
        Assert.Equal((22m, 16m, 38m, 105.6m), (a.GetProperty("requiredHours").GetDecimal(), a.GetProperty("electiveHours").GetDecimal(),
            a.GetProperty("hoursDone").GetDecimal(), a.GetProperty("percentOfMinimum").GetDecimal()));
        Assert.Equal((Code("S1"), "第1小学", "primary", "数学"), (a.GetProperty("schoolCode").GetString(), a.GetProperty("schoolName").GetString(),
            a.GetProperty("stage").GetString(), a.GetProperty("subject").GetString()));
        Assert.Equal("已完成 10 学时，按进度此时应完成 18 学时（必修学习期已过 50%）", items["教师B"].GetProperty("reason").GetString());
        Assert.Equal($"已选选修 8 学时，少于 14 学时（选课已于 {Today.AddDays(-49):yyyy-MM-dd} 截止）", items["教师C"].GetProperty("reason").GetString());
        Assert.StartsWith("尚未开始学习", items["教师D"].GetProperty("reason").GetString());
        Assert.Equal(16m, items["教师E"].GetProperty("electiveHours").GetDecimal());
        Assert.Contains("BZS-2030-07", items["教师F"].GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("behind", new[] { "教师B", "教师C" })]
    [InlineData("not_started", new[] { "教师D" })]
    [InlineData("opted_out", new[] { "教师F" })]
    [InlineData("completed", new[] { "教师A" })]
    [InlineData("on_track", new[] { "教师E", "教师H" })]
    [InlineData("all", new[] { "教师A", "教师B", "教师C", "教师D", "教师E", "教师F", "教师H" })]
    public async Task Filters_pick_the_teachers_of_one_status(string filter, string[] names)
    {
        var list = await GetAsync(Admin(Roles.DistrictAdmin, "371602"), $"/api/enrollment/years/{Year}/teachers?filter={filter}");
        Assert.Equal(names, list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(names.Length, list.GetProperty("total").GetInt64());
        if (filter != "all")
        {
            Assert.All(list.GetProperty("items").EnumerateArray(), i => Assert.Equal(filter, i.GetProperty("status").GetString()));
        }
    }

    [Fact]
    public async Task Pages_come_in_school_and_name_order_each_pointing_to_the_next_and_say_how_many_there_are()
    {
        var county = Admin(Roles.DistrictAdmin, "371602");
        var names = new List<string[]>();
        string? next = null;
        do
        {
            var page = await GetAsync(county, $"/api/enrollment/years/{Year}/teachers?pageSize=3{(next is null ? "" : "&after=" + Uri.EscapeDataString(next))}");
            Assert.Equal(7, page.GetProperty("total").GetInt64());
            names.Add([.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!)]);
            next = page.GetProperty("next").GetString();
        }
        while (next is not null);
        Assert.Equal([["教师A", "教师B", "教师C"], ["教师D", "教师E", "教师F"], ["教师H"]], names);

        var bad = await GetAsync(county, $"/api/enrollment/years/{Year}/teachers?after=not-a-cursor&pageSize=1000&filter=lazy", HttpStatusCode.BadRequest);
        Assert.Equal(["after", "filter", "pageSize"], bad.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task Nobody_sees_outside_their_scope_and_an_organisation_outside_it_is_not_found()
    {
        var school = Admin(Roles.SchoolAdmin, "S1");
        var county = Admin(Roles.DistrictAdmin, "371602");
        await GetAsync(school, $"/api/enrollment/years/{Year}/teachers?under={Code("S2")}", HttpStatusCode.NotFound);
        await GetAsync(school, $"/api/enrollment/years/{Year}/report?under={Code("371602")}", HttpStatusCode.NotFound);
        await GetAsync(county, $"/api/enrollment/years/{Year}/teachers?under={Code("S3")}", HttpStatusCode.NotFound);
        await GetAsync(county, $"/api/enrollment/years/{Year}/teachers/export?under={Code("370402")}", HttpStatusCode.NotFound);
        await GetAsync(county, $"/api/enrollment/years/{Year}/teachers?under=NOPE", HttpStatusCode.NotFound);
        await GetAsync(county, "/api/enrollment/years/1999/teachers", HttpStatusCode.NotFound);
        await GetAsync(Teacher(_teachers["教师A"]), $"/api/enrollment/years/{Year}/teachers", HttpStatusCode.Forbidden);

        var s2 = await GetAsync(county, $"/api/enrollment/years/{Year}/teachers?under={Code("S2")}");
        Assert.Equal(["教师H"], s2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var other = await GetAsync(Admin(Roles.DistrictAdmin, "3704"), $"/api/enrollment/years/{Year}/teachers");
        Assert.Equal(["教师I"], other.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_county_is_rolled_up_by_school_and_a_city_or_the_province_by_county()
    {
        var county = await GetAsync(Admin(Roles.DistrictAdmin, "371602"), $"/api/enrollment/years/{Year}/report");
        Assert.Equal(18m, county.GetProperty("expectedHours").GetDecimal());
        Assert.Equal(Code("371602"), county.GetProperty("under").GetProperty("code").GetString());
        var groups = county.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("code").GetString()!);
        Assert.Equal([Code("S1"), Code("S2")], groups.Keys);
        Assert.Equal("第1小学", groups[Code("S1")].GetProperty("name").GetString());
        Assert.Equal((6, 1, 1, 2, 1, 1, 15.3m, 16.7m), Counts(groups[Code("S1")]));
        Assert.Equal((1, 0, 1, 0, 0, 0, 22.0m, 0m), Counts(groups[Code("S2")]));
        Assert.Equal((7, 1, 2, 2, 1, 1, 16.3m, 14.3m), Counts(county.GetProperty("total")));

        var city = await GetAsync(Admin(Roles.DistrictAdmin, "3716"), $"/api/enrollment/years/{Year}/report");
        Assert.Equal([Code("371602")], city.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("code").GetString()));
        Assert.Equal((7, 1, 2, 2, 1, 1, 16.3m, 14.3m), Counts(city.GetProperty("total")));

        var province = await GetAsync(Admin(Roles.PlatformOperator, "37"), $"/api/enrollment/years/{Year}/report?under={Code("37")}");
        var counties = province.GetProperty("groups").EnumerateArray().ToDictionary(g => g.GetProperty("code").GetString()!);
        Assert.Equal([Code("370402"), Code("371602")], counties.Keys);
        Assert.Equal("county", counties[Code("370402")].GetProperty("kind").GetString());
        Assert.Equal((1, 1, 0, 0, 0, 0, 38.0m, 100.0m), Counts(counties[Code("370402")]));
        Assert.Equal(8, province.GetProperty("total").GetProperty("teachers").GetInt32());

        var oneSchool = await GetAsync(Admin(Roles.SchoolAdmin, "S1"), $"/api/enrollment/years/{Year}/report");
        Assert.Equal([Code("S1")], oneSchool.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task The_export_is_a_workbook_with_chinese_headers_and_a_row_per_teacher_in_scope()
    {
        using var response = await Admin(Roles.DistrictAdmin, "371602").GetAsync($"/api/enrollment/years/{Year}/teachers/export?under={Code("371602")}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal(TeacherProgressSheet.ContentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"teachers-{Year}-{Code("371602")}.xlsx", response.Content.Headers.ContentDisposition?.FileNameStar);
        using var workbook = new XLWorkbook(await response.Content.ReadAsStreamAsync());
        var sheet = workbook.Worksheets.First();
        Assert.Equal(["姓名", "学校", "学校代码", "学段", "学科", "必修学时", "选修学时", "已完成学时", "完成比例(%)", "状态", "原因"],
            sheet.Row(1).Cells(1, 11).Select(c => c.GetString()));
        Assert.Equal(8, sheet.LastRowUsed().RowNumber());
        var b = sheet.Rows(2, 8).Single(r => r.Cell(1).GetString() == "教师B");
        Assert.Equal(["教师B", "第1小学", Code("S1"), "小学", "数学"], b.Cells(1, 5).Select(c => c.GetString()));
        Assert.Equal([22.0, 16.0, 10.0, 27.8], b.Cells(6, 9).Select(c => c.GetDouble()));
        Assert.Equal("进度落后", b.Cell(10).GetString());
        Assert.Equal("已完成 10 学时，按进度此时应完成 18 学时（必修学习期已过 50%）", b.Cell(11).GetString());

        using var behind = await Admin(Roles.SchoolAdmin, "S1").GetAsync($"/api/enrollment/years/{Year}/teachers/export?filter=behind");
        using var behindBook = new XLWorkbook(await behind.Content.ReadAsStreamAsync());
        Assert.Equal(["教师B", "教师C"], behindBook.Worksheets.First().Rows(2, 3).Select(r => r.Cell(1).GetString()));
        Assert.Equal(3, behindBook.Worksheets.First().LastRowUsed().RowNumber());
    }

    [Fact]
    public async Task The_streamed_export_says_what_the_tallies_say_row_for_row()
    {
        using var response = await Admin(Roles.DistrictAdmin, "3716").GetAsync($"/api/enrollment/years/{Year}/teachers/export");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var workbook = new XLWorkbook(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheets.Single();
        Assert.Equal(TeacherProgressSheet.Headers, sheet.Row(1).Cells(1, 11).Select(c => c.GetString()));
        Assert.Equal(1, sheet.SheetView.SplitRow);
        Assert.Equal(await TalliesAsSheetRowsAsync("3716"), SheetRows(sheet));
    }

    [Fact]
    public async Task A_background_export_runs_to_the_end_with_progress_and_its_file_holds_every_teacher_in_scope()
    {
        var county = Admin(Roles.DistrictAdmin, "371602");
        using var start = await county.PostAsJsonAsync($"/api/enrollment/years/{Year}/teachers/exports", new { under = Code("371602") });
        var started = JsonDocument.Parse(await start.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, started.ToString());
        Assert.Equal(7, started.GetProperty("total").GetInt64());
        var self = started.GetProperty("links").GetProperty("self").GetString()!;
        Assert.Equal(self, start.Headers.Location?.OriginalString);

        JsonElement job = default;
        await Eventually.HoldsAsync(async () =>
        {
            job = await GetAsync(county, self);
            return job.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(90), "the export to finish");
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal((7, 7), (job.GetProperty("done").GetInt64(), job.GetProperty("total").GetInt64()));

        using var file = await county.GetAsync(job.GetProperty("links").GetProperty("file").GetString());
        Assert.True(file.IsSuccessStatusCode, await file.Content.ReadAsStringAsync());
        Assert.Equal(TeacherProgressSheet.ContentType, file.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"teachers-{Year}-{Code("371602")}.xlsx", file.Content.Headers.ContentDisposition?.FileNameStar);
        using var workbook = new XLWorkbook(new MemoryStream(await file.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheets.Single();
        Assert.Equal(TeacherProgressSheet.Headers, sheet.Row(1).Cells(1, 11).Select(c => c.GetString()));
        Assert.Equal(await TalliesAsSheetRowsAsync("371602"), SheetRows(sheet));
        Assert.Equal(["教师A", "教师B", "教师C", "教师D", "教师E", "教师F", "教师H"], SheetRows(sheet).Select(r => r[0]));

        // Another city's admin, and a school inside the county, do not see the county's export; its year is part of its address.
        await GetAsync(Admin(Roles.SchoolAdmin, "S3"), self, HttpStatusCode.NotFound);
        await GetAsync(Admin(Roles.DistrictAdmin, "3704"), self + "/file", HttpStatusCode.NotFound);
        await GetAsync(Admin(Roles.SchoolAdmin, "S1"), self, HttpStatusCode.NotFound);
        await GetAsync(county, self.Replace($"/years/{Year}/", $"/years/{NextYear}/"), HttpStatusCode.NotFound);
        await GetAsync(Admin(Roles.DistrictAdmin, "3716"), self);

        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(
            """
            select (select count(*) from audit_pending where action = 'progress-export-started' and target_id = @Id)
                 + (select count(*) from audit_records where action = 'progress-export-started' and target_id = @Id)
            """,
            new { Id = started.GetProperty("id").GetGuid().ToString() }));
    }

    [Fact]
    public async Task A_background_export_outside_the_callers_scope_or_of_an_unknown_status_is_refused()
    {
        using var outside = await Admin(Roles.SchoolAdmin, "S1").PostAsJsonAsync($"/api/enrollment/years/{Year}/teachers/exports", new { under = Code("S3") });
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using var badFilter = await Admin(Roles.SchoolAdmin, "S1").PostAsJsonAsync($"/api/enrollment/years/{Year}/teachers/exports", new { filter = "lazy" });
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
    }

    [Fact]
    public async Task A_background_export_whose_worker_died_is_taken_over_after_the_lease_and_its_file_comes_whole()
    {
        var self = await ExportLeftByADeadWorkerAsync();
        var county = Admin(Roles.DistrictAdmin, "371602");

        var job = await FinishedExportAsync(county, self);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal((7, 7), (job.GetProperty("done").GetInt64(), job.GetProperty("total").GetInt64()));
        var rows = SheetRows(await DownloadAsync(county, self));
        Assert.Equal(7, rows.Count);
        Assert.Equal(await TalliesAsSheetRowsAsync("371602"), rows);

        // The live worker's was a new attempt, and nothing of the dead one's half-written file is left.
        await using var connection = await Db.OpenConnectionAsync();
        var id = job.GetProperty("id").GetGuid();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select attempt from progress_exports where id = @Id", new { Id = id }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "select count(*) from progress_export_chunks where export_id = @Id and attempt <> 2", new { Id = id }));
    }

    [Fact]
    public async Task The_late_writes_of_a_worker_that_was_taken_over_are_refused_and_leave_the_new_file_whole()
    {
        var self = await ExportLeftByADeadWorkerAsync();
        var county = Admin(Roles.DistrictAdmin, "371602");
        var job = await FinishedExportAsync(county, self);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var id = job.GetProperty("id").GetGuid();
        var file = await DownloadAsync(county, self);

        // The dead worker's replica wakes up and carries on with its attempt: progress, the next chunk, a chunk over the
        // new file's first, its own end, and a failure.
        await using var connection = await Db.OpenConnectionAsync();
        var junk = "not part of the file"u8.ToArray();
        Assert.False(await ProgressExportStore.ProgressAsync(connection, id, 1, 5, null, CancellationToken.None));
        Assert.False(await ProgressExportStore.AppendChunkAsync(connection, id, 1, 1, junk, CancellationToken.None));
        Assert.False(await ProgressExportStore.AppendChunkAsync(connection, id, 1, 0, junk, CancellationToken.None));
        await using var stale = new ProgressExportChunkStream(connection, id, 1);
        await stale.WriteAsync(junk);
        await Assert.ThrowsAsync<ProgressExportTakenOverException>(() => stale.FlushAsync());
        Assert.False(await ProgressExportStore.FinishAsync(connection, id, 1, 3, junk.Length, CancellationToken.None));
        await ProgressExportStore.FailAsync(connection, id, 1, "导出时出错，请重新发起", CancellationToken.None);

        var after = await GetAsync(county, self);
        Assert.Equal(("succeeded", 7L, 7L, job.GetProperty("bytes").GetInt64()),
            (after.GetProperty("status").GetString(), after.GetProperty("done").GetInt64(), after.GetProperty("total").GetInt64(), after.GetProperty("bytes").GetInt64()));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("error").ValueKind);
        Assert.Equal(file, await DownloadAsync(county, self));
        Assert.Equal(await TalliesAsSheetRowsAsync("371602"), SheetRows(file));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "select count(*) from progress_export_chunks where export_id = @Id and attempt <> 2", new { Id = id }));
    }

    [Fact]
    public async Task Finished_exports_are_deleted_with_their_files_after_the_retention_and_their_links_say_so()
    {
        var county = Admin(Roles.DistrictAdmin, "371602");
        var old = await StartExportAsync(county);
        var recent = await StartExportAsync(county);
        Assert.Equal("succeeded", (await FinishedExportAsync(county, old)).GetProperty("status").GetString());
        Assert.Equal("succeeded", (await FinishedExportAsync(county, recent)).GetProperty("status").GetString());
        var oldId = Guid.Parse(old[(old.LastIndexOf('/') + 1)..]);
        var failedId = Guid.CreateVersion7();

        // The first export finished eight days ago, and so did one that failed; the second finished today.
        await using var connection = await Db.OpenConnectionAsync();
        Assert.NotEqual(0, await connection.ExecuteScalarAsync<int>("select count(*) from progress_export_chunks where export_id = @Id", new { Id = oldId }));
        await connection.ExecuteAsync("""
            insert into progress_exports (id, requested_by, scope_path, organisation, program_year_id, year_code, status, total, attempt, error,
                                          heartbeat_at, created_at, started_at, finished_at)
            values (@Id, '区管理员 (test)', @Path, @Code, @Year, @YearCode, 'failed', 7, 1, '导出时出错，请重新发起',
                    now() - interval '8 days', now() - interval '8 days', now() - interval '8 days', now() - interval '8 days');
            update progress_exports
            set created_at = created_at - interval '8 days', started_at = started_at - interval '8 days',
                heartbeat_at = heartbeat_at - interval '8 days', finished_at = finished_at - interval '8 days'
            where id = @Old;
            """, new { Id = failedId, Path = _paths["371602"], Code = Code("371602"), Year = _year, YearCode = Year, Old = oldId });

        await Eventually.HoldsAsync(async () => await connection.ExecuteScalarAsync<int>(
                "select count(*) from progress_exports where id = any(@Ids)", new { Ids = new[] { oldId, failedId } }) == 0,
            TimeSpan.FromSeconds(60), "the worker to delete the exports finished eight days ago");
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from progress_export_chunks where export_id = @Id", new { Id = oldId }));

        foreach (var path in new[] { old, old + "/file", old.Replace(oldId.ToString(), failedId.ToString()) })
        {
            var detail = (await GetAsync(county, path, HttpStatusCode.NotFound)).GetProperty("detail").GetString()!;
            Assert.Contains("7 天", detail);
            Assert.Contains("清理", detail);
            Assert.Contains("重新发起导出", detail);
        }
        // Whoever could not see the export is told no more than before.
        var outside = (await GetAsync(Admin(Roles.DistrictAdmin, "3704"), old, HttpStatusCode.NotFound)).GetProperty("detail").GetString()!;
        Assert.DoesNotContain("清理", outside);

        var kept = await GetAsync(county, recent);
        Assert.Equal("succeeded", kept.GetProperty("status").GetString());
        Assert.Equal(await TalliesAsSheetRowsAsync("371602"), SheetRows(await DownloadAsync(county, recent)));
    }

    [Fact]
    public async Task A_retention_under_an_hour_stops_the_service_at_start_up()
    {
        var servers = await TestServers.GetAsync();
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await ServiceFactory<EnrollmentApi>.CreateAsync(servers, _tokens,
            EnrollmentApi.DatabaseName, new Dictionary<string, string?> { ["Enrollment:Exports:Retention"] = "00:30:00" }));
        Assert.Contains("Enrollment:Exports:Retention must be at least", refused.ToString());
    }

    /// <summary>
    /// A county export as its worker left it when its replica died: claimed (attempt 1), some progress and a first chunk
    /// written, then silence, its heartbeat now older than the lease. Answers the export's address.
    /// </summary>
    private async Task<string> ExportLeftByADeadWorkerAsync()
    {
        var id = Guid.CreateVersion7();
        await using var connection = await Db.OpenConnectionAsync();
        // A fresh heartbeat first, so the live worker leaves the job to its "owner" while that writes.
        await connection.ExecuteAsync("""
            insert into progress_exports (id, requested_by, scope_path, organisation, program_year_id, year_code, status, total, attempt,
                                          heartbeat_at, created_at, started_at)
            values (@Id, '区管理员 (test)', @Path, @Code, @Year, @YearCode, 'running', 7, 1, now(), now(), now())
            """, new { Id = id, Path = _paths["371602"], Code = Code("371602"), Year = _year, YearCode = Year });
        Assert.True(await ProgressExportStore.ProgressAsync(connection, id, 1, 3, null, CancellationToken.None));
        Assert.True(await ProgressExportStore.AppendChunkAsync(connection, id, 1, 0, "PK half a workbook"u8.ToArray(), CancellationToken.None));
        await connection.ExecuteAsync("update progress_exports set heartbeat_at = now() - @Stale where id = @Id",
            new { Id = id, Stale = ProgressExportWorker.Lease + TimeSpan.FromMinutes(1) });
        return $"/api/enrollment/years/{Year}/teachers/exports/{id}";
    }

    private async Task<string> StartExportAsync(HttpClient client)
    {
        using var start = await client.PostAsJsonAsync($"/api/enrollment/years/{Year}/teachers/exports", new { under = Code("371602") });
        var text = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("links").GetProperty("self").GetString()!;
    }

    private static async Task<JsonElement> FinishedExportAsync(HttpClient client, string self)
    {
        JsonElement job = default;
        await Eventually.HoldsAsync(async () =>
        {
            job = await GetAsync(client, self);
            return job.GetProperty("status").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(90), $"the export {self} to finish");
        return job;
    }

    private static async Task<byte[]> DownloadAsync(HttpClient client, string self)
    {
        using var file = await client.GetAsync(self + "/file");
        Assert.True(file.IsSuccessStatusCode, await file.Content.ReadAsStringAsync());
        return await file.Content.ReadAsByteArrayAsync();
    }

    private static List<string[]> SheetRows(byte[] workbook)
    {
        using var opened = new XLWorkbook(new MemoryStream(workbook));
        return SheetRows(opened.Worksheets.Single());
    }

    [Fact]
    public async Task A_direct_export_larger_than_the_limit_is_refused_before_its_first_byte_and_points_to_a_background_export()
    {
        var year = Guid.NewGuid();
        var code = "X" + _tag;
        await using var connection = await Db.OpenConnectionAsync();
        await InsertYearAsync(connection, year, code, studyStarts: Today.AddDays(-48), requiredStudyEnds: Today.AddDays(48));
        await connection.ExecuteAsync("""
            insert into progress_tallies (teacher_id, program_year_id, school_path, name, stage, subject, in_post, required_hours, elective_hours,
                                          hours_done, started, opted_out, opt_out_statement, updated_at)
            select gen_random_uuid(), @Year, @School, '教师' || i, 'primary', '数学', true, 22, 16, 0, false, false, null, now()
            from generate_series(1, @Rows) i
            """, new { Year = year, School = _paths["S2"], Rows = TeacherProgressSheet.MaxRows + 1 }, commandTimeout: 600);
        try
        {
            using var response = await Admin(Roles.DistrictAdmin, "371602").GetAsync($"/api/enrollment/years/{code}/teachers/export");
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.Equal("export-too-large", problem.GetProperty("rule").GetString());
            Assert.Contains("后台导出", problem.GetProperty("detail").GetString());

            // Filtered below the limit (none of them has started), the same scope streams.
            using var small = await Admin(Roles.DistrictAdmin, "371602").GetAsync($"/api/enrollment/years/{code}/teachers/export?filter=completed");
            Assert.True(small.IsSuccessStatusCode, await small.Content.ReadAsStringAsync());
        }
        finally
        {
            await connection.ExecuteAsync("delete from progress_tallies where program_year_id = @Year", new { Year = year }, commandTimeout: 600);
        }
    }

    /// <summary>The sheet rows the tallies under <paramref name="name"/> should give, by the rules the list shows.</summary>
    private async Task<List<string[]>> TalliesAsSheetRowsAsync(string name)
    {
        await using var connection = await Db.OpenConnectionAsync();
        var year = (await TrainingPlatform.Services.Enrollment.Electives.EnrollmentFacts.YearAsync(connection, Year, CancellationToken.None))!;
        var scope = new ReportScope(year, Today, _paths[name], null);
        var rows = new List<string[]>();
        await foreach (var row in ProgressTallyStore.StreamAsync(connection, scope, null, CancellationToken.None))
        {
            var verdict = scope.Assess(row);
            rows.Add([row.Name, row.SchoolCode, $"{row.RequiredHours:0.#}", $"{row.ElectiveHours:0.#}", $"{row.HoursDone:0.#}",
                $"{TeacherProgressSheet.PercentOfMinimum(year, row.HoursDone):0.#}", ProgressStatuses.Names[verdict.Status], verdict.Reason]);
        }
        Assert.NotEmpty(rows);
        return rows;
    }

    private static List<string[]> SheetRows(IXLWorksheet sheet) =>
        [.. sheet.RowsUsed().Skip(1).Select(r => new[]
        {
            r.Cell(1).GetString(), r.Cell(3).GetString(), $"{r.Cell(6).GetDouble():0.#}", $"{r.Cell(7).GetDouble():0.#}", $"{r.Cell(8).GetDouble():0.#}",
            $"{r.Cell(9).GetDouble():0.#}", r.Cell(10).GetString(), r.Cell(11).GetString(),
        })];

    [Fact]
    public async Task Electives_fall_due_when_the_schools_own_selection_window_closes()
    {
        // Before study starts: S1's staggered window closed yesterday, the rest of 371602 has three days more.
        var year = Guid.NewGuid();
        await using var connection = await Db.OpenConnectionAsync();
        await InsertYearAsync(connection, year, NextYear, studyStarts: Today.AddDays(5), requiredStudyEnds: Today.AddDays(100));
        foreach (var (path, closes, kind) in new[] { (_paths["371602"], Today.AddDays(3), "extended"), (_paths["S1"], Today.AddDays(-1), "staggered") })
        {
            await connection.ExecuteAsync("""
                insert into window_adjustments (id, program_year_id, window_name, organisation_path, opens_on, closes_on, kind, reason, adjusted_at)
                values (gen_random_uuid(), @Year, 'course_selection', @Path, @Opens, @Closes, @Kind, '', now())
                """, new { Year = year, Path = path, Opens = Today.AddDays(-10), Closes = closes, Kind = kind });
        }
        await EnrollAsync(connection, year, _teachers["教师A"], "E1");
        await EnrollAsync(connection, year, _teachers["教师H"], "E1");
        await RebuildTalliesAsync();

        var list = await GetAsync(Admin(Roles.DistrictAdmin, "371602"), $"/api/enrollment/years/{NextYear}/teachers");
        var reasons = list.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!, i => i.GetProperty("reason").GetString());
        Assert.Equal($"尚未开始学习（学习将于 {Today.AddDays(5):yyyy-MM-dd} 开始）；已选选修 4 学时，少于 14 学时（选课已于 {Today.AddDays(-1):yyyy-MM-dd} 截止）",
            reasons["教师A"]);
        Assert.Equal($"尚未开始学习（学习将于 {Today.AddDays(5):yyyy-MM-dd} 开始）", reasons["教师H"]);
        Assert.All(list.GetProperty("items").EnumerateArray(), i => Assert.Equal("not_started", i.GetProperty("status").GetString()));
    }

    private static (int Teachers, int Completed, int OnTrack, int Behind, int NotStarted, int OptedOut, decimal AverageHours, decimal CompletionRate)
        Counts(JsonElement g) =>
        (g.GetProperty("teachers").GetInt32(), g.GetProperty("completed").GetInt32(), g.GetProperty("onTrack").GetInt32(),
            g.GetProperty("behind").GetInt32(), g.GetProperty("notStarted").GetInt32(), g.GetProperty("optedOut").GetInt32(),
            g.GetProperty("averageHours").GetDecimal(), g.GetProperty("completionRate").GetDecimal());

    private static Task InsertYearAsync(NpgsqlConnection connection, Guid id, string code, DateOnly studyStarts, DateOnly requiredStudyEnds) =>
        connection.ExecuteAsync("""
            insert into program_years (id, code, name, min_annual_hours, min_elective_hours, group_lists_due, topic_selection_opens,
                topic_selection_closes, course_selection_opens, study_starts, required_study_ends, credit_registration_closes, version)
            values (@Id, @Code, @Code, 36, 14, @Opens, @Opens, @Opens, @Opens, @StudyStarts, @RequiredStudyEnds, @RequiredStudyEnds, 1)
            """, new { Id = id, Code = code, Opens = studyStarts.AddDays(-30), StudyStarts = studyStarts, RequiredStudyEnds = requiredStudyEnds });

    /// <summary>A teacher with enrollments in the year: "R1" enrolled, "+R1" completed, "~E1" some progress, "-E5" withdrawn.</summary>
    private async Task TeacherAsync(NpgsqlConnection connection, string name, string school, string courses, bool inPost = true)
    {
        var id = _teachers[name] = Guid.NewGuid();
        await connection.ExecuteAsync("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, class_teacher, in_post, updated_at)
            values (@Id, 1, @Name, gen_random_uuid(), @Path, 'primary', '数学', false, @InPost, now())
            """, new { Id = id, Name = name, Path = _paths[school], InPost = inPost });
        foreach (var course in courses.Split(' '))
        {
            await EnrollAsync(connection, _year, id, course);
        }
    }

    private Task EnrollAsync(NpgsqlConnection connection, Guid year, Guid teacher, string course)
    {
        var code = course.TrimStart('+', '~', '-');
        var status = course[0] switch { '+' => "completed", '-' => "withdrawn", _ => "enrolled" };
        return connection.ExecuteAsync("""
            insert into enrollments (id, teacher_id, program_year_id, course_id, kind, status, minutes_studied, percent, test_passed,
                assignment_handed_in, enrolled_at, completed_at)
            values (gen_random_uuid(), @Teacher, @Year, @Course, @Kind, @Status, @Minutes, @Percent, @Done, @Done, now(),
                case when @Done then now() end)
            """, new
        {
            Teacher = teacher, Year = year, Course = _courses[code], Kind = code.StartsWith('R') ? "required" : "elective", Status = status,
            Minutes = course[0] switch { '+' => 120, '~' => 30, _ => 0 }, Percent = course[0] switch { '+' => 100m, '~' => 20m, _ => 0m },
            Done = status == "completed",
        });
    }

    private HttpClient Admin(string role, string code) => As(_tokens.Issue(role, claims: new Dictionary<string, object>
    {
        ["org"] = Guid.NewGuid().ToString(), ["org_path"] = _paths[code],
    }));

    private HttpClient Teacher(Guid id) => As(_tokens.Issue(Roles.Teacher, claims: new Dictionary<string, object>
    {
        ["org"] = Guid.NewGuid().ToString(), ["org_path"] = _paths["S1"], ["teacher"] = id.ToString(),
    }));

    private HttpClient As(string token)
    {
        var client = _enrollment.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
