using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Mentoring.People;

/// <summary>A role the signed-in teacher holds by appointment, with its name and what it covers now.</summary>
public sealed record HeldRole(string Code, string Name, string Detail);

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
            .MapGet("/me/roles", HeldAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher));
        return app;
    }

    private const string HeldSql = """
        select (select count(*) from guide_teachers where teacher_id = @TeacherId)::int as guide,
               (select count(*) from guide_assignments a join guide_teachers g on g.id = a.guide_id where g.teacher_id = @TeacherId)::int as guided_groups,
               (select capacity from mentors where teacher_id = @TeacherId) as mentor_capacity,
               (select count(*) from mentor_pairings where mentor_id = @TeacherId and status = 'active')::int as mentees,
               (select count(*) from workshop_hosts where teacher_id = @TeacherId)::int as workshops,
               (select count(*) from studios where master_id = @TeacherId)::int as studios,
               (select count(*) from support_pairings where teacher_id = @TeacherId and status = 'active')::int as supported_schools
        """;

    private sealed record Held
    {
        public int Guide { get; init; }
        public int GuidedGroups { get; init; }
        public int? MentorCapacity { get; init; }
        public int Mentees { get; init; }
        public int Workshops { get; init; }
        public int Studios { get; init; }
        public int SupportedSchools { get; init; }
    }

    private static async Task<IResult> HeldAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (PlatformUser.From(http.User).TeacherId is not { } teacherId)
        {
            return TypedResults.Ok(Array.Empty<HeldRole>());
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var held = await connection.QuerySingleAsync<Held>(new CommandDefinition(HeldSql, new { TeacherId = teacherId }, cancellationToken: cancellationToken));
        return TypedResults.Ok(RolesOf(held));
    }

    private static List<HeldRole> RolesOf(Held held)
    {
        var roles = new List<HeldRole>();
        if (held.Guide > 0)
        {
            roles.Add(new(Roles.GuideTeacher, "指导教师", $"负责 {held.GuidedGroups} 个研修组"));
        }
        if (held.MentorCapacity is { } capacity)
        {
            roles.Add(new(Roles.Mentor, "导师", $"带教 {held.Mentees}/{capacity} 名新教师"));
        }
        if (held.Workshops > 0)
        {
            roles.Add(new(Roles.WorkshopHost, "工作坊主持人", $"主持 {held.Workshops} 个工作坊"));
        }
        if (held.Studios > 0)
        {
            roles.Add(new(Roles.StudioMaster, "名师工作室主持人", $"主持 {held.Studios} 个工作室"));
        }
        if (held.SupportedSchools > 0)
        {
            roles.Add(new(Roles.SupportTeacher, "帮扶教师", $"帮扶 {held.SupportedSchools} 所学校"));
        }
        return roles;
    }
}
