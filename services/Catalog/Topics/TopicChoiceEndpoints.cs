using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Catalog;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.Courses;
using TrainingPlatform.Services.Catalog.Organisations;
using TrainingPlatform.Services.Catalog.ProgramYears;

namespace TrainingPlatform.Services.Catalog.Topics;

public sealed record ChooseTopicsRequest(IReadOnlyList<Guid>? TopicIds);

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
    public string Category { get; init; } = "";
    public string Mode { get; init; } = "";
    public string Level { get; init; } = "";
}

public sealed record SchoolTopicsView(string ProgramYear, string SchoolCode, string SchoolName, string Status, IReadOnlyList<ChosenTopic> Topics,
    int Version, DateTimeOffset? ChosenAt, DateTimeOffset? ChangedAt, EffectiveWindow Window, DateOnly StudyStarts, bool CanChoose, string? WhyNot);

public sealed record SchoolChoiceStatus
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    public string Status { get; init; } = "";
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
        group.MapPut("/schools/{school}/topics", ChooseAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.PlatformOperator));
        group.MapGet("/schools/{school}/topics", GetAsync);
        group.MapGet("/schools/{school}/topics/history", HistoryAsync)
            .RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapGet("/topic-choices", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator));
        return app;
    }

    private sealed record ChoiceRow
    {
        public Guid[] TopicIds { get; init; } = [];
        public int Version { get; init; }
        public DateTimeOffset ChosenAt { get; init; }
        public DateTimeOffset ChangedAt { get; init; }
        public DateTimeOffset? FrozenAt { get; init; }
    }

    private static async Task<IResult> ChooseAsync(string year, string school, ChooseTopicsRequest request, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var topicIds = request.TopicIds ?? [];
        var validation = new Validation()
            .Require(topicIds.Count > 0, "topicIds", "至少选择一个专题")
            .Require(topicIds.Distinct().Count() == topicIds.Count, "topicIds", "专题不能重复");

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(unitOfWork.Connection, year, unitOfWork.Transaction, cancellationToken);
        var organisation = await OrganisationCopy.FindByCodeAsync(unitOfWork.Connection, school, cancellationToken);
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
        var existing = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ChoiceRow>(new CommandDefinition("""
            select topic_ids, version, chosen_at, changed_at, frozen_at from school_topic_choices
            where program_year_id = @YearId and school_id = @SchoolId for update
            """, new { YearId = programYear.Id, SchoolId = organisation.Id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var window = WindowRules.For(SelectionWindows.TopicSelection, organisation.Path, programYear.Windows,
            await ProgramYearStore.AdjustmentsAsync(unitOfWork.Connection, programYear.Id, cancellationToken));
        var decision = TopicChoiceRules.Decide(ProvinceCalendar.Today(clock), window, programYear.StudyStarts, existing is not null, organisation.Stages);
        if (!decision.Allowed)
        {
            return decision.Status == StatusCodes.Status409Conflict
                ? Problems.Conflict(decision.Reason, decision.Rule)
                : Problems.RuleBroken(decision.Reason, decision.Rule);
        }

        var topics = (await unitOfWork.Connection.QueryAsync<(Guid Id, string Name, string[] Stages)>(new CommandDefinition(
            "select id, name, stages from topics where program_year_id = @YearId and id = any(@Ids)",
            new { YearId = programYear.Id, Ids = topicIds.ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken)))
            .ToDictionary(t => t.Id);
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
        var by = CourseEndpoints.By(http);
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into school_topic_choices (program_year_id, school_id, school_path, topic_ids, version, chosen_by, chosen_at, changed_at)
            values (@YearId, @SchoolId, @SchoolPath, @TopicIds, @Version, @By, @Now, @Now)
            on conflict (program_year_id, school_id) do update
            set topic_ids = excluded.topic_ids, version = excluded.version, school_path = excluded.school_path, changed_at = excluded.changed_at;
            insert into school_topic_choice_history (program_year_id, school_id, topic_ids, change, changed_by, changed_at)
            values (@YearId, @SchoolId, @TopicIds, @Change, @By, @Now);
            """, new
        {
            YearId = programYear.Id, SchoolId = organisation.Id, SchoolPath = organisation.Path, TopicIds = topicIds.ToArray(), Version = version,
            By = by, Now = now, decision.Change,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new SchoolTopicsChosen(programYear.Id, organisation.Id, organisation.Path, [.. topicIds], decision.Change,
            version, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await ViewAsync(db, programYear, organisation, clock, cancellationToken));
    }

    private static async Task<IResult> GetAsync(string year, string school, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var programYear = await ProgramYearStore.FindAsync(connection, year, null, cancellationToken);
        var organisation = await OrganisationCopy.FindByCodeAsync(connection, school, cancellationToken);
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
        var choice = await connection.QuerySingleOrDefaultAsync<ChoiceRow>(new CommandDefinition("""
            select topic_ids, version, chosen_at, changed_at, frozen_at from school_topic_choices
            where program_year_id = @YearId and school_id = @SchoolId
            """, new { YearId = year.Id, SchoolId = school.Id }, cancellationToken: cancellationToken));
        // "My school's topics and their courses" is what every teacher opens on course-selection day: topics and courses
        // in one round trip, counted and summed here rather than in a second query.
        var topics = new List<ChosenTopic>();
        if (choice is not null)
        {
            using var rows = await connection.QueryMultipleAsync(new CommandDefinition("""
                select t.id, t.code, t.name from topics t where t.id = any(@Ids) order by t.code;
                select tc.topic_id, c.id, c.code, c.title, c.hours, c.category, c.mode, c.level
                from topic_courses tc join courses c on c.id = tc.course_id
                where tc.topic_id = any(@Ids)
                order by c.code;
                """, new { Ids = choice.TopicIds }, cancellationToken: cancellationToken));
            var chosen = (await rows.ReadAsync<ChosenTopic>()).ToList();
            var courses = (await rows.ReadAsync<TopicCourse>()).ToLookup(c => c.TopicId);
            topics.AddRange(chosen.Select(t => t with
            {
                Courses = [.. courses[t.Id]], CourseCount = courses[t.Id].Count(), TotalHours = courses[t.Id].Sum(c => c.Hours),
            }));
        }
        var window = WindowRules.For(SelectionWindows.TopicSelection, school.Path, year.Windows, await ProgramYearStore.AdjustmentsAsync(connection, year.Id, cancellationToken));
        var today = ProvinceCalendar.Today(clock);
        var decision = TopicChoiceRules.Decide(today, window, year.StudyStarts, choice is not null, school.Stages);
        var status = today >= year.StudyStarts || choice?.FrozenAt is not null ? "frozen" : choice is null ? "pending" : "chosen";
        return new SchoolTopicsView(year.Code, school.Code, school.Name, status, topics, choice?.Version ?? 0, choice?.ChosenAt, choice?.ChangedAt,
            window, year.StudyStarts, decision.Allowed, decision.Allowed ? null : decision.Reason);
    }

    private static async Task<IResult> HistoryAsync(string year, string school, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var organisation = await OrganisationCopy.FindByCodeAsync(connection, school, cancellationToken);
        if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
        {
            return Problems.NotFound($"学校 {school} 不存在或不在你的管理范围内");
        }
        var history = await connection.QueryAsync<TopicChoiceChange>(new CommandDefinition("""
            select h.topic_ids, h.change, h.changed_by, h.changed_at
            from school_topic_choice_history h join program_years y on y.id = h.program_year_id
            where y.code = @Year and h.school_id = @SchoolId order by h.id
            """, new { Year = year, SchoolId = organisation.Id }, cancellationToken: cancellationToken));
        return TypedResults.Ok(history);
    }

    /// <summary>The schools in scope (below <paramref name="under"/>) with their choice status; kindergartens choose none and are left out.</summary>
    private static async Task<IResult> ListAsync(string year, string? under, string? status, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        if (status is not (null or "pending" or "chosen" or "all"))
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
            var organisation = await OrganisationCopy.FindByCodeAsync(connection, under, cancellationToken);
            if (organisation is null || !user.CanSeeOrganisation(organisation.Path))
            {
                return Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内");
            }
            root = organisation.Path;
        }
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("YearId", programYear.Id);
        var schools = (await connection.QueryAsync<SchoolChoiceStatus>(new CommandDefinition($"""
            select o.code, o.name, o.path,
                   case when c.school_id is null then 'pending' else 'chosen' end as status,
                   coalesce(cardinality(c.topic_ids), 0) as topic_count, c.changed_at
            from organisations o
            left join school_topic_choices c on c.school_id = o.id and c.program_year_id = @YearId
            where o.kind = 'school' and o.stages <> array['kindergarten'] and {PlatformUser.ScopeSql("o.path")}
            order by o.path
            """, parameters, cancellationToken: cancellationToken))).ToList();
        var today = ProvinceCalendar.Today(clock);
        return TypedResults.Ok(new
        {
            programYear = programYear.Code,
            frozen = today >= programYear.StudyStarts,
            pending = schools.Count(s => s.Status == "pending"),
            chosen = schools.Count(s => s.Status == "chosen"),
            schools = schools.Where(s => status is null or "all" || s.Status == status),
        });
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
