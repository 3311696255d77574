using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Mentoring.People;

/// <summary>A role the signed-in teacher holds by appointment, with its name and what it covers now.</summary>
public sealed record HeldRole(
    [property: Codes(typeof(HeldRoles))] string Code,
    string Name,
    [property: Description("目前负责的范围，如“带教 2/3 名新教师”")] string Detail);

/// <summary>The roles a teacher can hold by Mentoring's appointments (a subset of <see cref="Roles"/>).</summary>
public static class HeldRoles
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Roles.GuideTeacher] = "指导教师",
        [Roles.Mentor] = "导师",
        [Roles.WorkshopHost] = "工作坊主持人",
        [Roles.StudioMaster] = "名师工作室主持人",
        [Roles.SupportTeacher] = "帮扶教师",
    };
}

/// <summary>
/// One person, one sign-in: a guide, mentor, workshop host, studio master or supporting teacher is a teacher who
/// signs in with their ID number. The roles are facts of Mentoring's appointments, so Mentoring says which the person
/// holds, and the portal shows the pages of each.
/// </summary>
public static class HeldRoleEndpoints
{
    public static IEndpointRouteBuilder MapHeldRoleEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/mentoring").WithTags("Roles held")
            .MapGet("/me/roles", HeldAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher))
            .WithName("ListMyHeldRoles")
            .WithSummary("我担任的研修角色")
            .WithDescription("当前登录教师因聘任或结对而担任的角色（指导教师、导师、工作坊主持人、名师工作室主持人、帮扶教师）及目前负责的范围；"
                + "账号未关联教师时为空列表。");
        return app;
    }

    private static async Task<Ok<List<HeldRole>>> HeldAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (PlatformUser.From(http.User).TeacherId is not { } teacherId)
        {
            return TypedResults.Ok(new List<HeldRole>());
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(RolesOf(await HeldRoleStore.OfTeacherAsync(connection, teacherId, cancellationToken)));
    }

    private static List<HeldRole> RolesOf(Held held)
    {
        var roles = new List<HeldRole>();
        void Add(string code, string detail) => roles.Add(new(code, HeldRoles.Names[code], detail));
        if (held.Guide > 0)
        {
            Add(Roles.GuideTeacher, $"负责 {held.GuidedGroups} 个研修组");
        }
        if (held.MentorCapacity is { } capacity)
        {
            Add(Roles.Mentor, $"带教 {held.Mentees}/{capacity} 名新教师");
        }
        if (held.Workshops > 0)
        {
            Add(Roles.WorkshopHost, $"主持 {held.Workshops} 个工作坊");
        }
        if (held.Studios > 0)
        {
            Add(Roles.StudioMaster, $"主持 {held.Studios} 个工作室");
        }
        if (held.SupportedSchools > 0)
        {
            Add(Roles.SupportTeacher, $"帮扶 {held.SupportedSchools} 所学校");
        }
        return roles;
    }
}
