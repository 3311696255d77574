using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Organisations from a bureau's sheet: parents first whatever the order, scoped, all or nothing, idempotent.</summary>
public sealed class SchoolImportTests : DirectoryTestBase
{
    private HttpClient _district = null!;
    private string _province = "", _city = "", _county = "", _otherCounty = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        (_province, _city, _county, _otherCounty) = (Unique("P"), Unique("C"), Unique("X"), Unique("X"));
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _province, name = "省", kind = "province" });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _city, name = "市", kind = "city", parentCode = _province });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _county, name = "县", kind = "county", parentCode = _city });
        await PostOk(operatorClient, "/api/directory/organisations", new { code = _otherCounty, name = "邻县", kind = "county", parentCode = _city });
        _district = ClientWith(Tokens.Issue(Roles.DistrictAdmin, "county-admin",
            new Dictionary<string, object> { [PlatformClaims.OrganisationPath] = $"{_province}/{_city}/{_county}" }));
    }

    public override async Task DisposeAsync()
    {
        _district.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_county_imports_its_township_and_schools_in_any_order_and_again_without_change()
    {
        var (township, school, kindergarten) = (Unique("T"), Unique("S"), Unique("K"));
        var file = Sheet(
            $"{school},镇中心小学,学校,{township},小学、初中",
            $"{kindergarten},镇幼儿园,幼儿园,{township},幼儿园",
            $"{township},某镇,镇,{_county},");

        var first = await ImportAsync(file);
        Assert.Equal(("succeeded", 3), (first.GetProperty("status").GetString(), first.GetProperty("created").GetInt32()));
        var view = await _district.GetFromJsonAsync<JsonElement>($"/api/directory/organisations/{school}");
        Assert.Equal($"{_province}/{_city}/{_county}/{township}/{school}", view.GetProperty("path").GetString());
        Assert.Equal(["primary", "junior"], view.GetProperty("stages").EnumerateArray().Select(s => s.GetString()));

        var again = await ImportAsync(file);
        Assert.Equal((0, 3), (again.GetProperty("created").GetInt32(), again.GetProperty("unchanged").GetInt32()));

        var renamed = await ImportAsync(Sheet($"{school},镇第一小学,学校,{township},小学、初中"));
        Assert.Equal(1, renamed.GetProperty("updated").GetInt32());
        Assert.Equal(1, await CountAsync($"select count(*) from outbox_messages where message_type like '%OrganisationChanged%' and body->>'code' = '{school}'"));
    }

    [Fact]
    public async Task Bad_rows_are_listed_and_nothing_is_written()
    {
        using var operatorClient = ClientWith(Tokens.Issue(Roles.PlatformOperator));
        var existing = Unique("S");
        await PostOk(operatorClient, "/api/directory/organisations",
            new { code = existing, name = "老学校", kind = "school", parentCode = _county, stages = new[] { "primary" } });

        var job = await ImportAsync(Sheet(
            $"{Unique("S")},好学校,学校,{_county},小学",              // fine on its own
            $"{Unique("S")},无上级,学校,NOPE,小学",                    // unknown parent
            $"{Unique("S")},邻县学校,学校,{_otherCounty},小学",        // outside the uploader's county
            $"{Unique("S")},大学,学校,{_county},大学",                 // no such stage
            $"{existing},老学校,学校,{_otherCounty},小学"));            // moving an existing school

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal([3, 4, 5, 6], job.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()).Distinct().Order());
        Assert.Equal(1, await CountAsync($"select count(*) from organisations where kind = 'school'"));
    }

    private Task<JsonElement> ImportAsync(byte[] content) => ImportAndWaitAsync(_district, "schools", content, "schools.csv");

    private static byte[] Sheet(params string[] rows) => Encoding.UTF8.GetBytes(string.Join("\n", ["机构代码,名称,类型,上级代码,学段", .. rows]));
}
