using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;
using TrainingPlatform.Services.Mentoring.Copies;
using TrainingPlatform.Services.Mentoring.StudyGroups;

namespace TrainingPlatform.Services.Mentoring.Guides;

public sealed record AppointGuide(Guid? TeacherId, string? Stage, string? Subject, int? Capacity, string? Reason = null);

public sealed record AppointExpert(string? Name, string? Stage, string? Subject);

public sealed record GuideRow
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string OrganisationPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public int Capacity { get; init; }
    public int Load { get; init; }

    /// <summary>Why the district appointed them outside their own stage and subject; null when it is their own.</summary>
    public string? CrossReason { get; init; }
}

/// <summary>
/// Guide teachers (指导教师): a district appoints them per stage and subject for its county or city, runs the
/// assignment of study groups to them (about 1 : 5, same subject and stage, nearest first), and everyone sees the four
/// levels of guidance above a group: province experts, city experts, the guide teacher, the group leader.
/// </summary>
public static class GuideEndpoints
{
    public static IEndpointRouteBuilder MapGuideEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Guide teachers");
        var districts = new[] { Roles.DistrictAdmin, Roles.PlatformOperator };
        group.MapPost("/organisations/{code}/guides", AppointAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapGet("/organisations/{code}/guides", ListAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapPost("/organisations/{code}/experts", AppointExpertAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapPost("/years/{year}/organisations/{code}/guide-assignments", AssignAsync).RequireAuthorization(p => p.RequireRole(districts));
        group.MapGet("/guides/me", MyAppointmentsAsync).RequireAuthorization(p => p.RequireRole(Roles.GuideTeacher, Roles.Teacher));
        group.MapGet("/years/{year}/guides/{guideId:guid}/groups", GroupsOfGuideAsync);
        group.MapGet("/years/{year}/study-groups/{groupId:guid}/guidance", GuidanceAsync);
        return app;
    }

    private const string GuideSql = """
        select g.id, g.teacher_id, coalesce(t.name, '') as name, coalesce(t.school_path, '') as school_path, g.organisation_path, g.stage, g.subject,
               g.capacity, g.cross_reason, (select count(*) from guide_assignments a where a.guide_id = g.id and a.program_year_id = @YearId)::int as load
        from guide_teachers g left join teachers t on t.id = g.teacher_id
        """;

    private static async Task<IResult> AppointAsync(string code, AppointGuide request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "请指定教师")
            .Require(request.Capacity is null or (>= 1 and <= 20), "capacity", "每位指导教师负责 1–20 个研修组")
            .Require((request.Reason ?? "").Length <= 500, "reason", "原因不超过 500 字");
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (district, problem) = await DistrictAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var teacher = request.TeacherId is { } id ? await CopyStore.FindTeacherAsync(unitOfWork.Connection, id, unitOfWork.Transaction, cancellationToken) : null;
        var stage = request.Stage ?? teacher?.Stage;
        var subject = request.Subject ?? teacher?.Subject;
        validation.Require(request.TeacherId is null || Subjects.IsValid(stage, subject), "subject", "学段与学科须是省定学科（如 junior / 数学）");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        if (!teacher.SchoolPath.StartsWith(district!.Path + "/", StringComparison.Ordinal))
        {
            return Problems.RuleBroken($"{teacher.Name} 不在{district.Name}，不能由{district.Name}聘为指导教师", "teacher-outside-district");
        }
        if (!teacher.InPost)
        {
            return Problems.RuleBroken($"{teacher.Name} 不在岗，不能担任指导教师", "teacher-not-in-post");
        }
        // As with a cross-subject mentor pairing by hand: a guide outside what they teach only with a reason, which every
        // assignment explanation using them then shows.
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        var matches = teacher.Stage == stage && teacher.Subject == subject;
        if (!matches && reason is null)
        {
            return RuleBroken($"{teacher.Name} 任教{OrganisationDistance.MatchLabel(teacher.Stage, teacher.Subject)}，聘为"
                + $"{OrganisationDistance.MatchLabel(stage!, subject!)}指导教师不是本人的学科学段：学科学段不一致的聘任须说明原因", "outside-own-stage-subject", "reason");
        }
        var guideId = Guid.CreateVersion7(clock.GetUtcNow());
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into guide_teachers (id, teacher_id, organisation_id, organisation_path, stage, subject, capacity, appointed_by, appointed_at, cross_reason)
            values (@Id, @TeacherId, @OrganisationId, @Path, @Stage, @Subject, @Capacity, @By, @Now, @CrossReason)
            on conflict (teacher_id, stage, subject) do nothing
            """, new
        {
            Id = guideId, TeacherId = teacher.Id, OrganisationId = district.Id, district.Path, Stage = stage, Subject = subject,
            Capacity = request.Capacity ?? options.Value.GroupsPerGuide, By = MentoringScope.By(user), Now = clock.GetUtcNow(),
            CrossReason = matches ? null : reason,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已是{OrganisationNames.StageSubject(stage!, subject!)}指导教师", "already-guide", "teacherId");
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/organisations/{code}/guides", new
        {
            id = guideId, teacherId = teacher.Id, teacher.Name, stage, subject, capacity = request.Capacity ?? options.Value.GroupsPerGuide,
            crossReason = matches ? null : reason,
        });
    }

    private static async Task<IResult> ListAsync(string code, string? year, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (district, problem) = await DistrictAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var yearId = year is null ? null : (await CopyStore.FindYearAsync(connection, year, null, cancellationToken))?.Id;
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(district!.Path));
        parameters.Add("YearId", yearId);
        return TypedResults.Ok(await connection.QueryAsync<GuideRow>(new CommandDefinition(
            GuideSql + $" where {PlatformUser.ScopeSql("g.organisation_path")} order by g.stage, g.subject, name", parameters,
            cancellationToken: cancellationToken)));
    }

    /// <summary>Province experts are named by the operator, city experts by the city's bureau.</summary>
    private static async Task<IResult> AppointExpertAsync(string code, AppointExpert request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= 50, "name", "专家姓名必填，不超过 50 字")
            .Require(Subjects.IsValid(request.Stage, request.Subject), "subject", "学段与学科须是省定学科（如 junior / 数学）");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (organisation!.Kind is not (OrganisationKinds.Province or OrganisationKinds.City))
        {
            return Problems.RuleBroken("专家分省级和市级：请给出省或市的代码", "expert-level");
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into experts (id, level, organisation_id, organisation_path, name, stage, subject, appointed_at)
            values (@Id, @Level, @OrganisationId, @Path, @Name, @Stage, @Subject, @Now)
            """, new
        {
            Id = id, Level = organisation.Kind, OrganisationId = organisation.Id, organisation.Path, Name = request.Name!.Trim(), request.Stage,
            request.Subject, Now = clock.GetUtcNow(),
        }, cancellationToken: cancellationToken));
        return TypedResults.Created($"/api/mentoring/organisations/{code}/experts", new { id, level = organisation.Kind, name = request.Name.Trim() });
    }

    /// <summary>
    /// Assigns the year's unguided study groups below <paramref name="code"/> to the guides appointed there, with the
    /// engine: same stage and subject, capacity (existing groups count), nearest first, load spread. Stored and announced.
    /// </summary>
    private static async Task<IResult> AssignAsync(string year, string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await CopyStore.FindYearAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var (district, problem) = await DistrictAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        // One run at a time per year, so two runs never give a guide more than their capacity.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@Key, 0))",
            new { Key = $"guides:{programYear.Id}" }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(district!.Path));
        parameters.Add("YearId", programYear.Id);
        var groups = (await unitOfWork.Connection.QueryAsync<GroupRow>(new CommandDefinition($"""
            select {StudyGroupStore.GroupColumns} from study_groups g
            where g.program_year_id = @YearId and {PlatformUser.ScopeSql("g.organisation_path")}
              and not exists (select 1 from guide_assignments a where a.group_id = g.id)
              and exists (select 1 from study_group_members m where m.group_id = g.id)
            order by g.organisation_path, g.name
            """, parameters, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        var guides = (await unitOfWork.Connection.QueryAsync<GuideRow>(new CommandDefinition(
            GuideSql + $" where {PlatformUser.ScopeSql("g.organisation_path")} and t.in_post", parameters, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToList();
        if (groups.Count == 0)
        {
            return Problems.RuleBroken($"{district.Name} {year} 年度没有尚未分配指导教师的研修组", "no-groups");
        }

        // No one guides their own group (nor, so, one they lead): a guide who is a member is excluded from that group.
        var memberships = (await unitOfWork.Connection.QueryAsync<(Guid GroupId, Guid TeacherId)>(new CommandDefinition("""
            select m.group_id, m.teacher_id from study_group_members m where m.group_id = any(@GroupIds)
            """, new { GroupIds = groups.Select(g => g.Id).ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToLookup(m => m.TeacherId, m => m.GroupId);
        var excluded = guides.SelectMany(g => memberships[g.TeacherId].Select(groupId => (GroupId: groupId, GuideId: g.Id)))
            .ToLookup(x => x.GroupId, x => x.GuideId);
        var result = AssignmentEngine.Solve(
            [.. groups.Select(g => new AssignmentClient(g.Id, g.Stage, g.Subject, g.OrganisationPath,
                excluded.Contains(g.Id) ? excluded[g.Id].ToHashSet() : null))],
            [.. guides.Select(g => new AssignmentServer(g.Id, g.Stage, g.Subject, g.SchoolPath, g.Capacity, g.Load,
                g.CrossReason is null ? null : $"跨学科学段聘任的指导教师（原因：{g.CrossReason}）"))],
            new AssignmentSettings
            {
                DistanceWeight = settings.DistanceWeight, LoadWeight = settings.LoadWeight, MaxDistance = settings.GuideMaxDistance, ServerNoun = "指导教师",
            });
        var now = clock.GetUtcNow();
        var runId = await AssignmentRuns.SaveAsync(unitOfWork, "guides", programYear.Id, district.Path, result, MentoringScope.By(user), now, cancellationToken);
        var guideById = guides.ToDictionary(g => g.Id);
        var groupById = groups.ToDictionary(g => g.Id);
        foreach (var pair in result.Assignments)
        {
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into guide_assignments (group_id, guide_id, program_year_id, distance, explanation, run_id, assigned_at)
                values (@GroupId, @GuideId, @YearId, @Distance, @Explanation, @RunId, @Now)
                """, new { GroupId = pair.ClientId, GuideId = pair.ServerId, YearId = programYear.Id, pair.Distance, pair.Explanation, RunId = runId, Now = now },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.PublishAsync(new GuideAssigned(pair.ClientId, programYear.Id, pair.ServerId, guideById[pair.ServerId].TeacherId, pair.Distance,
                pair.Explanation, runId, now), cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new
        {
            run = AssignmentRuns.Summary(runId, result),
            assignments = result.Assignments.Select(p => new
            {
                groupId = p.ClientId, group = groupById[p.ClientId].Name, guideId = p.ServerId, guide = guideById[p.ServerId].Name, p.Distance, p.Explanation,
            }),
            unassigned = result.Unassigned.Select(u => new { groupId = u.ClientId, group = groupById[u.ClientId].Name, u.Reason }),
        });
    }

    /// <summary>A 422 that also names the field to fix, for the client to put the words beside it.</summary>
    private static IResult RuleBroken(string detail, string rule, string field) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "不符合业务规则 (rule broken)",
            extensions: new Dictionary<string, object?> { ["rule"] = rule, ["field"] = field });

    /// <summary>
    /// The caller's own appointments as a guide (by the token's teacher id: a guide account is tied to its teacher),
    /// with the year's load when <paramref name="year"/> is given: where a guide starts to find their groups.
    /// </summary>
    private static async Task<IResult> MyAppointmentsAsync(string? year, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId;
        if (teacherId is null)
        {
            return Problems.Forbidden("该账号未关联教师，无法查看指导教师聘任");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var yearId = year is null ? null : (await CopyStore.FindYearAsync(connection, year, null, cancellationToken))?.Id;
        if (year is not null && yearId is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        return TypedResults.Ok(await connection.QueryAsync<GuideRow>(new CommandDefinition(GuideSql + " where g.teacher_id = @TeacherId order by g.stage, g.subject",
            new { TeacherId = teacherId, YearId = yearId }, cancellationToken: cancellationToken)));
    }

    /// <summary>A guide's groups with each member's study progress this year: the district above the guide, or the guide.</summary>
    private static async Task<IResult> GroupsOfGuideAsync(string year, Guid guideId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        var guide = programYear is null ? null : await connection.QuerySingleOrDefaultAsync<GuideRow>(new CommandDefinition(
            GuideSql + " where g.id = @GuideId", new { GuideId = guideId, YearId = programYear.Id }, cancellationToken: cancellationToken));
        if (guide is null || !(user.CanSeeOrganisation(guide.OrganisationPath) || user.TeacherId == guide.TeacherId))
        {
            return Problems.NotFound("指导教师不存在或不在你的管理范围内");
        }
        var groups = await StudyGroupStore.ViewsAsync(connection,
            "g.program_year_id = @YearId and g.id in (select group_id from guide_assignments where guide_id = @GuideId)",
            new { YearId = programYear!.Id, GuideId = guideId }, null, cancellationToken);
        var progress = await CopyStore.StudyProgressAsync(connection, [.. groups.SelectMany(g => g.Members).Select(m => m.TeacherId)], programYear.Id,
            cancellationToken);
        return TypedResults.Ok(new
        {
            guide,
            groups = groups.Select(g => new
            {
                group = g,
                progress = g.Members.Select(m => progress.GetValueOrDefault(m.TeacherId) ?? new StudyProgress { TeacherId = m.TeacherId }),
            }),
        });
    }

    /// <summary>The four levels of guidance above a group: province experts → city experts → guide teacher → group leader.</summary>
    private static async Task<IResult> GuidanceAsync(string year, Guid groupId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var (where, parameters) = StudyGroupStore.Visible(user, user.IsOperator ? "" : user.OrganisationPath, programYear.Id);
        parameters.Add("GroupId", groupId);
        var group = (await StudyGroupStore.ViewsAsync(connection, where + " and g.id = @GroupId", parameters, null, cancellationToken)).SingleOrDefault();
        if (group is null)
        {
            return Problems.NotFound("研修组不存在或不在你的管理范围内");
        }
        var experts = (await connection.QueryAsync<(string Level, string Name, string OrganisationPath)>(new CommandDefinition("""
            select level, name, organisation_path from experts
            where stage = @Stage and subject = @Subject and (level = 'province' or @Path like organisation_path || '/%')
            order by level desc, name
            """, new { group.Stage, group.Subject, Path = group.OrganisationPath }, cancellationToken: cancellationToken))).ToList();
        return TypedResults.Ok(new
        {
            group = new { group.Id, group.Name, group.Stage, group.Subject },
            levels = new object[]
            {
                new { level = "province_experts", name = "省级专家", people = experts.Where(e => e.Level == "province").Select(e => e.Name) },
                new { level = "city_experts", name = "市级专家", people = experts.Where(e => e.Level == "city").Select(e => e.Name) },
                new { level = "guide_teacher", name = "指导教师", people = group.Guide is null ? [] : new[] { group.Guide.Name } },
                new { level = "group_leader", name = "研修组长", people = group.LeaderName is null ? [] : new[] { group.LeaderName } },
            },
            guide = group.Guide,
        });
    }

    /// <summary>A county or city in the caller's scope (guides are a district's).</summary>
    private static async Task<(OrganisationRow? District, IResult? Problem)> DistrictAsync(NpgsqlConnection connection, PlatformUser user, string code,
        CancellationToken cancellationToken)
    {
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return (null, problem);
        }
        return organisation!.Kind is OrganisationKinds.County or OrganisationKinds.City
            ? (organisation, null)
            : (null, Problems.RuleBroken("指导教师由区县或市教育局聘任和分配：请给出区县或市的代码", "district-organisation"));
    }
}
