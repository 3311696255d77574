using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Mentoring.Studios;

/// <summary>Reads and writes of master-teacher studios, their members and activities.</summary>
public static class StudioStore
{
    private const string StudioSql = """
        select s.id, s.name, s.master_id, coalesce(t.name, '') as master_name, s.level, s.organisation_path,
               (select count(*) from studio_members m where m.studio_id = s.id)::int as members
        from studios s left join teachers t on t.id = s.master_id
        """;

    /// <summary>Sets up the studio unless the organisation has one of that name; the rows inserted (0: it has).</summary>
    public static Task<int> InsertAsync(NpgsqlConnection connection, Guid id, string name, Guid masterId, string level, Guid organisationId, string path,
        string by, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into studios (id, name, master_id, level, organisation_id, organisation_path, created_by, created_at)
            values (@Id, @Name, @MasterId, @Level, @OrganisationId, @Path, @By, @Now)
            on conflict (organisation_id, name) do nothing
            """, new
        {
            Id = id, Name = name, MasterId = masterId, Level = level, OrganisationId = organisationId, Path = path, By = by, Now = now,
        }, cancellationToken: cancellationToken));

    /// <summary>Districts and the operator: the studios in their scope; anyone else: the studios they lead or belong to.</summary>
    public static async Task<List<StudioRow>> VisibleAsync(NpgsqlConnection connection, PlatformUser user, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin
            ? PlatformUser.ScopeSql("s.organisation_path")
            : "(s.master_id = @TeacherId or exists (select 1 from studio_members m where m.studio_id = s.id and m.teacher_id = @TeacherId))";
        return [.. await connection.QueryAsync<StudioRow>(new CommandDefinition(StudioSql + $" where {where} order by s.organisation_path, s.name",
            parameters, cancellationToken: cancellationToken))];
    }

    public static Task<StudioRow?> FindAsync(NpgsqlConnection connection, Guid studioId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<StudioRow>(new CommandDefinition(StudioSql + " where s.id = @Id", new { Id = studioId },
            cancellationToken: cancellationToken));

    public static Task<bool> IsMemberAsync(NpgsqlConnection connection, Guid studioId, Guid teacherId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from studio_members where studio_id = @Id and teacher_id = @TeacherId)", new { Id = studioId, TeacherId = teacherId },
            cancellationToken: cancellationToken));

    public static async Task<List<StudioMemberView>> MembersAsync(NpgsqlConnection connection, Guid studioId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<StudioMemberView>(new CommandDefinition("""
            select m.teacher_id, coalesce(t.name, '') as name, coalesce(t.school_path, '') as school_path, m.joined_at
            from studio_members m left join teachers t on t.id = m.teacher_id where m.studio_id = @Id order by m.joined_at
            """, new { Id = studioId }, cancellationToken: cancellationToken))];

    public static async Task<List<StudioActivityView>> ActivitiesAsync(NpgsqlConnection connection, Guid studioId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<StudioActivityView>(new CommandDefinition(
            "select id, title, held_on, description, created_by from studio_activities where studio_id = @Id order by held_on desc",
            new { Id = studioId }, cancellationToken: cancellationToken))];

    /// <summary>Adds the member; the rows inserted (0: they already are one).</summary>
    public static Task<int> AddMemberAsync(NpgsqlConnection connection, Guid studioId, Guid teacherId, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into studio_members (studio_id, teacher_id, joined_at) values (@StudioId, @TeacherId, @Now) on conflict do nothing
            """, new { StudioId = studioId, TeacherId = teacherId, Now = now }, cancellationToken: cancellationToken));

    public static Task InsertActivityAsync(NpgsqlConnection connection, Guid id, Guid studioId, string title, DateOnly heldOn, string description,
        string by, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into studio_activities (id, studio_id, title, held_on, description, created_by, created_at)
            values (@Id, @StudioId, @Title, @HeldOn, @Description, @By, @Now)
            """, new
        {
            Id = id, StudioId = studioId, Title = title, HeldOn = heldOn, Description = description, By = by, Now = now,
        }, cancellationToken: cancellationToken));
}
