using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Mentoring.Activities;

/// <summary>What an activity is attached to: who earns by it, whom it served and who confirms it, and when it may be held.</summary>
internal sealed record ActivitySource
{
    public Guid TeacherId { get; init; }
    public string ConfirmingPath { get; init; } = "";
    public string ServedName { get; init; } = "";
    public DateOnly FirstDay { get; init; }
    public DateOnly? LastDay { get; init; }
    public string Level { get; init; } = "";
}

/// <summary>Reads and writes of mentoring activities, and of the pairings and groups they are logged against.</summary>
internal static class ActivityStore
{
    private const string ActivitySql = """
        select a.id, a.kind, a.source_id, a.teacher_id, coalesce(t.name, '') as teacher_name, a.confirming_path, a.title, a.credit_title, a.held_on,
               a.hours, a.category, a.mode, a.level, a.description, a.status, a.decided_by, a.decided_at, a.rejected_reason
        from mentoring_activities a left join teachers t on t.id = a.teacher_id
        """;

    // Per kind: the earner, the served school (or county) and the period, read from the pairing or the group's guide.
    private static readonly Dictionary<string, string> SourceSql = new()
    {
        [MentoringActivityKinds.MentoringSession] = $"""
            select p.mentor_id as teacher_id, coalesce(e.school_path, '') as confirming_path, '徒弟' || coalesce(e.name, '') as served_name,
                   p.starts_on as first_day, coalesce(p.ended_on, p.ends_on) as last_day, '{TrainingLevels.School}' as level
            from mentor_pairings p left join teachers e on e.id = p.mentee_id where p.id = @Id
            """,
        [MentoringActivityKinds.SchoolSupport] = """
            select p.teacher_id, p.school_path as confirming_path, coalesce(o.name, '') as served_name, p.starts_on as first_day,
                   coalesce(p.ended_on, p.ends_on) as last_day, p.level
            from support_pairings p left join organisations o on o.id = p.school_id where p.id = @Id
            """,
        // A guide may log from the day the group was assigned to them; the level is the bureau that appointed them.
        [MentoringActivityKinds.Guidance] = """
            select gt.teacher_id, g.organisation_path as confirming_path, g.name as served_name,
                   (a.assigned_at at time zone 'Asia/Shanghai')::date as first_day, null::date as last_day, coalesce(o.kind, 'county') as level
            from guide_assignments a join study_groups g on g.id = a.group_id join guide_teachers gt on gt.id = a.guide_id
                 left join organisations o on o.path = gt.organisation_path
            where a.group_id = @Id
            """,
    };

    /// <summary>The pairing or group (by <paramref name="kind"/>) an activity is logged against; null when there is none.</summary>
    public static Task<ActivitySource?> FindSourceAsync(UnitOfWork unitOfWork, string kind, Guid sourceId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<ActivitySource>(new CommandDefinition(SourceSql[kind], new { Id = sourceId },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Serialises every log of this person and day until the transaction ends, so two at once cannot both fit under
    /// the daily cap.
    /// </summary>
    public static Task LockDayAsync(UnitOfWork unitOfWork, Guid teacherId, DateOnly day, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@Key, 0))",
            new { Key = $"activity-day:{teacherId}:{MentoringScope.Day(day)}" }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The hours the person has logged for the day, waiting or confirmed (rejected ones no longer count).</summary>
    public static Task<decimal> LoggedOnAsync(UnitOfWork unitOfWork, Guid teacherId, DateOnly heldOn, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<decimal>(new CommandDefinition("""
            select coalesce(sum(hours), 0) from mentoring_activities where teacher_id = @TeacherId and held_on = @HeldOn and status <> 'rejected'
            """, new { TeacherId = teacherId, HeldOn = heldOn }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Logs the activity unless the same one (source, day, title) is already logged; the rows inserted (0: it is).</summary>
    public static Task<int> InsertAsync(UnitOfWork unitOfWork, ActivityRow activity, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentoring_activities (id, kind, source_id, teacher_id, confirming_path, title, credit_title, held_on, hours, category, mode, level,
                                              description, status, created_at)
            values (@Id, @Kind, @SourceId, @TeacherId, @ConfirmingPath, @Title, @CreditTitle, @HeldOn, @Hours, @Category, @Mode, @Level, @Description,
                    'logged', @Now)
            on conflict (source_id, teacher_id, held_on, title) where status <> 'rejected' do nothing
            """, new
        {
            activity.Id, activity.Kind, activity.SourceId, activity.TeacherId, activity.ConfirmingPath, activity.Title, activity.CreditTitle,
            activity.HeldOn, activity.Hours, activity.Category, activity.Mode, activity.Level, activity.Description, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Admins: the activities their scope confirms; a teacher (or guide): what they logged. Optionally of one status.</summary>
    public static async Task<List<ActivityRow>> VisibleAsync(NpgsqlConnection connection, PlatformUser user, string? status,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.Add("TeacherId", user.TeacherId);
        parameters.Add("Status", status);
        var where = user.Role is Roles.PlatformOperator or Roles.DistrictAdmin or Roles.SchoolAdmin
            ? PlatformUser.ScopeSql("a.confirming_path")
            : "a.teacher_id = @TeacherId";
        return [.. await connection.QueryAsync<ActivityRow>(new CommandDefinition(
            ActivitySql + $" where {where} and (@Status::text is null or a.status = @Status) order by a.held_on desc, a.id", parameters,
            cancellationToken: cancellationToken))];
    }

    public static Task<ActivityRow?> FindForUpdateAsync(UnitOfWork unitOfWork, Guid activityId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<ActivityRow>(new CommandDefinition(
            ActivitySql + " where a.id = @Id for update of a", new { Id = activityId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task DecideAsync(UnitOfWork unitOfWork, Guid activityId, string status, string by, DateTimeOffset now, string? reason,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update mentoring_activities set status = @Status, decided_by = @By, decided_at = @Now, rejected_reason = @Reason where id = @Id
            """, new { Id = activityId, Status = status, By = by, Now = now, Reason = reason },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}
