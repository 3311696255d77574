using Dapper;
using Npgsql;

namespace TrainingPlatform.Services.Mentoring.People;

/// <summary>How much of each appointment a teacher holds now.</summary>
internal sealed record Held
{
    public int Guide { get; init; }
    public int GuidedGroups { get; init; }
    public int? MentorCapacity { get; init; }
    public int Mentees { get; init; }
    public int Workshops { get; init; }
    public int Studios { get; init; }
    public int SupportedSchools { get; init; }
}

internal static class HeldRoleStore
{
    private const string HeldSql = """
        select (select count(*) from guide_teachers where teacher_id = @TeacherId)::int as guide,
               (select count(*) from guide_assignments a join guide_teachers g on g.id = a.guide_id where g.teacher_id = @TeacherId)::int as guided_groups,
               (select capacity from mentors where teacher_id = @TeacherId) as mentor_capacity,
               (select count(*) from mentor_pairings where mentor_id = @TeacherId and status = 'active')::int as mentees,
               (select count(*) from workshop_hosts where teacher_id = @TeacherId)::int as workshops,
               (select count(*) from studios where master_id = @TeacherId)::int as studios,
               (select count(*) from support_pairings where teacher_id = @TeacherId and status = 'active')::int as supported_schools
        """;

    public static Task<Held> OfTeacherAsync(NpgsqlConnection connection, Guid teacherId, CancellationToken cancellationToken) =>
        connection.QuerySingleAsync<Held>(new CommandDefinition(HeldSql, new { TeacherId = teacherId }, cancellationToken: cancellationToken));
}
