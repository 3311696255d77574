using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Mentoring.Support;

/// <summary>Reads and writes of support targets (帮扶对象) and the pairings that support them.</summary>
public static class SupportStore
{
    private const string PairingSql = """
        select p.id, p.teacher_id, coalesce(t.name, '') as teacher_name, coalesce(t.school_path, '') as teacher_school_path, p.school_id,
               coalesce(o.name, '') as school_name, p.school_path, p.level, p.starts_on, p.ends_on, p.status, p.ended_on, p.ended_reason
        from support_pairings p left join teachers t on t.id = p.teacher_id left join organisations o on o.id = p.school_id
        """;

    /// <summary>Marks the school, or renews its reason and who marked it.</summary>
    public static Task MarkAsync(NpgsqlConnection connection, Guid schoolId, string schoolPath, string reason, string by, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into support_schools (school_id, school_path, reason, marked_by, marked_at) values (@Id, @Path, @Reason, @By, @Now)
            on conflict (school_id) do update set school_path = excluded.school_path, reason = excluded.reason, marked_by = excluded.marked_by,
                marked_at = excluded.marked_at
            """, new { Id = schoolId, Path = schoolPath, Reason = reason, By = by, Now = now },
            cancellationToken: cancellationToken));

    public static Task<int> ActivePairingsAtAsync(NpgsqlConnection connection, Guid schoolId, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*)::int from support_pairings where school_id = @Id and status = 'active'", new { Id = schoolId },
            cancellationToken: cancellationToken));

    /// <summary>Unmarks the school; the rows deleted (0: it was not a target).</summary>
    public static Task<int> UnmarkAsync(NpgsqlConnection connection, Guid schoolId, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("delete from support_schools where school_id = @Id", new { Id = schoolId },
            cancellationToken: cancellationToken));

    /// <summary>The support targets in the caller's scope, with how many pairings support each now.</summary>
    public static async Task<List<SupportTargetView>> TargetsAsync(NpgsqlConnection connection, PlatformUser user, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<SupportTargetView>(new CommandDefinition($"""
            select o.code, o.name, s.school_path, s.reason, s.marked_by, s.marked_at,
                   (select count(*) from support_pairings p where p.school_id = s.school_id and p.status = 'active')::int as active_pairings
            from support_schools s left join organisations o on o.id = s.school_id
            where {PlatformUser.ScopeSql("s.school_path")} order by s.school_path
            """, user.ScopeParameters, cancellationToken: cancellationToken))];

    public static Task<bool> IsTargetAsync(UnitOfWork unitOfWork, Guid schoolId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from support_schools where school_id = @Id)", new { Id = schoolId }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    /// <summary>Pairs the teacher with the school unless they already support it; the rows inserted (0: they do).</summary>
    public static Task<int> InsertPairingAsync(UnitOfWork unitOfWork, Guid id, Guid teacherId, Guid schoolId, string schoolPath, string level,
        DateOnly startsOn, DateOnly endsOn, string by, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into support_pairings (id, teacher_id, school_id, school_path, level, starts_on, ends_on, status, created_by, created_at)
            values (@Id, @TeacherId, @SchoolId, @SchoolPath, @Level, @StartsOn, @EndsOn, 'active', @By, @Now)
            on conflict (teacher_id, school_id) where status = 'active' do nothing
            """, new
        {
            Id = id, TeacherId = teacherId, SchoolId = schoolId, SchoolPath = schoolPath, Level = level, StartsOn = startsOn, EndsOn = endsOn,
            By = by, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<SupportPairingView?> FindForUpdateAsync(UnitOfWork unitOfWork, Guid pairingId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<SupportPairingView>(new CommandDefinition(
            PairingSql + " where p.id = @Id for update of p", new { Id = pairingId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task EndAsync(UnitOfWork unitOfWork, Guid pairingId, DateOnly today, string reason, string by, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update support_pairings set status = 'ended', ended_on = @Today, ended_reason = @Reason, ended_by = @By where id = @Id
            """, new { Id = pairingId, Today = today, Reason = reason, By = by }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    /// <summary>Admins: the pairings whose school or teacher is in their scope; a teacher: their own.</summary>
    public static async Task<List<SupportPairingView>> VisibleAsync(NpgsqlConnection connection, PlatformUser user, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin or Roles.SchoolAdmin
            ? $"({PlatformUser.ScopeSql("p.school_path")} or {PlatformUser.ScopeSql("t.school_path")})"
            : "p.teacher_id = @TeacherId";
        return [.. await connection.QueryAsync<SupportPairingView>(new CommandDefinition(
            PairingSql + $" where {where} order by p.status, p.starts_on desc", parameters, cancellationToken: cancellationToken))];
    }
}
