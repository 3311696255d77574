using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Services.Mentoring.StudyGroups;

namespace TrainingPlatform.Services.Mentoring.Guides;

/// <summary>Reads and writes of guide teachers, experts and the assignment of study groups to guides.</summary>
public static class GuideStore
{
    private const string GuideSql = """
        select g.id, g.teacher_id, coalesce(t.name, '') as name, coalesce(t.school_path, '') as school_path, g.organisation_path, g.stage, g.subject,
               g.capacity, g.cross_reason, (select count(*) from guide_assignments a where a.guide_id = g.id and a.program_year_id = @YearId)::int as load
        from guide_teachers g left join teachers t on t.id = g.teacher_id
        """;

    /// <summary>Appoints the guide unless they already are one for that stage and subject; the rows inserted (0: they are).</summary>
    public static Task<int> InsertGuideAsync(UnitOfWork unitOfWork, Guid id, Guid teacherId, Guid organisationId, string path, string stage, string subject,
        int capacity, string by, DateTimeOffset now, string? crossReason, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into guide_teachers (id, teacher_id, organisation_id, organisation_path, stage, subject, capacity, appointed_by, appointed_at, cross_reason)
            values (@Id, @TeacherId, @OrganisationId, @Path, @Stage, @Subject, @Capacity, @By, @Now, @CrossReason)
            on conflict (teacher_id, stage, subject) do nothing
            """, new
        {
            Id = id, TeacherId = teacherId, OrganisationId = organisationId, Path = path, Stage = stage, Subject = subject, Capacity = capacity, By = by,
            Now = now, CrossReason = crossReason,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The guides appointed at or below <paramref name="path"/>, with their load in <paramref name="yearId"/> (none when null).</summary>
    public static async Task<List<GuideRow>> BelowAsync(NpgsqlConnection connection, string path, Guid? yearId, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(path));
        parameters.Add("YearId", yearId);
        return [.. await connection.QueryAsync<GuideRow>(new CommandDefinition(
            GuideSql + $" where {PlatformUser.ScopeSql("g.organisation_path")} order by g.stage, g.subject, name", parameters,
            cancellationToken: cancellationToken))];
    }

    public static async Task<List<GuideRow>> OfTeacherAsync(NpgsqlConnection connection, Guid teacherId, Guid? yearId, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<GuideRow>(new CommandDefinition(GuideSql + " where g.teacher_id = @TeacherId order by g.stage, g.subject",
            new { TeacherId = teacherId, YearId = yearId }, cancellationToken: cancellationToken))];

    public static Task<GuideRow?> FindAsync(NpgsqlConnection connection, Guid guideId, Guid yearId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GuideRow>(new CommandDefinition(
            GuideSql + " where g.id = @GuideId", new { GuideId = guideId, YearId = yearId }, cancellationToken: cancellationToken));

    public static Task InsertExpertAsync(NpgsqlConnection connection, Guid id, string level, Guid organisationId, string path, string name, string stage,
        string subject, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into experts (id, level, organisation_id, organisation_path, name, stage, subject, appointed_at)
            values (@Id, @Level, @OrganisationId, @Path, @Name, @Stage, @Subject, @Now)
            """, new
        {
            Id = id, Level = level, OrganisationId = organisationId, Path = path, Name = name, Stage = stage, Subject = subject, Now = now,
        }, cancellationToken: cancellationToken));

    /// <summary>The province's experts and those of the city above <paramref name="path"/>, for the stage and subject.</summary>
    public static async Task<List<(string Level, string Name, string OrganisationPath)>> ExpertsAboveAsync(NpgsqlConnection connection, string stage,
        string subject, string path, CancellationToken cancellationToken) =>
        [.. await connection.QueryAsync<(string Level, string Name, string OrganisationPath)>(new CommandDefinition("""
            select level, name, organisation_path from experts
            where stage = @Stage and subject = @Subject and (level = 'province' or @Path like organisation_path || '/%')
            order by level desc, name
            """, new { Stage = stage, Subject = subject, Path = path }, cancellationToken: cancellationToken))];

    /// <summary>One run at a time per year, so two runs never give a guide more than their capacity.</summary>
    public static Task LockYearAsync(UnitOfWork unitOfWork, Guid yearId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@Key, 0))",
            new { Key = $"guides:{yearId}" }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The year's groups below <paramref name="path"/> that have members and no guide yet.</summary>
    public static async Task<List<GroupRow>> UnguidedGroupsAsync(UnitOfWork unitOfWork, Guid yearId, string path, CancellationToken cancellationToken) =>
        [.. await unitOfWork.Connection.QueryAsync<GroupRow>(new CommandDefinition($"""
            select {StudyGroupStore.GroupColumns} from study_groups g
            where g.program_year_id = @YearId and {PlatformUser.ScopeSql("g.organisation_path")}
              and not exists (select 1 from guide_assignments a where a.group_id = g.id)
              and exists (select 1 from study_group_members m where m.group_id = g.id)
            order by g.organisation_path, g.name
            """, YearBelow(yearId, path), unitOfWork.Transaction, cancellationToken: cancellationToken))];

    /// <summary>The in-post guides appointed at or below <paramref name="path"/>, with their load in the year.</summary>
    public static async Task<List<GuideRow>> InPostGuidesAsync(UnitOfWork unitOfWork, Guid yearId, string path, CancellationToken cancellationToken) =>
        [.. await unitOfWork.Connection.QueryAsync<GuideRow>(new CommandDefinition(
            GuideSql + $" where {PlatformUser.ScopeSql("g.organisation_path")} and t.in_post", YearBelow(yearId, path), unitOfWork.Transaction,
            cancellationToken: cancellationToken))];

    /// <summary>Teacher → the groups (of <paramref name="groupIds"/>) they are a member of.</summary>
    public static async Task<ILookup<Guid, Guid>> MembershipsAsync(UnitOfWork unitOfWork, Guid[] groupIds, CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<(Guid GroupId, Guid TeacherId)>(new CommandDefinition("""
            select m.group_id, m.teacher_id from study_group_members m where m.group_id = any(@GroupIds)
            """, new { GroupIds = groupIds }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToLookup(m => m.TeacherId, m => m.GroupId);

    public static Task InsertAssignmentAsync(UnitOfWork unitOfWork, Guid yearId, Assignment.AssignedPair pair, Guid runId, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into guide_assignments (group_id, guide_id, program_year_id, distance, explanation, run_id, assigned_at)
            values (@GroupId, @GuideId, @YearId, @Distance, @Explanation, @RunId, @Now)
            """, new { GroupId = pair.ClientId, GuideId = pair.ServerId, YearId = yearId, pair.Distance, pair.Explanation, RunId = runId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    private static DynamicParameters YearBelow(Guid yearId, string path)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(path));
        parameters.Add("YearId", yearId);
        return parameters;
    }
}
