using System.ComponentModel;
using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.StudyGroups;

public sealed record GroupRow
{
    public Guid Id { get; init; }
    public Guid ProgramYearId { get; init; }
    public string Kind { get; init; } = "";
    public Guid OrganisationId { get; init; }
    public string OrganisationPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public string Name { get; init; } = "";
    public Guid? LeaderId { get; init; }
    public Guid? SuggestedLeader { get; init; }
}

public sealed record MemberView
{
    public Guid GroupId { get; init; }
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public DateOnly HireDate { get; init; }
}

public sealed record GuideView
{
    public Guid GroupId { get; init; }
    public Guid GuideId { get; init; }
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string Explanation { get; init; } = "";
}

/// <summary>A study group with its members (most senior first), leader, suggested leader and guide teacher.</summary>
public sealed record GroupView(Guid Id,
    [property: Description("school＝校内研修组；cross_school＝区县编排的跨校研修组")] string Kind,
    string Name,
    [property: Codes(typeof(StageNames))] string Stage,
    [property: Codes(typeof(Subjects))] string Subject,
    string OrganisationPath, Guid? LeaderId, string? LeaderName,
    [property: Description("编组时建议的组长（组内最资深者）")] Guid? SuggestedLeaderId,
    IReadOnlyList<MemberView> Members,
    [property: Description("分配给本组的指导教师；尚未分配时为 null")] GuideView? Guide);

/// <summary>Reads and writes of study groups, shared by the group, guide and submission endpoints.</summary>
public static class StudyGroupStore
{
    public const string GroupColumns = "id, program_year_id, kind, organisation_id, organisation_path, stage, subject, name, leader_id, suggested_leader";

    public static Task<GroupRow?> FindAsync(NpgsqlConnection connection, Guid yearId, Guid groupId, NpgsqlTransaction? transaction, bool forUpdate,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition(
            $"select {GroupColumns} from study_groups where id = @Id and program_year_id = @YearId{(forUpdate ? " for update" : "")}",
            new { Id = groupId, YearId = yearId }, transaction, cancellationToken: cancellationToken));

    /// <summary>One county's group lists are arranged one request at a time (a school's and the county's draw on the same teachers).</summary>
    public static Task LockCountyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, string path,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@Key, 0))",
            new { Key = $"groups:{yearId}:{MentoringScope.CountyOf(path)}" }, transaction, cancellationToken: cancellationToken));

    /// <summary>Has the organisation formed its groups of the year already?</summary>
    public static Task<bool> FormedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, Guid organisationId,
        CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from study_groups where program_year_id = @YearId and organisation_id = @OrganisationId)",
            new { YearId = yearId, OrganisationId = organisationId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Teachers not yet in a group of the year; for a county (<paramref name="crossSchool"/>), only those whose school
    /// subject has fewer than <paramref name="minimum"/> in-post teachers, too small for a group of its own.
    /// </summary>
    public static async Task<List<GroupCandidate>> CandidatesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId,
        OrganisationRow organisation, bool crossSchool, int minimum, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<GroupCandidate>(new CommandDefinition($"""
            select t.id as teacher_id, t.name, t.school_id, t.school_path, t.stage, t.subject, t.hire_date
            from teachers t
            where t.in_post and {(crossSchool ? "t.school_path like @Prefix" : "t.school_id = @OrganisationId")}
              and not exists (select 1 from study_group_members m where m.program_year_id = @YearId and m.teacher_id = t.id)
              {(crossSchool ? """
                  and (select count(*) from teachers o where o.school_id = t.school_id and o.stage = t.stage and o.subject = t.subject and o.in_post) < @Minimum
                  """ : "")}
            """, new
        {
            YearId = yearId, OrganisationId = organisation.Id, Prefix = organisation.Path + "/%", Minimum = minimum,
        }, transaction, cancellationToken: cancellationToken))).ToList();

    /// <summary>The group the teacher is in this year, locked for the move; null when they are in none.</summary>
    public static Task<GroupRow?> CurrentGroupOfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, Guid teacherId,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition($"""
            select {GroupColumns} from study_groups
            where id = (select group_id from study_group_members where program_year_id = @YearId and teacher_id = @TeacherId)
            for update
            """, new { YearId = yearId, TeacherId = teacherId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Puts the teacher in <paramref name="groupId"/>, out of <paramref name="fromId"/> (and its leadership) when they were in one.</summary>
    public static Task MoveMemberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, TeacherRow teacher, Guid groupId,
        Guid? fromId, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into study_group_members (program_year_id, teacher_id, group_id, school_path, joined_at)
            values (@YearId, @TeacherId, @GroupId, @SchoolPath, @Now)
            on conflict (program_year_id, teacher_id) do update set group_id = excluded.group_id, joined_at = excluded.joined_at;
            update study_groups set updated_at = @Now where id = any(@Touched);
            -- A leader who leaves their group leaves it without one until the school names another.
            update study_groups set leader_id = null where id = @FromId and leader_id = @TeacherId;
            """, new
        {
            YearId = yearId, TeacherId = teacher.Id, GroupId = groupId, teacher.SchoolPath, Now = now,
            Touched = fromId is not { } from ? new[] { groupId } : [groupId, from], FromId = fromId,
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>Names the leader if they are a member of the group; the rows changed (0: not a member).</summary>
    public static Task<int> SetLeaderAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid groupId, Guid teacherId, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            update study_groups set leader_id = @TeacherId, updated_at = @Now
            where id = @GroupId
              and exists (select 1 from study_group_members where group_id = @GroupId and teacher_id = @TeacherId)
            """, new { GroupId = groupId, TeacherId = teacherId, Now = now }, transaction, cancellationToken: cancellationToken));

    public static Task InsertSubmissionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, OrganisationRow organisation,
        string by, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("""
            insert into group_list_submissions (program_year_id, organisation_id, organisation_path, submitted_by, submitted_at)
            values (@YearId, @OrganisationId, @Path, @By, @Now)
            """, new { YearId = yearId, OrganisationId = organisation.Id, organisation.Path, By = by, Now = now },
            transaction, cancellationToken: cancellationToken));

    public static async Task<bool> SubmittedAsync(NpgsqlConnection connection, Guid yearId, Guid organisationId, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from group_list_submissions where program_year_id = @YearId and organisation_id = @OrganisationId)",
            new { YearId = yearId, OrganisationId = organisationId }, transaction, cancellationToken: cancellationToken));

    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid yearId, string kind, OrganisationRow organisation,
        IEnumerable<FormedGroup> groups, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var group in groups)
        {
            var id = Guid.CreateVersion7(now);
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into study_groups (id, program_year_id, kind, organisation_id, organisation_path, stage, subject, name, leader_id, suggested_leader,
                    created_at, updated_at)
                values (@Id, @YearId, @Kind, @OrganisationId, @Path, @Stage, @Subject, @Name, @Leader, @Leader, @Now, @Now);
                insert into study_group_members (program_year_id, teacher_id, group_id, school_path, joined_at)
                select @YearId, m.teacher_id, @Id, m.school_path, @Now from unnest(@Members, @Paths) as m(teacher_id, school_path);
                """, new
            {
                Id = id, YearId = yearId, Kind = kind, OrganisationId = organisation.Id, organisation.Path, group.Stage, group.Subject,
                Name = group.NameAt(organisation.Name, kind == Contracts.Mentoring.StudyGroupKinds.CrossSchool), Leader = group.SuggestedLeaderId,
                Members = group.Members.Select(m => m.TeacherId).ToArray(), Paths = group.Members.Select(m => m.SchoolPath).ToArray(), Now = now,
            }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// The groups of a year the caller sees, below <paramref name="root"/>: a district or the operator its subtree; a school its
    /// own and the cross-school groups its teachers are in; a teacher their own group and the groups they guide.
    /// </summary>
    public static (string Where, DynamicParameters Parameters) Visible(PlatformUser user, string root, Guid yearId)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("YearId", yearId);
        parameters.Add("TeacherId", user.TeacherId);
        var where = user.Role switch
        {
            Roles.PlatformOperator or Roles.DistrictAdmin => $"g.program_year_id = @YearId and {PlatformUser.ScopeSql("g.organisation_path")}",
            Roles.SchoolAdmin => $"""
                g.program_year_id = @YearId and exists (select 1 from study_group_members m where m.group_id = g.id and {PlatformUser.ScopeSql("m.school_path")})
                """,
            _ => """
                g.program_year_id = @YearId and (g.id in (select group_id from study_group_members where teacher_id = @TeacherId)
                    or g.id in (select a.group_id from guide_assignments a join guide_teachers t on t.id = a.guide_id where t.teacher_id = @TeacherId))
                """,
        };
        return (where, parameters);
    }

    /// <summary>The groups <paramref name="where"/> selects (SQL on <c>g</c>), with members, leaders and guides.</summary>
    public static async Task<List<GroupView>> ViewsAsync(NpgsqlConnection connection, string where, object parameters, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken)
    {
        var groups = (await connection.QueryAsync<GroupRow>(new CommandDefinition(
            $"select {GroupColumns} from study_groups g where {where} order by g.organisation_path, g.stage, g.subject, g.name", parameters, transaction,
            cancellationToken: cancellationToken))).ToList();
        var ids = groups.Select(g => g.Id).ToArray();
        var members = (await connection.QueryAsync<MemberView>(new CommandDefinition("""
            select m.group_id, m.teacher_id, coalesce(t.name, '') as name, m.school_path, coalesce(t.hire_date, date '0001-01-01') as hire_date
            from study_group_members m left join teachers t on t.id = m.teacher_id
            where m.group_id = any(@Ids) order by t.hire_date, t.name
            """, new { Ids = ids }, transaction, cancellationToken: cancellationToken))).ToLookup(m => m.GroupId);
        var guides = (await connection.QueryAsync<GuideView>(new CommandDefinition("""
            select a.group_id, a.guide_id, g.teacher_id, coalesce(t.name, '') as name, coalesce(t.school_path, '') as school_path, a.explanation
            from guide_assignments a join guide_teachers g on g.id = a.guide_id left join teachers t on t.id = g.teacher_id
            where a.group_id = any(@Ids)
            """, new { Ids = ids }, transaction, cancellationToken: cancellationToken))).ToDictionary(g => g.GroupId);
        return [.. groups.Select(g =>
        {
            var list = members[g.Id].ToList();
            return new GroupView(g.Id, g.Kind, g.Name, g.Stage, g.Subject, g.OrganisationPath, g.LeaderId,
                list.FirstOrDefault(m => m.TeacherId == g.LeaderId)?.Name, g.SuggestedLeader, list, guides.GetValueOrDefault(g.Id));
        })];
    }

    /// <summary>
    /// Every school below <paramref name="root"/> (kindergartens too: they form groups) with its group list's state
    /// for the year: how many groups it has drafted, and who submitted the list when.
    /// </summary>
    public static async Task<List<GroupListSubmission>> SubmissionsAsync(NpgsqlConnection connection, Guid yearId, string root,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("YearId", yearId);
        return [.. await connection.QueryAsync<GroupListSubmission>(new CommandDefinition($"""
            select o.code, o.name, o.path,
                   (select count(*) from study_groups g where g.program_year_id = @YearId and g.organisation_id = o.id)::int as groups,
                   split_part(s.submitted_by, ' (', 1) as submitted_by, s.submitted_at -- the name; the account id stays in the record
            from organisations o
            left join group_list_submissions s on s.organisation_id = o.id and s.program_year_id = @YearId
            where o.kind = 'school' and {PlatformUser.ScopeSql("o.path")}
            order by o.path
            """, parameters, cancellationToken: cancellationToken))];
    }
}

/// <summary>A school's group list for a year, as a bureau follows it: drafted groups, and who submitted it when.</summary>
public sealed record GroupListSubmission
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    public int Groups { get; init; }
    /// <summary>The name of who submitted it.</summary>
    public string? SubmittedBy { get; init; }
    public DateTimeOffset? SubmittedAt { get; init; }

    /// <summary>submitted, pending (not yet, still in time) or late (not submitted and the due date has passed).</summary>
    [Codes(typeof(GroupListStatuses))]
    public string Status { get; init; } = "";

    /// <summary>The status as people read it (已提交 / 未提交 / 逾期未提交).</summary>
    public string StatusName { get; init; } = "";

    public GroupListSubmission On(DateOnly today, DateOnly due)
    {
        var status = GroupListStatuses.Of(SubmittedAt is not null, today, due);
        return this with { Status = status, StatusName = GroupListStatuses.Names[status] };
    }
}

/// <summary>Where a school's group list for a year stands.</summary>
public static class GroupListStatuses
{
    public const string Submitted = "submitted";
    public const string Pending = "pending";
    public const string Late = "late";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Submitted] = "已提交", [Pending] = "未提交", [Late] = "逾期未提交",
    };

    /// <summary>Submitted; else pending up to and including the due day, late after it.</summary>
    public static string Of(bool submitted, DateOnly today, DateOnly due) =>
        submitted ? Submitted : today > due ? Late : Pending;
}

/// <summary>What a bureau may filter the schools' group lists by: one status, every list not yet submitted, or all.</summary>
public static class GroupListFilters
{
    public const string All = "all";
    public const string Unsubmitted = "unsubmitted";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [All] = "全部",
        [GroupListStatuses.Submitted] = "已提交",
        [GroupListStatuses.Pending] = "未提交（未到截止日）",
        [GroupListStatuses.Late] = "逾期未提交",
        [Unsubmitted] = "未提交（含逾期）",
    };

    /// <summary>Does <paramref name="filter"/> (none: all) show a list of <paramref name="status"/>?</summary>
    public static bool Shows(string? filter, string status) =>
        filter is null or All || status == filter || (filter == Unsubmitted && status != GroupListStatuses.Submitted);
}

/// <summary>The schools' group lists below an organisation, with the counts a bureau checks first.</summary>
public sealed record GroupListProgress(string ProgramYear, DateOnly Due, int Submitted, int Pending, int Late, IReadOnlyList<GroupListSubmission> Schools);
