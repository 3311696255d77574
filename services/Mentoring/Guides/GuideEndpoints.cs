using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
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

public sealed record AppointGuide(
    [property: Required, Description("被聘任教师的编号；须是本辖区在岗教师")] Guid? TeacherId,
    [property: Codes(typeof(StageNames)), Description("聘任的学段；不传为教师本人任教的学段")] string? Stage,
    [property: Codes(typeof(Subjects)), Description("聘任的学科，须属于该学段；不传为教师本人任教的学科")] string? Subject,
    [property: Range(1, GuideEndpoints.MaxCapacity), Description("最多负责的研修组数；不传为设置 Mentoring:GroupsPerGuide（默认 5）")] int? Capacity,
    [property: MaxLength(MentoringLimits.ReasonLength), Description("聘任的学段学科不是本人任教的学段学科时必填：说明原因，此后每次分配说明中都会注明")]
    string? Reason = null);

public sealed record AppointExpert(
    [property: Required, MaxLength(GuideEndpoints.ExpertNameLength), Description("专家姓名")] string? Name,
    [property: Required, Codes(typeof(StageNames))] string? Stage,
    [property: Required, Codes(typeof(Subjects)), Description("学科，须属于该学段")] string? Subject);

/// <summary>A guide teacher as appointed, with how many groups they guide in the year asked about.</summary>
public sealed record GuideRow
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public string Name { get; init; } = "";
    public string SchoolPath { get; init; } = "";

    /// <summary>The county or city that appointed them.</summary>
    public string OrganisationPath { get; init; } = "";

    [Codes(typeof(StageNames))]
    public string Stage { get; init; } = "";

    [Codes(typeof(Subjects))]
    public string Subject { get; init; } = "";

    [Description("最多负责的研修组数")]
    public int Capacity { get; init; }

    [Description("所查年度已负责的研修组数；未指定年度时为 0")]
    public int Load { get; init; }

    /// <summary>Why the district appointed them outside their own stage and subject; null when it is their own.</summary>
    [Description("跨学科学段聘任的原因；聘任的是本人任教的学段学科时为 null")]
    public string? CrossReason { get; init; }
}

public sealed record GuideAppointed(Guid Id, Guid TeacherId, string Name,
    [property: Codes(typeof(StageNames))] string Stage,
    [property: Codes(typeof(Subjects))] string Subject,
    int Capacity, string? CrossReason);

public sealed record ExpertAppointed(Guid Id, [property: Description("province＝省级专家；city＝市级专家")] string Level, string Name);

/// <summary>A run of the guide assignment: its figures, each group's guide with the reason, and the groups left without one.</summary>
public sealed record GuideAssignmentRun(AssignmentRunSummary Run, IReadOnlyList<GuideAssignmentView> Assignments, IReadOnlyList<UnguidedGroup> Unassigned);

public sealed record GuideAssignmentView(Guid GroupId, string Group, Guid GuideId, string Guide,
    [property: Description("0 同校，1 同区县，2 同市，3 跨市")] int Distance,
    [property: Description("为什么是这位指导教师：距离、学科学段、负荷")] string Explanation);

public sealed record UnguidedGroup(Guid GroupId, string Group, [property: Description("未能分配的原因")] string Reason);

/// <summary>A guide's groups, each with its members' study this year.</summary>
public sealed record GuideGroups(GuideRow Guide, IReadOnlyList<GuidedGroup> Groups);

public sealed record GuidedGroup(GroupView Group, [property: Description("每位成员本年度的学习进度，顺序同成员")] IReadOnlyList<StudyProgress> Progress);

/// <summary>The four levels of guidance above a study group.</summary>
public sealed record GroupGuidance(GuidanceGroup Group, IReadOnlyList<GuidanceLevel> Levels, GuideView? Guide);

public sealed record GuidanceGroup(Guid Id, string Name, [property: Codes(typeof(StageNames))] string Stage, [property: Codes(typeof(Subjects))] string Subject);

public sealed record GuidanceLevel([property: Codes(typeof(GuidanceLevels))] string Level, string Name, IReadOnlyList<string> People);

/// <summary>The levels of guidance above a group, from the top: province experts → city experts → guide teacher → group leader.</summary>
public static class GuidanceLevels
{
    public const string ProvinceExperts = "province_experts";
    public const string CityExperts = "city_experts";
    public const string GuideTeacher = "guide_teacher";
    public const string GroupLeader = "group_leader";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [ProvinceExperts] = "省级专家", [CityExperts] = "市级专家", [GuideTeacher] = "指导教师", [GroupLeader] = "研修组长",
    };
}

/// <summary>
/// Guide teachers (指导教师): a district appoints them per stage and subject for its county or city, runs the
/// assignment of study groups to them (about 1 : 5, same subject and stage, nearest first), and everyone sees the four
/// levels of guidance above a group: province experts, city experts, the guide teacher, the group leader.
/// </summary>
public static class GuideEndpoints
{
    /// <summary>The most study groups one guide may be given.</summary>
    public const int MaxCapacity = 20;

    public const int ExpertNameLength = 50;

    public static IEndpointRouteBuilder MapGuideEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Guide teachers");
        var districts = new[] { Roles.DistrictAdmin, Roles.PlatformOperator };
        group.MapPost("/organisations/{code}/guides", AppointAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("AppointGuide")
            .WithSummary("聘任指导教师")
            .WithDescription("区县或市教育局（code 为区县或市）按学段学科聘任本辖区的在岗教师为指导教师。学段学科不是本人任教的，须说明原因（reason）。"
                + "同一教师同一学段学科只能聘任一次。");
        group.MapGet("/organisations/{code}/guides", ListAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("ListGuides")
            .WithSummary("查看指导教师")
            .WithDescription("该区县或市及其下辖聘任的指导教师；给出 year 时 load 为该年度已负责的研修组数。");
        group.MapPost("/organisations/{code}/experts", AppointExpertAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("AppointExpert")
            .WithSummary("聘任学科专家")
            .WithDescription("code 为省代码时聘省级专家，为市代码时聘市级专家；专家按学段学科出现在该范围内研修组的四级指导中。");
        group.MapPost("/years/{year}/organisations/{code}/guide-assignments", AssignAsync).RequireAuthorization(p => p.RequireRole(districts))
            .WithName("AssignGuides")
            .WithSummary("分配指导教师")
            .WithDescription("为本辖区该年度有成员、尚无指导教师的研修组分配指导教师：学段学科一致，不超过各人名额（已有分配计入），距离不超过 "
                + "Mentoring:GuideMaxDistance，先近后远、负荷均衡；指导教师不指导自己所在的组。运行结果留存，每项分配发布 GuideAssigned；"
                + "未能分配的组列出原因。同一年度的分配依次运行。");
        group.MapGet("/guides/me", MyAppointmentsAsync).RequireAuthorization(p => p.RequireRole(Roles.GuideTeacher, Roles.Teacher))
            .WithName("ListMyGuideAppointments")
            .WithSummary("我的指导教师聘任")
            .WithDescription("当前登录教师的指导教师聘任（按令牌中的教师编号）；给出 year 时含该年度负责的组数。");
        group.MapGet("/years/{year}/guides/{guideId:guid}/groups", GroupsOfGuideAsync)
            .WithName("ListGuideGroups")
            .WithSummary("查看指导教师负责的研修组")
            .WithDescription("指导教师本人或其上级教育局可查看：该年度分配给这位指导教师的研修组，以及每位成员本年度的学习进度。");
        group.MapGet("/years/{year}/study-groups/{groupId:guid}/guidance", GuidanceAsync)
            .WithName("GetGroupGuidance")
            .WithSummary("查看研修组的四级指导")
            .WithDescription("研修组之上的四级指导：省级专家 → 市级专家 → 指导教师 → 研修组长（按学段学科）。能看到该组的人可查看。");
        return app;
    }

    private static async Task<Results<Created<GuideAppointed>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> AppointAsync(string code,
        AppointGuide request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(request.TeacherId is not null, "teacherId", "请指定教师")
            .Require(request.Capacity is null or (>= 1 and <= MaxCapacity), "capacity", $"每位指导教师负责 1–{MaxCapacity} 个研修组")
            .Require((request.Reason ?? "").Length <= MentoringLimits.ReasonLength, "reason", $"原因不超过 {MentoringLimits.ReasonLength} 字");
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (district, problem) = await DistrictAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
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
            return Problems.RuleBroken($"{teacher.Name} 任教{OrganisationDistance.MatchLabel(teacher.Stage, teacher.Subject)}，聘为"
                + $"{OrganisationDistance.MatchLabel(stage!, subject!)}指导教师不是本人的学科学段：学科学段不一致的聘任须说明原因", "outside-own-stage-subject", "reason");
        }
        var guideId = Guid.CreateVersion7(clock.GetUtcNow());
        var capacity = request.Capacity ?? options.Value.GroupsPerGuide;
        var crossReason = matches ? null : reason;
        var inserted = await GuideStore.InsertGuideAsync(unitOfWork, guideId, teacher.Id, district.Id, district.Path, stage!, subject!, capacity,
            MentoringScope.By(user), clock.GetUtcNow(), crossReason, cancellationToken);
        if (inserted == 0)
        {
            return Problems.Conflict($"{teacher.Name} 已是{OrganisationNames.StageSubject(stage!, subject!)}指导教师", "already-guide", "teacherId");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "guide-appointed", "guide", guideId.ToString(),
            $"{district.Name}聘任 {teacher.Name} 为{OrganisationNames.StageSubject(stage!, subject!)}指导教师，负责 {capacity} 个研修组"
            + (crossReason is null ? "" : $"（跨学科学段，原因：{crossReason}）"), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/organisations/{code}/guides",
            new GuideAppointed(guideId, teacher.Id, teacher.Name, stage!, subject!, capacity, crossReason));
    }

    private static async Task<Results<Ok<List<GuideRow>>, NotFoundProblem, RuleProblem>> ListAsync(string code,
        [Description("年度代码；给出时 load 为该年度已负责的研修组数")] string? year, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var (district, problem) = await DistrictAsync(connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        var yearId = year is null ? null : (await CopyStore.FindYearAsync(connection, year, null, cancellationToken))?.Id;
        return TypedResults.Ok(await GuideStore.BelowAsync(connection, district!.Path, yearId, cancellationToken));
    }

    /// <summary>Province experts are named by the operator, city experts by the city's bureau.</summary>
    private static async Task<Results<Created<ExpertAppointed>, ValidationFailed, NotFoundProblem, RuleProblem>> AppointExpertAsync(string code,
        AppointExpert request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Length <= ExpertNameLength, "name", $"专家姓名必填，不超过 {ExpertNameLength} 字")
            .Require(Subjects.IsValid(request.Stage, request.Subject), "subject", "学段与学科须是省定学科（如 junior / 数学）");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        if (organisation!.Kind is not (OrganisationKinds.Province or OrganisationKinds.City))
        {
            return Problems.RuleBroken("专家分省级和市级：请给出省或市的代码", "expert-level");
        }
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        await GuideStore.InsertExpertAsync(unitOfWork.Connection, id, organisation.Kind, organisation.Id, organisation.Path, request.Name!.Trim(), request.Stage!,
            request.Subject!, clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "expert-appointed", "expert", id.ToString(),
            $"{organisation.Name}聘任 {request.Name.Trim()} 为{OrganisationNames.StageSubject(request.Stage!, request.Subject!)}学科专家", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/organisations/{code}/experts", new ExpertAppointed(id, organisation.Kind, request.Name.Trim()));
    }

    /// <summary>
    /// Assigns the year's unguided study groups below <paramref name="code"/> to the guides appointed there, with the
    /// engine: same stage and subject, capacity (existing groups count), nearest first, load spread. Stored and announced.
    /// </summary>
    private static async Task<Results<Ok<GuideAssignmentRun>, NotFoundProblem, RuleProblem>> AssignAsync(string year, string code, HttpContext http,
        NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
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
            return problem switch { NotFoundProblem p => p, RuleProblem p => p, _ => throw MentoringScope.Unlisted(problem) };
        }
        await GuideStore.LockYearAsync(unitOfWork, programYear.Id, cancellationToken);
        var groups = await GuideStore.UnguidedGroupsAsync(unitOfWork, programYear.Id, district!.Path, cancellationToken);
        var guides = await GuideStore.InPostGuidesAsync(unitOfWork, programYear.Id, district.Path, cancellationToken);
        if (groups.Count == 0)
        {
            return Problems.RuleBroken($"{district.Name} {year} 年度没有尚未分配指导教师的研修组", "no-groups");
        }

        // No one guides their own group (nor, so, one they lead): a guide who is a member is excluded from that group.
        var memberships = await GuideStore.MembershipsAsync(unitOfWork, [.. groups.Select(g => g.Id)], cancellationToken);
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
        var runId = await AssignmentStore.SaveRunAsync(unitOfWork, "guides", programYear.Id, district.Path, result, MentoringScope.By(user), now,
            cancellationToken);
        var guideById = guides.ToDictionary(g => g.Id);
        var groupById = groups.ToDictionary(g => g.Id);
        foreach (var pair in result.Assignments)
        {
            await GuideStore.InsertAssignmentAsync(unitOfWork, programYear.Id, pair, runId, now, cancellationToken);
            await unitOfWork.PublishAsync(new GuideAssigned(pair.ClientId, programYear.Id, pair.ServerId, guideById[pair.ServerId].TeacherId,
                pair.Distance, pair.Explanation, runId, now), cancellationToken);
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "guide-assignment-run-completed", "assignment-run", runId.ToString(),
            $"为{district.Name} {year} 年度的研修组分配指导教师：分配 {result.Assignments.Count} 组，未能分配 {result.Unassigned.Count} 组", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new GuideAssignmentRun(AssignmentStore.Summary(runId, result),
            [.. result.Assignments.Select(p => new GuideAssignmentView(p.ClientId, groupById[p.ClientId].Name, p.ServerId, guideById[p.ServerId].Name, p.Distance,
                p.Explanation))],
            [.. result.Unassigned.Select(u => new UnguidedGroup(u.ClientId, groupById[u.ClientId].Name, u.Reason))]));
    }

    /// <summary>
    /// The caller's own appointments as a guide (by the token's teacher id: a guide account is tied to its teacher),
    /// with the year's load when <paramref name="year"/> is given: where a guide starts to find their groups.
    /// </summary>
    private static async Task<Results<Ok<List<GuideRow>>, ForbiddenProblem, NotFoundProblem>> MyAppointmentsAsync(
        [Description("年度代码；给出时 load 为该年度已负责的研修组数")] string? year, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
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
        return TypedResults.Ok(await GuideStore.OfTeacherAsync(connection, teacherId.Value, yearId, cancellationToken));
    }

    /// <summary>A guide's groups with each member's study progress this year: the district above the guide, or the guide.</summary>
    private static async Task<Results<Ok<GuideGroups>, NotFoundProblem>> GroupsOfGuideAsync(string year, Guid guideId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await CopyStore.FindYearAsync(connection, year, null, cancellationToken);
        var guide = programYear is null ? null : await GuideStore.FindAsync(connection, guideId, programYear.Id, cancellationToken);
        if (guide is null || !(user.CanSeeOrganisation(guide.OrganisationPath) || user.TeacherId == guide.TeacherId))
        {
            return Problems.NotFound("指导教师不存在或不在你的管理范围内");
        }
        var groups = await StudyGroupStore.ViewsAsync(connection,
            "g.program_year_id = @YearId and g.id in (select group_id from guide_assignments where guide_id = @GuideId)",
            new { YearId = programYear!.Id, GuideId = guideId }, null, cancellationToken);
        var progress = await CopyStore.StudyProgressAsync(connection, [.. groups.SelectMany(g => g.Members).Select(m => m.TeacherId)], programYear.Id,
            cancellationToken);
        return TypedResults.Ok(new GuideGroups(guide,
        [
            .. groups.Select(g => new GuidedGroup(g,
                [.. g.Members.Select(m => progress.GetValueOrDefault(m.TeacherId) ?? new StudyProgress { TeacherId = m.TeacherId })])),
        ]));
    }

    /// <summary>The four levels of guidance above a group: province experts → city experts → guide teacher → group leader.</summary>
    private static async Task<Results<Ok<GroupGuidance>, NotFoundProblem>> GuidanceAsync(string year, Guid groupId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
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
        var experts = await GuideStore.ExpertsAboveAsync(connection, group.Stage, group.Subject, group.OrganisationPath, cancellationToken);
        GuidanceLevel Level(string level, IEnumerable<string> people) => new(level, GuidanceLevels.Names[level], [.. people]);
        return TypedResults.Ok(new GroupGuidance(new GuidanceGroup(group.Id, group.Name, group.Stage, group.Subject),
        [
            Level(GuidanceLevels.ProvinceExperts, experts.Where(e => e.Level == "province").Select(e => e.Name)),
            Level(GuidanceLevels.CityExperts, experts.Where(e => e.Level == "city").Select(e => e.Name)),
            Level(GuidanceLevels.GuideTeacher, group.Guide is null ? [] : [group.Guide.Name]),
            Level(GuidanceLevels.GroupLeader, group.LeaderName is null ? [] : [group.LeaderName]),
        ], group.Guide));
    }

    /// <summary>A county or city in the caller's scope (guides are a district's); else a 404 or 422.</summary>
    private static async Task<(OrganisationRow? District, PlatformProblemResult? Problem)> DistrictAsync(NpgsqlConnection connection, PlatformUser user,
        string code, CancellationToken cancellationToken)
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
