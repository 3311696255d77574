using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.Organisations;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.Topics;

[Description("学校本年度选择的选修专题（整体替换）")]
public sealed record ChooseTopicsRequest(
    [property: Required, MinLength(1), Description("专题 id，至少一个，不能重复；须属于该年度并适用于本校学段")] IReadOnlyList<Guid>? TopicIds);

[Description("学校选中的一个专题及其课程")]
public sealed record ChosenTopic
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public int CourseCount { get; init; }
    public decimal TotalHours { get; init; }
    public IReadOnlyList<TopicCourse> Courses { get; init; } = [];
}

/// <summary>A course of a chosen topic, as a teacher picking electives needs to see it.</summary>
public sealed record TopicCourse
{
    public Guid TopicId { get; init; }
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Title { get; init; } = "";
    public decimal Hours { get; init; }
    [Codes(typeof(CourseCategories))] public string Category { get; init; } = "";
    [Codes(typeof(DeliveryModes))] public string Mode { get; init; } = "";
    [Codes(typeof(TrainingLevels))] public string Level { get; init; } = "";
}

[Description("一所学校本年度的专题选择")]
public sealed record SchoolTopicsView(
    string ProgramYear,
    string SchoolCode,
    string SchoolName,
    [property: Codes(typeof(TopicChoiceStatuses))] string Status,
    IReadOnlyList<ChosenTopic> Topics,
    [property: Description("选择的版本号，未选为 0")] int Version,
    DateTimeOffset? ChosenAt,
    DateTimeOffset? ChangedAt,
    [property: Description("本校实际适用的选专题时间（已计入错峰和延长安排）")] EffectiveWindow Window,
    [property: Description("学习开始日期：此日起专题冻结")] DateOnly StudyStarts,
    [property: Description("今天能否选择或调整")] bool CanChoose,
    [property: Description("不能选择时的原因")] string? WhyNot);

[Description("管辖范围内各校的专题选择进度")]
public sealed record TopicChoicesView(
    string ProgramYear,
    [property: Description("学习已开始，专题已冻结")] bool Frozen,
    [property: Description("未选专题的学校数")] int Pending,
    [property: Description("已选专题的学校数")] int Chosen,
    [property: Description("按 status 筛选后的学校，按机构路径排序；幼儿园不选专题，不在其中")] IReadOnlyList<SchoolChoiceStatus> Schools);

[Description("一所学校的专题选择状态")]
public sealed record SchoolChoiceStatus
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    [Description("pending（未选）或 chosen（已选）")] public string Status { get; init; } = "";
    public int TopicCount { get; init; }
    public DateTimeOffset? ChangedAt { get; init; }
}

/// <summary>
/// Each school's elective topics for the year. A school admin chooses inside the window and may change until study
/// starts; the school's teachers and the districts above see the choice; operators and districts see who has not
/// chosen yet.
/// </summary>
public static class TopicChoiceEndpoints
{
    public static IEndpointRouteBuilder MapTopicChoiceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/catalog/years/{year}").WithTags("School topic choices");
        group.MapPut("/schools/{school}/topics", ChooseAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.PlatformOperator))
            .WithName("ChooseSchoolTopics").WithSummary("学校选择或调整选修专题")
            .WithDescription("在本校适用的选专题时间内首次选择；已选的学校在学习开始前可以调整，学习开始后冻结。学校管理员只能为本校选择。幼儿园不选专题。");
        group.MapGet("/schools/{school}/topics", GetAsync).WithName("GetSchoolTopics").WithSummary("查看学校选择的专题及课程")
            .WithDescription("教师看本校的选择，管理员看管辖范围内的学校；含每个专题的课程，以及今天能否选择。");
        group.MapGet("/schools/{school}/topics/history", HistoryAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("ListSchoolTopicHistory").WithSummary("学校专题选择的变更记录");
        group.MapGet("/topic-choices", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("ListTopicChoices").WithSummary("各校专题选择进度")
            .WithDescription("管辖范围内（或 under 指定的机构下）各校是否已选专题，及已选、未选的学校数。");
        return app;
    }

    private static async Task<Results<Ok<SchoolTopicsView>, ValidationFailed, NotFoundProblem, ForbiddenProblem, ConflictProblem, RuleProblem>>
        ChooseAsync(string year, string school, ChooseTopicsRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
            CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var topicIds = request.TopicIds ?? [];
        var validation = new Validation()
            .Require(topicIds.Count > 0, "topicIds", "至少选择一个专题")
            .Require(topicIds.Distinct().Count() == topicIds.Count, "topicIds", "专题不能重复");

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        var organisation = await OrganisationStore.FindByCodeAsync(unitOfWork.Connection, school, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        if (organisation is not { Kind: OrganisationKinds.School } || !user.CanSeeOrganisation(organisation.Path))
        {
            return Problems.NotFound($"学校 {school} 不存在或不在你的管理范围内");
        }
        if (user.Role == Roles.SchoolAdmin && user.OrganisationPath != organisation.Path)
        {
            return Problems.Forbidden("学校管理员只能为本校选择专题");
        }

        // One school's choices are serialised: two admins clicking at once cannot both be "first".
        var existing = await TopicChoiceStore.LockAsync(unitOfWork, programYear.Id, organisation.Id, cancellationToken);
        var window = WindowRules.For(SelectionWindows.TopicSelection, organisation.Path, programYear.Windows,
            await ProgramYearStore.AdjustmentsAsync(unitOfWork.Connection, programYear.Id, cancellationToken));
        var decision = TopicChoiceRules.Decide(ProvinceCalendar.Today(clock), window, programYear.StudyStarts, existing is not null, organisation.Stages);
        if (!decision.Allowed)
        {
            if (decision.Status == StatusCodes.Status409Conflict)
            {
                return Problems.Conflict(decision.Reason, decision.Rule);
            }
            return Problems.RuleBroken(decision.Reason, decision.Rule);
        }

        var topics = await TopicChoiceStore.TopicsAsync(unitOfWork, programYear.Id, topicIds, cancellationToken);
        for (var i = 0; i < topicIds.Count; i++)
        {
            if (!topics.TryGetValue(topicIds[i], out var topic))
            {
                validation.Add($"topicIds[{i}]", $"专题 {topicIds[i]} 不属于 {year} 年度");
            }
            else if (!topic.Stages.Any(organisation.Stages.Contains))
            {
                validation.Add($"topicIds[{i}]", $"专题“{topic.Name}”不适用于本校的学段");
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = clock.GetUtcNow();
        var version = (existing?.Version ?? 0) + 1;
        await TopicChoiceStore.SaveAsync(unitOfWork, programYear.Id, organisation, topicIds, version, decision.Change, CourseEndpoints.By(http), now,
            cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "school-topics-chosen", "school-topic-choice", $"{year}/{school}",
            $"为学校 {school} 选择 {year} 年度专题（第 {version} 次）：{string.Join("、", topicIds.Select(t => topics[t].Name))}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, programYear, organisation, clock, cancellationToken));
    }

    private static async Task<Results<Ok<SchoolTopicsView>, NotFoundProblem>> GetAsync(string year, string school, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(connection, year, null, cancellationToken);
        var organisation = await OrganisationStore.FindByCodeAsync(connection, school, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        // A teacher sees their own school's choice; admins see the schools in their scope.
        if (organisation is not { Kind: OrganisationKinds.School }
            || !(user.CanSeeOrganisation(organisation.Path) || user.OrganisationPath == organisation.Path))
        {
            return Problems.NotFound($"学校 {school} 不存在或不在你的管理范围内");
        }
        return TypedResults.Ok(await ViewAsync(db, programYear, organisation, clock, cancellationToken));
    }

    private static async Task<SchoolTopicsView> ViewAsync(NpgsqlDataSource db, ProgramYearRow year, OrganisationRow school, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var choice = await TopicChoiceStore.FindAsync(connection, year.Id, school.Id, cancellationToken);
        var topics = choice is null ? [] : await TopicChoiceStore.ChosenTopicsAsync(connection, choice.TopicIds, cancellationToken);
        var window = WindowRules.For(SelectionWindows.TopicSelection, school.Path, year.Windows, await ProgramYearStore.AdjustmentsAsync(connection, year.Id, cancellationToken));
        var today = ProvinceCalendar.Today(clock);
        var decision = TopicChoiceRules.Decide(today, window, year.StudyStarts, choice is not null, school.Stages);
        var status = today >= year.StudyStarts || choice?.FrozenAt is not null ? TopicChoiceStatuses.Frozen
            : choice is null ? TopicChoiceStatuses.Pending : TopicChoiceStatuses.Chosen;
        return new SchoolTopicsView(year.Code, school.Code, school.Name, status, topics, choice?.Version ?? 0, choice?.ChosenAt, choice?.ChangedAt,
            window, year.StudyStarts, decision.Allowed, decision.Allowed ? null : decision.Reason);
    }

    private static async Task<Results<Ok<IReadOnlyList<TopicChoiceChange>>, NotFoundProblem>> HistoryAsync(string year, string school, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var organisation = await OrganisationStore.FindByCodeAsync(connection, school, cancellationToken);
        if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
        {
            return Problems.NotFound($"学校 {school} 不存在或不在你的管理范围内");
        }
        return TypedResults.Ok(await TopicChoiceStore.HistoryAsync(connection, year, organisation.Id, cancellationToken));
    }

    /// <summary>The schools in scope (below <paramref name="under"/>) with their choice status; kindergartens choose none and are left out.</summary>
    private static async Task<Results<Ok<TopicChoicesView>, ValidationFailed, NotFoundProblem>> ListAsync(string year,
        [Description("机构代码：只看该机构下的学校（须在管辖范围内）；不填为调用者的全部管辖范围")] string? under,
        [Codes(typeof(TopicChoiceStatusFilters)), Description("按选择状态筛选学校列表，默认 all；计数不受影响")] string? status, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        if (status is not null && !TopicChoiceStatusFilters.Names.ContainsKey(status))
        {
            return new Validation().Require(false, "status", "状态应为 pending（未选）、chosen（已选）或 all").ToProblem();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(connection, year, null, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var root = user.IsOperator ? "" : user.OrganisationPath;
        if (under is not null)
        {
            var organisation = await OrganisationStore.FindByCodeAsync(connection, under, cancellationToken);
            if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
            {
                return Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内");
            }
            root = organisation.Path;
        }
        var schools = await TopicChoiceStore.SchoolsAsync(connection, programYear.Id, root, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        return TypedResults.Ok(new TopicChoicesView(
            programYear.Code,
            today >= programYear.StudyStarts,
            schools.Count(s => s.Status == TopicChoiceStatuses.Pending),
            schools.Count(s => s.Status == TopicChoiceStatuses.Chosen),
            [.. schools.Where(s => status is null or TopicChoiceStatusFilters.All || s.Status == status)]));
    }
}

/// <summary>One change of a school's topic choice: the topics after it, what kind of change, by whom and when.</summary>
public sealed record TopicChoiceChange
{
    public Guid[] TopicIds { get; init; } = [];
    public string Change { get; init; } = "";
    public string ChangedBy { get; init; } = "";
    public DateTimeOffset ChangedAt { get; init; }
}
