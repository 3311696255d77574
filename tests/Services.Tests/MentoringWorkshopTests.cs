using System.Net;
using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Workshops follow Catalog's topics and the schools' choices; studios are a district's, run by their master.</summary>
public sealed class MentoringWorkshopTests : MentoringTestBase
{
    private async Task ChooseAsync(Guid yearId, string school, int version, params Guid[] topics)
    {
        await Mentoring.Services.GetRequiredService<IBus>().Publish(new SchoolTopicsChosen(yearId, OrganisationId(school), PathOf(school), topics,
            version == 1 ? TopicChoiceChanges.Chosen : TopicChoiceChanges.Changed, version, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Hosts_post_members_of_schools_that_chose_the_topic_read_and_reply_and_membership_follows_the_choice()
    {
        var yearId = await YearAsync("2065");
        var bus = Mentoring.Services.GetRequiredService<IBus>();
        var (classroom, culture) = (Guid.NewGuid(), Guid.NewGuid());
        await bus.Publish(new TopicDefined(classroom, yearId, "T01", "班级管理", [Stages.Primary], [], 1, DateTimeOffset.UtcNow));
        await bus.Publish(new TopicDefined(culture, yearId, "T02", "中国传统文化", [Stages.Primary], [], 1, DateTimeOffset.UtcNow));
        await ChooseAsync(yearId, "S1", 1, classroom);
        await ChooseAsync(yearId, "S2", 1, culture);
        var host = await TeacherAsync("S2", "语文", new DateOnly(2000, 9, 1), Tiers.Backbone, "主持人");
        var member = await TeacherAsync("S1", "数学", new DateOnly(2020, 9, 1), name: "成员");
        var other = await TeacherAsync("S2", "数学", new DateOnly(2020, 9, 1), name: "他校教师");
        await TeachersArrivedAsync();
        await Eventually.HoldsAsync(async () => await CountAsync("select count(*) from workshops") == 2
                                                && await CountAsync("select count(*) from school_topics") == 2,
            TimeSpan.FromSeconds(90), "the topics and choices to reach mentoring");

        Assert.Equal("班级管理", Assert.Single((await SendOk(Teacher(member), HttpMethod.Get, "/api/mentoring/years/2065/workshops")).EnumerateArray())
            .GetProperty("name").GetString());
        Assert.Equal(2, (await SendOk(DistrictAdmin("371602"), HttpMethod.Get, "/api/mentoring/years/2065/workshops")).GetArrayLength());

        var posts = $"/api/mentoring/workshops/{classroom}/posts";
        await SendOk(Teacher(member), HttpMethod.Post, posts, new { kind = "guide", body = "研修指南" }, HttpStatusCode.Forbidden);
        await SendOk(DistrictAdmin("371602"), HttpMethod.Put, $"/api/mentoring/workshops/{classroom}/hosts/{host}");
        await SendOk(DistrictAdmin("371602"), HttpMethod.Put, $"/api/mentoring/workshops/{classroom}/hosts/{host}", null, HttpStatusCode.Conflict);
        var invalid = await SendOk(Teacher(host, "S2"), HttpMethod.Post, posts, new { kind = "advert", body = "" }, HttpStatusCode.BadRequest);
        Assert.Equal(["body", "kind"], invalid.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
        var briefing = await SendOk(Teacher(host, "S2"), HttpMethod.Post, posts,
            new { kind = "briefing", title = "第一期简报", body = "本周研修情况", attachments = new[] { "file:2065/briefing-1.pdf" } }, HttpStatusCode.Created);
        var postId = briefing.GetProperty("id").GetGuid();
        await SendOk(Teacher(member), HttpMethod.Post, $"{posts}/{postId}/replies", new { body = "收到，谢谢" }, HttpStatusCode.Created);
        await SendOk(Teacher(other, "S2"), HttpMethod.Get, posts, null, HttpStatusCode.NotFound);
        await SendOk(Teacher(other, "S2"), HttpMethod.Post, $"{posts}/{postId}/replies", new { body = "我也来" }, HttpStatusCode.NotFound);
        var thread = Assert.Single((await SendOk(Teacher(member), HttpMethod.Get, posts)).GetProperty("posts").EnumerateArray());
        Assert.Equal("file:2065/briefing-1.pdf", thread.GetProperty("post").GetProperty("attachments")[0].GetString());
        Assert.Equal("收到，谢谢", Assert.Single(thread.GetProperty("replies").EnumerateArray()).GetProperty("body").GetString());

        // S2 adds the topic: its teachers become members.
        await ChooseAsync(yearId, "S2", 2, culture, classroom);
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await Teacher(other, "S2").GetAsync(posts);
            return response.IsSuccessStatusCode;
        }, TimeSpan.FromSeconds(90), "S2's new choice to make its teachers members");
    }

    [Fact]
    public async Task A_city_sets_up_a_studio_around_a_master_who_adds_members_of_the_city_and_records_activities()
    {
        var master = await TeacherAsync("S1", "数学", new DateOnly(1995, 9, 1), Tiers.Master, "名师");
        var rising = await TeacherAsync("S1", "数学", new DateOnly(2015, 9, 1), Tiers.Rising);
        var sameCity = await TeacherAsync("S4", "数学", new DateOnly(2012, 9, 1), name: "同市教师");
        var otherCity = await TeacherAsync("S3", "数学", new DateOnly(2012, 9, 1));
        await TeachersArrivedAsync();

        var refused = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/studios",
            new { name = "数学名师工作室", masterId = rising }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("studio-master-tier", refused.GetProperty("rule").GetString());
        await SendOk(SchoolAdmin("S1"), HttpMethod.Post, "/api/mentoring/organisations/3716/studios", new { name = "x", masterId = master }, HttpStatusCode.Forbidden);
        var studio = await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/studios",
            new { name = "数学名师工作室", masterId = master }, HttpStatusCode.Created);
        Assert.Equal("city", studio.GetProperty("level").GetString());
        await SendOk(DistrictAdmin("3716"), HttpMethod.Post, "/api/mentoring/organisations/3716/studios", new { name = "数学名师工作室", masterId = master },
            HttpStatusCode.Conflict);

        var id = studio.GetProperty("id").GetGuid();
        await SendOk(Teacher(master), HttpMethod.Put, $"/api/mentoring/studios/{id}/members/{sameCity}");
        await SendOk(Teacher(master), HttpMethod.Put, $"/api/mentoring/studios/{id}/members/{otherCity}", null, HttpStatusCode.NotFound);
        await SendOk(Teacher(master), HttpMethod.Post, $"/api/mentoring/studios/{id}/activities", new { title = "同课异构", description = "" },
            HttpStatusCode.BadRequest);
        await SendOk(Teacher(master), HttpMethod.Post, $"/api/mentoring/studios/{id}/activities",
            new { title = "同课异构", heldOn = Today, description = "两位成员上课，名师点评" }, HttpStatusCode.Created);
        var seen = await SendOk(Teacher(sameCity, "S4"), HttpMethod.Get, $"/api/mentoring/studios/{id}");
        Assert.Equal(1, seen.GetProperty("studio").GetProperty("members").GetInt32());
        Assert.Equal("同课异构", Assert.Single(seen.GetProperty("activities").EnumerateArray()).GetProperty("title").GetString());
        await SendOk(Teacher(sameCity, "S4"), HttpMethod.Put, $"/api/mentoring/studios/{id}/members/{rising}", null, HttpStatusCode.Forbidden);
        await SendOk(Teacher(otherCity, "S3"), HttpMethod.Get, $"/api/mentoring/studios/{id}", null, HttpStatusCode.NotFound);
        Assert.Equal(0, (await SendOk(DistrictAdmin("370402"), HttpMethod.Get, "/api/mentoring/studios")).GetArrayLength());
        Assert.Equal(1, (await SendOk(DistrictAdmin("3716"), HttpMethod.Get, "/api/mentoring/studios")).GetArrayLength());
        await using var connection = await Db.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from studio_members"));
    }
}
