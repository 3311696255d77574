using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Security;
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

public sealed record GroupView(Guid Id, string Kind, string Name, string Stage, string Subject, string OrganisationPath, Guid? LeaderId,
    string? LeaderName, Guid? SuggestedLeaderId, IReadOnlyList<MemberView> Members, GuideView? Guide);

/// <summary>Reads and writes of study groups, shared by the group, guide and submission endpoints.</summary>
public static class StudyGroupStore
{
    public const string GroupColumns = "id, program_year_id, kind, organisation_id, organisation_path, stage, subject, name, leader_id, suggested_leader";

    public static Task<GroupRow?> FindAsync(NpgsqlConnection connection, Guid yearId, Guid groupId, NpgsqlTransaction? transaction, bool forUpdate,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition(
            $"select {GroupColumns} from study_groups where id = @Id and program_year_id = @YearId{(forUpdate ? " for update" : "")}",
            new { Id = groupId, YearId = yearId }, transaction, cancellationToken: cancellationToken));

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
    public string Status { get; init; } = "";

    /// <summary>The status as people read it (已提交 / 未提交 / 逾期未提交).</summary>
    public string StatusName { get; init; } = "";

    public static readonly IReadOnlyDictionary<string, string> StatusNames = new Dictionary<string, string>
    {
        ["submitted"] = "已提交", ["pending"] = "未提交", ["late"] = "逾期未提交",
    };

    public static string StatusOf(bool submitted, DateOnly today, DateOnly due) =>
        submitted ? "submitted" : today > due ? "late" : "pending";

    public GroupListSubmission On(DateOnly today, DateOnly due)
    {
        var status = StatusOf(SubmittedAt is not null, today, due);
        return this with { Status = status, StatusName = StatusNames[status] };
    }
}

/// <summary>The schools' group lists below an organisation, with the counts a bureau checks first.</summary>
public sealed record GroupListProgress(string ProgramYear, DateOnly Due, int Submitted, int Pending, int Late, IReadOnlyList<GroupListSubmission> Schools);
