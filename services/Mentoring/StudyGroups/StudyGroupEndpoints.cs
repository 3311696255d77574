using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.StudyGroups;

public sealed record MoveTeacherRequest(string? Reason);

public sealed record SetLeaderRequest(Guid? TeacherId);

/// <summary>
/// Study groups of a program year: a school forms its own (a district the county's cross-school groups), adjusts
/// members and leaders up to the due date, and submits the list, which is announced. Everyone sees the groups in their
/// scope; a teacher sees their own group.
/// </summary>
public static class StudyGroupEndpoints
{
    public static IEndpointRouteBuilder MapStudyGroupEndpoints(this IEndpointRouteBuilder app)
    {
        var year = app.MapGroup("/api/mentoring/years/{year}").WithTags("Study groups");
        var arrangers = new[] { Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator };
        year.MapPost("/organisations/{code}/study-groups", FormAsync).RequireAuthorization(p => p.RequireRole(arrangers));
        year.MapPost("/organisations/{code}/study-groups/submit", SubmitAsync).RequireAuthorization(p => p.RequireRole(arrangers));
        year.MapPut("/study-groups/{groupId:guid}/members/{teacherId:guid}", MoveAsync).RequireAuthorization(p => p.RequireRole(arrangers));
        year.MapPut("/study-groups/{groupId:guid}/leader", SetLeaderAsync).RequireAuthorization(p => p.RequireRole(arrangers));
        year.MapGet("/study-groups", ListAsync);
        year.MapGet("/group-lists", SubmissionsAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator, Roles.SchoolAdmin));
        return app;
    }

    private static async Task<IResult> FormAsync(string year, string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, organisation, problem) = await ArrangeableAsync(unitOfWork, user, year, code, clock, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var exists = await unitOfWork.Connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from study_groups where program_year_id = @YearId and organisation_id = @OrganisationId)",
            new { YearId = programYear!.Id, OrganisationId = organisation!.Id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (exists)
        {
            return Problems.Conflict($"{organisation.Name} 的 {year} 年度研修组已编好；可调整成员和组长", "groups-formed");
        }

        var crossSchool = organisation.Kind == OrganisationKinds.County;
        // Teachers not yet in a group of the year; for a county, only those whose school subject is too small for a group of its own.
        var candidates = (await unitOfWork.Connection.QueryAsync<GroupCandidate>(new CommandDefinition($"""
            select t.id as teacher_id, t.name, t.school_id, t.school_path, t.stage, t.subject, t.hire_date
            from teachers t
            where t.in_post and {(crossSchool ? "t.school_path like @Prefix" : "t.school_id = @OrganisationId")}
              and not exists (select 1 from study_group_members m where m.program_year_id = @YearId and m.teacher_id = t.id)
              {(crossSchool ? """
                  and (select count(*) from teachers o where o.school_id = t.school_id and o.stage = t.stage and o.subject = t.subject and o.in_post) < @Minimum
                  """ : "")}
            """, new
        {
            YearId = programYear.Id, OrganisationId = organisation.Id, Prefix = organisation.Path + "/%", Minimum = settings.MinTeachersForSchoolGroup,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        if (candidates.Count == 0)
        {
            return Problems.RuleBroken(crossSchool
                ? $"{organisation.Name} 没有需要编入跨校研修组的教师（各校人数少于 {settings.MinTeachersForSchoolGroup} 人、尚未编组的学科）"
                : $"{organisation.Name} 没有尚未编组的在岗教师", "no-teachers");
        }
        var (groups, left) = crossSchool
            ? (GroupFormation.CrossSchool(candidates, settings.GroupSize), new List<GroupCandidate>())
            : GroupFormation.ForSchool(candidates, settings.GroupSize, settings.MinTeachersForSchoolGroup);
        var now = clock.GetUtcNow();
        await StudyGroupStore.InsertAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id,
            crossSchool ? StudyGroupKinds.CrossSchool : StudyGroupKinds.School, organisation, groups, now, cancellationToken);
        var views = await StudyGroupStore.ViewsAsync(unitOfWork.Connection, "g.program_year_id = @YearId and g.organisation_id = @OrganisationId",
            new { YearId = programYear.Id, OrganisationId = organisation.Id }, unitOfWork.Transaction, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/years/{year}/study-groups?organisation={code}", new
        {
            groups = views,
            // Subjects with too few teachers in the school: the district puts them in cross-school groups.
            leftToCounty = left.GroupBy(t => (t.Stage, t.Subject)).Select(g => new
            {
                stage = g.Key.Stage, subject = g.Key.Subject, teachers = g.Count(),
                reason = $"{OrganisationNames.StageSubject(g.Key.Stage, g.Key.Subject)}仅 {g.Count()} 人，少于 {settings.MinTeachersForSchoolGroup} 人，由区县编入跨校研修组",
            }),
        });
    }

    private static async Task<IResult> MoveAsync(string year, Guid groupId, Guid teacherId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, group, problem) = await EditableGroupAsync(unitOfWork, user, year, groupId, clock, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var teacher = await CopyStore.FindTeacherAsync(unitOfWork.Connection, teacherId, unitOfWork.Transaction, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var belongs = group!.Kind == StudyGroupKinds.School
            ? teacher.SchoolPath == group.OrganisationPath
            : teacher.SchoolPath.StartsWith(group.OrganisationPath + "/", StringComparison.Ordinal);
        if (!belongs)
        {
            return Problems.RuleBroken(group.Kind == StudyGroupKinds.School ? $"{teacher.Name} 不是本校教师，不能编入“{group.Name}”"
                : $"{teacher.Name} 不在本区县，不能编入“{group.Name}”", "teacher-outside-group-organisation");
        }
        if (!teacher.InPost)
        {
            return Problems.RuleBroken($"{teacher.Name} 不在岗，不参加研修组", "teacher-not-in-post");
        }
        if (teacher.Stage != group.Stage || teacher.Subject != group.Subject)
        {
            return Problems.RuleBroken($"{teacher.Name} 任教{OrganisationNames.StageSubject(teacher.Stage, teacher.Subject)}，“{group.Name}”是"
                + $"{OrganisationNames.StageSubject(group.Stage, group.Subject)}研修组：学科学段须一致", "subject-mismatch");
        }
        var current = await unitOfWork.Connection.QuerySingleOrDefaultAsync<GroupRow>(new CommandDefinition($"""
            select {StudyGroupStore.GroupColumns} from study_groups
            where id = (select group_id from study_group_members where program_year_id = @YearId and teacher_id = @TeacherId)
            for update
            """, new { YearId = programYear!.Id, TeacherId = teacher.Id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (current?.Id == group.Id)
        {
            return TypedResults.Ok(await ViewOfAsync(unitOfWork, programYear.Id, [group.Id], cancellationToken));
        }
        if (current is not null && current.OrganisationId != group.OrganisationId)
        {
            return Problems.Conflict($"{teacher.Name} 已在“{current.Name}”中，该组由其他单位编排；请先由该单位调出", "in-other-group", "teacherId");
        }
        var now = clock.GetUtcNow();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into study_group_members (program_year_id, teacher_id, group_id, school_path, joined_at)
            values (@YearId, @TeacherId, @GroupId, @SchoolPath, @Now)
            on conflict (program_year_id, teacher_id) do update set group_id = excluded.group_id, joined_at = excluded.joined_at;
            update study_groups set updated_at = @Now where id = any(@Touched);
            -- A leader who leaves their group leaves it without one until the school names another.
            update study_groups set leader_id = null where id = @FromId and leader_id = @TeacherId;
            """, new
        {
            YearId = programYear.Id, TeacherId = teacher.Id, GroupId = group.Id, teacher.SchoolPath, Now = now,
            Touched = current is null ? new[] { group.Id } : [group.Id, current.Id], FromId = current?.Id,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var views = await ViewOfAsync(unitOfWork, programYear.Id, current is null ? [group.Id] : [group.Id, current.Id], cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(views);
    }

    private static async Task<IResult> SetLeaderAsync(string year, Guid groupId, SetLeaderRequest request, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (request.TeacherId is null)
        {
            return new Validation().Require(false, "teacherId", "请指定组长（本组成员）").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, group, problem) = await EditableGroupAsync(unitOfWork, user, year, groupId, clock, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var updated = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update study_groups set leader_id = @TeacherId, updated_at = @Now
            where id = @GroupId
              and exists (select 1 from study_group_members where group_id = @GroupId and teacher_id = @TeacherId)
            """, new { GroupId = group!.Id, request.TeacherId, Now = clock.GetUtcNow() }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return Problems.RuleBroken($"组长须是“{group.Name}”的成员；请先把该教师调入本组", "leader-not-member");
        }
        var views = await ViewOfAsync(unitOfWork, programYear!.Id, [group.Id], cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(views[0]);
    }

    private static async Task<IResult> SubmitAsync(string year, string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, organisation, problem) = await ArrangeableAsync(unitOfWork, user, year, code, clock, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var groups = await StudyGroupStore.ViewsAsync(unitOfWork.Connection, "g.program_year_id = @YearId and g.organisation_id = @OrganisationId",
            new { YearId = programYear!.Id, OrganisationId = organisation!.Id }, unitOfWork.Transaction, cancellationToken);
        var validation = new Validation().Require(groups.Count > 0, "groups", "尚未编组，没有可提交的名单");
        foreach (var g in groups.Where(g => g.Members.Count > 0 && g.LeaderId is null))
        {
            validation.Add($"groups[{g.Id}].leaderId", $"“{g.Name}”没有组长");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var now = clock.GetUtcNow();
        var submitted = groups.Where(g => g.Members.Count > 0).ToList();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into group_list_submissions (program_year_id, organisation_id, organisation_path, submitted_by, submitted_at)
            values (@YearId, @OrganisationId, @Path, @By, @Now)
            """, new { YearId = programYear.Id, OrganisationId = organisation.Id, organisation.Path, By = MentoringScope.By(user), Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new StudyGroupsSubmitted(programYear.Id, programYear.Code, organisation.Id, organisation.Path,
            [.. submitted.Select(g => new StudyGroupSnapshot(g.Id, g.Name, g.Kind, g.Stage, g.Subject, g.LeaderId, [.. g.Members.Select(m => m.TeacherId)]))],
            now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new { organisation = organisation.Code, groups = submitted.Count, teachers = submitted.Sum(g => g.Members.Count), submittedAt = now });
    }

    /// <summary>Groups in the caller's sight: a teacher their own; a school its own and the cross-school groups its teachers are in; a district its subtree.</summary>
    private static async Task<IResult> ListAsync(string year, string? organisation, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var root = user.IsOperator ? "" : user.OrganisationPath;
        if (organisation is not null)
        {
            var (found, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, organisation, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            root = found!.Path;
        }
        var (where, parameters) = StudyGroupStore.Visible(user, root, programYear.Id);
        return TypedResults.Ok(await StudyGroupStore.ViewsAsync(connection, where, parameters, null, cancellationToken));
    }

    /// <summary>
    /// Which schools in scope (below <paramref name="under"/>) have submitted their group lists, when and by whom,
    /// and which are late: what a county or city chases before the due date.
    /// </summary>
    private static async Task<IResult> SubmissionsAsync(string year, string? under, string? status, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        if (status is not (null or "all" or "submitted" or "pending" or "late" or "unsubmitted"))
        {
            return new Validation().Require(false, "status",
                "状态应为 submitted（已提交）、pending（未提交，未到截止日）、late（逾期未提交）、unsubmitted（未提交）或 all", Validation.NotAllowed).ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var root = user.IsOperator ? "" : user.OrganisationPath;
        if (under is not null)
        {
            var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(connection, user, under, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
            root = organisation!.Path;
        }
        var today = ProvinceCalendar.Today(clock);
        var schools = (await StudyGroupStore.SubmissionsAsync(connection, programYear.Id, root, cancellationToken))
            .Select(s => s.On(today, programYear.GroupListsDue))
            .ToList();
        var shown = schools.Where(s => status is null or "all" || s.Status == status || (status == "unsubmitted" && s.Status != "submitted"));
        return TypedResults.Ok(new GroupListProgress(programYear.Code, programYear.GroupListsDue, schools.Count(s => s.Status == "submitted"),
            schools.Count(s => s.Status == "pending"), schools.Count(s => s.Status == "late"), [.. shown]));
    }

    private static Task<List<GroupView>> ViewOfAsync(UnitOfWork unitOfWork, Guid yearId, Guid[] ids, CancellationToken cancellationToken) =>
        StudyGroupStore.ViewsAsync(unitOfWork.Connection, "g.program_year_id = @YearId and g.id = any(@Ids)", new { YearId = yearId, Ids = ids },
            unitOfWork.Transaction, cancellationToken);

    /// <summary>The year and organisation, if the caller may arrange its groups today; else the problem.</summary>
    private static async Task<(YearRow? Year, OrganisationRow? Organisation, IResult? Problem)> ArrangeableAsync(UnitOfWork unitOfWork, PlatformUser user,
        string year, string code, TimeProvider clock, CancellationToken cancellationToken)
    {
        var programYear = await CopyStore.FindYearAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return (null, null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(unitOfWork.Connection, user, code, cancellationToken);
        problem ??= MentoringScope.CanArrangeGroups(user, organisation!.Kind, organisation.Path);
        if (problem is not null)
        {
            return (null, null, problem);
        }
        await MentoringScope.LockCountyAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, organisation!.Path, cancellationToken);
        var submitted = await StudyGroupStore.SubmittedAsync(unitOfWork.Connection, programYear.Id, organisation.Id, unitOfWork.Transaction,
            cancellationToken);
        problem = MentoringScope.GroupListsOpen(programYear, clock, submitted);
        return problem is null ? (programYear, organisation, null) : (null, null, problem);
    }

    /// <summary>The group, if the caller may change it today; else the problem.</summary>
    private static async Task<(YearRow? Year, GroupRow? Group, IResult? Problem)> EditableGroupAsync(UnitOfWork unitOfWork, PlatformUser user,
        string year, Guid groupId, TimeProvider clock, CancellationToken cancellationToken)
    {
        var programYear = await CopyStore.FindYearAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return (null, null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var group = await StudyGroupStore.FindAsync(unitOfWork.Connection, programYear.Id, groupId, unitOfWork.Transaction, false, cancellationToken);
        if (group is not null)
        {
            await MentoringScope.LockCountyAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, group.OrganisationPath, cancellationToken);
            group = await StudyGroupStore.FindAsync(unitOfWork.Connection, programYear.Id, groupId, unitOfWork.Transaction, true, cancellationToken);
        }
        if (group is null || !(user.CanSeeOrganisation(group.OrganisationPath) || user.OrganisationPath.StartsWith(group.OrganisationPath + "/", StringComparison.Ordinal)))
        {
            return (null, null, Problems.NotFound("研修组不存在或不在你的管理范围内"));
        }
        var problem = MentoringScope.CanArrangeGroups(user, group.Kind == StudyGroupKinds.School ? OrganisationKinds.School : OrganisationKinds.County,
            group.OrganisationPath)
            ?? MentoringScope.GroupListsOpen(programYear, clock,
                await StudyGroupStore.SubmittedAsync(unitOfWork.Connection, programYear.Id, group.OrganisationId, unitOfWork.Transaction, cancellationToken));
        return problem is null ? (programYear, group, null) : (null, null, problem);
    }
}
