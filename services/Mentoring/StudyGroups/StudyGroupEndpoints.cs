using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.StudyGroups;

public sealed record SetLeaderRequest(
    [property: Required, Description("组长的教师编号；须是本组成员")] Guid? TeacherId);

/// <summary>The groups just formed, and the subjects the school leaves to its county's cross-school groups.</summary>
public sealed record FormedGroups(IReadOnlyList<GroupView> Groups, IReadOnlyList<LeftToCounty> LeftToCounty);

/// <summary>A school subject with too few teachers for a group of its own: the district puts them in cross-school groups.</summary>
public sealed record LeftToCounty(
    [property: Codes(typeof(StageNames))] string Stage,
    [property: Codes(typeof(Subjects))] string Subject,
    [property: Description("该学科尚未编组的在岗教师人数")] int Teachers,
    string Reason);

/// <summary>A group list as submitted: whose, how many groups and teachers, when.</summary>
public sealed record GroupListSubmitted(
    [property: Description("提交名单的机构代码")] string Organisation,
    [property: Description("提交的研修组数（不含没有成员的组）")] int Groups,
    int Teachers,
    DateTimeOffset SubmittedAt);

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
        year.MapPost("/organisations/{code}/study-groups", FormAsync).RequireAuthorization(p => p.RequireRole(arrangers))
            .WithName("FormStudyGroups")
            .WithSummary("编排研修组")
            .WithDescription("学校代码：把本校尚未编组的在岗教师按学段学科编组（每组约 Mentoring:GroupSize 人，由资深到新轮流分配，每组最资深者为建议组长）；"
                + "某学科人数少于 Mentoring:MinTeachersForSchoolGroup 的留给区县（leftToCounty）。区县代码：把各校留下的教师编入跨校研修组。"
                + "每个单位每年度只编一次，之后调整成员和组长；名单提交后或截止日之后不能再编。");
        year.MapPost("/organisations/{code}/study-groups/submit", SubmitAsync).RequireAuthorization(p => p.RequireRole(arrangers))
            .WithName("SubmitGroupList")
            .WithSummary("提交研修组名单")
            .WithDescription("提交本单位本年度的研修组名单并发布（StudyGroupsSubmitted）；每个有成员的组须有组长。提交后不能再调整；截止日当天仍可提交。");
        year.MapPut("/study-groups/{groupId:guid}/members/{teacherId:guid}", MoveAsync).RequireAuthorization(p => p.RequireRole(arrangers))
            .WithName("MoveStudyGroupMember")
            .WithSummary("调整研修组成员")
            .WithDescription("把教师编入该组（已在本单位其他组的，从原组调出；原组组长调出后该组暂无组长）。教师须在岗、学段学科与本组一致。"
                + "已在本组时不做修改。返回涉及的组（本组，及调出的原组）。");
        year.MapPut("/study-groups/{groupId:guid}/leader", SetLeaderAsync).RequireAuthorization(p => p.RequireRole(arrangers))
            .WithName("SetStudyGroupLeader")
            .WithSummary("指定研修组长")
            .WithDescription("组长须是本组成员。");
        year.MapGet("/study-groups", ListAsync)
            .WithName("ListStudyGroups")
            .WithSummary("查看研修组")
            .WithDescription("范围内的研修组及成员、组长、指导教师：教育局看下辖各单位的组；学校看本校的组及本校教师所在的跨校组；教师看自己所在和自己指导的组。");
        year.MapGet("/group-lists", SubmissionsAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator, Roles.SchoolAdmin))
            .WithName("ListGroupListSubmissions")
            .WithSummary("查看研修组名单提交情况")
            .WithDescription("范围内每所学校本年度名单的状态（已提交 / 未提交 / 逾期未提交）、已编组数、提交人和时间，以及各状态的校数（计数不受 status 筛选影响）。");
        return app;
    }

    private static async Task<Results<Created<FormedGroups>, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>> FormAsync(string year,
        string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, organisation, problem) = await ArrangeableAsync(unitOfWork, user, year, code, clock, cancellationToken);
        if (problem is not null)
        {
            return problem switch
            {
                NotFoundProblem p => p, ForbiddenProblem p => p, ConflictProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem),
            };
        }
        if (await StudyGroupStore.FormedAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear!.Id, organisation!.Id, cancellationToken))
        {
            return Problems.Conflict($"{organisation.Name} 的 {year} 年度研修组已编好；可调整成员和组长", "groups-formed");
        }

        var crossSchool = organisation.Kind == OrganisationKinds.County;
        var candidates = await StudyGroupStore.CandidatesAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, organisation, crossSchool,
            settings.MinTeachersForSchoolGroup, cancellationToken);
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
        await AuditTrail.RecordAsync(unitOfWork, http, "study-groups-formed", "study-group-list", $"{year}/{organisation.Code}",
            $"为{organisation.Name}编排 {year} 年度{(crossSchool ? "跨校" : "校本")}研修组 {views.Count} 个，共 {views.Sum(v => v.Members.Count)} 人", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/years/{year}/study-groups?organisation={code}", new FormedGroups(views,
        [
            // Subjects with too few teachers in the school: the district puts them in cross-school groups.
            .. left.GroupBy(t => (t.Stage, t.Subject)).Select(g => new LeftToCounty(g.Key.Stage, g.Key.Subject, g.Count(),
                $"{OrganisationNames.StageSubject(g.Key.Stage, g.Key.Subject)}仅 {g.Count()} 人，少于 {settings.MinTeachersForSchoolGroup} 人，由区县编入跨校研修组")),
        ]));
    }

    private static async Task<Results<Ok<List<GroupView>>, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>> MoveAsync(string year,
        Guid groupId, Guid teacherId, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, group, problem) = await EditableGroupAsync(unitOfWork, user, year, groupId, clock, cancellationToken);
        if (problem is not null)
        {
            return problem switch
            {
                NotFoundProblem p => p, ForbiddenProblem p => p, ConflictProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem),
            };
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
        var current = await StudyGroupStore.CurrentGroupOfAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear!.Id, teacher.Id,
            cancellationToken);
        if (current?.Id == group.Id)
        {
            return TypedResults.Ok(await ViewOfAsync(unitOfWork, programYear.Id, [group.Id], cancellationToken));
        }
        if (current is not null && current.OrganisationId != group.OrganisationId)
        {
            return Problems.Conflict($"{teacher.Name} 已在“{current.Name}”中，该组由其他单位编排；请先由该单位调出", "in-other-group", "teacherId");
        }
        await StudyGroupStore.MoveMemberAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, teacher, group.Id, current?.Id,
            clock.GetUtcNow(), cancellationToken);
        var views = await ViewOfAsync(unitOfWork, programYear.Id, current is null ? [group.Id] : [group.Id, current.Id], cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "study-group-member-moved", "study-group", group.Id.ToString(),
            $"将 {teacher.Name} 调入“{group.Name}”" + (current is null ? "" : $"（调出“{current.Name}”）"), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<GroupView>, ValidationFailed, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>> SetLeaderAsync(
        string year, Guid groupId, SetLeaderRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
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
            return problem switch
            {
                NotFoundProblem p => p, ForbiddenProblem p => p, ConflictProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem),
            };
        }
        var updated = await StudyGroupStore.SetLeaderAsync(unitOfWork.Connection, unitOfWork.Transaction, group!.Id, request.TeacherId.Value,
            clock.GetUtcNow(), cancellationToken);
        if (updated == 0)
        {
            return Problems.RuleBroken($"组长须是“{group.Name}”的成员；请先把该教师调入本组", "leader-not-member");
        }
        var views = await ViewOfAsync(unitOfWork, programYear!.Id, [group.Id], cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "study-group-leader-set", "study-group", group.Id.ToString(),
            $"设“{group.Name}”的组长为 {views[0].Members.FirstOrDefault(m => m.TeacherId == request.TeacherId)?.Name ?? request.TeacherId.Value.ToString()}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(views[0]);
    }

    private static async Task<Results<Ok<GroupListSubmitted>, ValidationFailed, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>> SubmitAsync(
        string year, string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (programYear, organisation, problem) = await ArrangeableAsync(unitOfWork, user, year, code, clock, cancellationToken);
        if (problem is not null)
        {
            return problem switch
            {
                NotFoundProblem p => p, ForbiddenProblem p => p, ConflictProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem),
            };
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
        await StudyGroupStore.InsertSubmissionAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, organisation, MentoringScope.By(user), now,
            cancellationToken);
        await unitOfWork.PublishAsync(new StudyGroupsSubmitted(programYear.Id, programYear.Code, organisation.Id, organisation.Path,
            [.. submitted.Select(g => new StudyGroupSnapshot(g.Id, g.Name, g.Kind, g.Stage, g.Subject, g.LeaderId, [.. g.Members.Select(m => m.TeacherId)]))],
            now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "study-group-list-submitted", "study-group-list", $"{year}/{organisation.Code}",
            $"提交{organisation.Name} {year} 年度研修组名单：{submitted.Count} 个组，共 {submitted.Sum(g => g.Members.Count)} 人", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new GroupListSubmitted(organisation.Code, submitted.Count, submitted.Sum(g => g.Members.Count), now));
    }

    /// <summary>Groups in the caller's sight: a teacher their own; a school its own and the cross-school groups its teachers are in; a district its subtree.</summary>
    private static async Task<Results<Ok<List<GroupView>>, NotFoundProblem>> ListAsync(string year,
        [Description("机构代码：只看该机构之下的研修组（须在你的范围内）；不传为你的全部范围")] string? organisation,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
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
    private static async Task<Results<Ok<GroupListProgress>, ValidationFailed, NotFoundProblem>> SubmissionsAsync(string year,
        [Description("机构代码：只看该机构之下的学校（须在你的范围内）；不传为你的全部范围")] string? under,
        [Codes(typeof(GroupListFilters)), Description("按名单状态筛选；不传同 all")] string? status,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        if (status is not null && !GroupListFilters.Names.ContainsKey(status))
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
        var shown = schools.Where(s => GroupListFilters.Shows(status, s.Status));
        return TypedResults.Ok(new GroupListProgress(programYear.Code, programYear.GroupListsDue, schools.Count(s => s.Status == GroupListStatuses.Submitted),
            schools.Count(s => s.Status == GroupListStatuses.Pending), schools.Count(s => s.Status == GroupListStatuses.Late), [.. shown]));
    }

    private static Task<List<GroupView>> ViewOfAsync(UnitOfWork unitOfWork, Guid yearId, Guid[] ids, CancellationToken cancellationToken) =>
        StudyGroupStore.ViewsAsync(unitOfWork.Connection, "g.program_year_id = @YearId and g.id = any(@Ids)", new { YearId = yearId, Ids = ids },
            unitOfWork.Transaction, cancellationToken);

    /// <summary>The year and organisation, if the caller may arrange its groups today; else the problem (404, 403, 409 or 422).</summary>
    private static async Task<(YearRow? Year, OrganisationRow? Organisation, PlatformProblemResult? Problem)> ArrangeableAsync(UnitOfWork unitOfWork,
        PlatformUser user, string year, string code, TimeProvider clock, CancellationToken cancellationToken)
    {
        var programYear = await CopyStore.FindYearAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        if (programYear is null)
        {
            return (null, null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var (organisation, notFound) = await MentoringScope.VisibleOrganisationAsync(unitOfWork.Connection, user, code, cancellationToken);
        var problem = notFound ?? MentoringScope.CanArrangeGroups(user, organisation!.Kind, organisation.Path);
        if (problem is not null)
        {
            return (null, null, problem);
        }
        await StudyGroupStore.LockCountyAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, organisation!.Path, cancellationToken);
        var submitted = await StudyGroupStore.SubmittedAsync(unitOfWork.Connection, programYear.Id, organisation.Id, unitOfWork.Transaction,
            cancellationToken);
        problem = MentoringScope.GroupListsOpen(programYear, clock, submitted);
        return problem is null ? (programYear, organisation, null) : (null, null, problem);
    }

    /// <summary>The group, if the caller may change it today; else the problem (404, 403 or 409).</summary>
    private static async Task<(YearRow? Year, GroupRow? Group, PlatformProblemResult? Problem)> EditableGroupAsync(UnitOfWork unitOfWork, PlatformUser user,
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
            await StudyGroupStore.LockCountyAsync(unitOfWork.Connection, unitOfWork.Transaction, programYear.Id, group.OrganisationPath, cancellationToken);
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
