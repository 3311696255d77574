using Dapper;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.TestSupport;
using Xunit;

namespace TrainingPlatform.Services.Tests;

/// <summary>Mentoring's local copies through the real broker: the newest snapshot wins, whatever the order of arrival.</summary>
public sealed class MentoringCopiesTests : MentoringTestBase
{
    [Fact]
    public async Task A_late_older_profile_or_organisation_snapshot_changes_nothing()
    {
        var bus = Mentoring.Services.GetRequiredService<IBus>();
        var sent = new List<Guid>();
        Task Send<T>(T message) where T : class
        {
            var id = Guid.NewGuid();
            sent.Add(id);
            return bus.Publish(message, context => context.MessageId = id);
        }
        var teacher = Guid.NewGuid();
        TeacherProfileChanged Profile(int version, string subject, string tier) => new(teacher, version, "371602199001010011", "李老师",
            new DateOnly(1990, 1, 1), "female", OrganisationId("S1"), PathOf("S1"), Stages.Primary, subject, new DateOnly(2024, 9, 1), true, false, null,
            tier, true, TeacherChanges.Updated, DateTimeOffset.UtcNow);
        await Send(Profile(2, "数学", Tiers.Backbone));
        // Consumers run concurrently, so two messages sent together arrive in either order: the late ones go once
        // version 2 is in, or "the same version again" could be the first version 2 the copy sees.
        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>("select count(*) from teachers where id = @Id and version = 2", new { Id = teacher }) == 1;
        }, TimeSpan.FromSeconds(60), "version 2 of the profile to be copied");
        await Send(Profile(1, "语文", Tiers.NewTeacher));
        await Send(Profile(2, "语文", Tiers.NewTeacher)); // the same version again: not newer

        var school = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        await Send(new OrganisationRegistered(school, "S9" + teacher.ToString("N")[..6], "新学校", OrganisationKinds.School, OrganisationId("371602"),
            [Stages.Primary], now, PathOf("371602") + "/S9"));
        await Send(new OrganisationChanged(school, "S9", "更名后的学校", OrganisationKinds.School, OrganisationId("371602"), [Stages.Primary],
            PathOf("371602") + "/S9", now.AddMinutes(1)));
        await Send(new OrganisationChanged(school, "S9", "过时的名字", OrganisationKinds.School, OrganisationId("371602"), [Stages.Primary],
            PathOf("371602") + "/S9", now.AddSeconds(30)));

        await Eventually.HoldsAsync(async () =>
        {
            await using var connection = await Db.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>("select count(*) from inbox_messages where message_id = any(@Sent)",
                new { Sent = sent.ToArray() }) == sent.Count;
        }, TimeSpan.FromSeconds(30), "every message to be consumed");
        await using var db = await Db.OpenConnectionAsync();
        Assert.Equal(("数学", Tiers.Backbone, 2), await db.QuerySingleAsync<(string, string, int)>(
            "select subject, tier, version from teachers where id = @Id", new { Id = teacher }));
        Assert.Equal("更名后的学校", await db.ExecuteScalarAsync<string>("select name from organisations where id = @Id", new { Id = school }));
    }
}
