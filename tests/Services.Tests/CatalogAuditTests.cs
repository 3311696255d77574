using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Catalog's privileged writes each leave one audit record naming the actor and the record; refused ones leave none.</summary>
public sealed class CatalogAuditTests : CatalogTestBase
{
    private async Task<IReadOnlyList<(long Seq, string Action, string TargetKind, string TargetId, string ActorLogin)>> RecordsAsync()
    {
        // Records are chained after their actions commit; chain them now, as the trail's readers do.
        await Catalog.Services.GetRequiredService<AuditSealer>().SealPendingAsync(CancellationToken.None);
        await using var connection = await Db.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(long, string, string, string, string)>(
            // Security events (the 403s below) are written in the background; the privileged writes are numbered among themselves.
            "select row_number() over (order by seq), action, target_kind, target_id, actor_login from audit_records where action <> 'access-refused' order by seq")];
    }

    [Fact]
    public async Task Course_and_year_changes_are_recorded_once_each_and_refused_ones_not_at_all()
    {
        await SendOk(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2071"), HttpStatusCode.Created);
        var id = (await SendOk(Operator, HttpMethod.Post, "/api/catalog/courses", CourseBody("AU-1", "审计课程"), HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        await SendOk(Operator, HttpMethod.Put, $"/api/catalog/courses/{id}", CourseBody("AU-1", "审计课程（修订）"));
        await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/publish");
        await SendOk(Operator, HttpMethod.Put, "/api/catalog/years/2071/topics/T01", new { name = "审计专题", stages = new[] { "primary" }, courseIds = new[] { id } });

        // Refused: published twice, a duplicate year, a school admin creating a course, the auditor publishing.
        await Problem(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/publish", null, HttpStatusCode.Conflict);
        await Problem(Operator, HttpMethod.Post, "/api/catalog/years", YearBody("2071"), HttpStatusCode.Conflict);
        await Problem(SchoolAdmin("S1"), HttpMethod.Post, "/api/catalog/courses", CourseBody("AU-2", "越权"), HttpStatusCode.Forbidden);
        var auditor = Catalog.CreateClient();
        auditor.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Issue(Roles.Auditor, claims: new Dictionary<string, object> { ["name"] = "审计员甲" }));
        await Problem(auditor, HttpMethod.Post, $"/api/catalog/courses/{id}/retire", new { reason = "不能" }, HttpStatusCode.Forbidden);
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>("select count(*) from audit_records where action = 'access-refused'") == 2;
        }, TimeSpan.FromSeconds(60), "the two 403s' access-refused records");

        await SendOk(Operator, HttpMethod.Post, $"/api/catalog/courses/{id}/retire", new { reason = "内容过时" });

        var records = await RecordsAsync();
        Assert.Equal(
            [
                (1L, "program-year-created", "program-year", "2071", "运营"),
                (2L, "course-created", "course", id.ToString(), "运营"),
                (3L, "course-draft-updated", "course", id.ToString(), "运营"),
                (4L, "course-published", "course", id.ToString(), "运营"),
                (5L, "topic-saved", "topic", "2071/T01", "运营"),
                (6L, "course-retired", "course", id.ToString(), "运营"),
            ],
            records);

        var verified = await SendOk(auditor, HttpMethod.Get, "/api/catalog/operations/audit/verify");
        Assert.True(verified.GetProperty("intact").GetBoolean());
        Assert.Equal(8, verified.GetProperty("checked").GetInt64());
        var found = await SendOk(auditor, HttpMethod.Get, $"/api/catalog/operations/audit?target={id}&action=course-retired");
        Assert.Contains("内容过时", Assert.Single(found.GetProperty("records").EnumerateArray()).GetProperty("summary").GetString());
    }
}
