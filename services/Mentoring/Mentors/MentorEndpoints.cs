using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Mentoring.Assignment;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Mentors;

public sealed record MarkMentor(int? Capacity);

public sealed record EndPairing(string? Reason);

/// <param name="StartsOn">When the pairing began, if before today (sessions already held can then be logged); today if left out.</param>
public sealed record PairByHand(Guid? MentorId, Guid? MenteeId, string? Reason, DateOnly? StartsOn = null);

public sealed record PairingView
{
    public Guid Id { get; init; }
    public Guid MentorId { get; init; }
    public string MentorName { get; init; } = "";
    public Guid MenteeId { get; init; }
    public string MenteeName { get; init; } = "";
    public string MenteeSchoolPath { get; init; } = "";
    public DateOnly StartsOn { get; init; }
    public DateOnly EndsOn { get; init; }
    public string Status { get; init; } = "";
    public string Explanation { get; init; } = "";
    public DateOnly? EndedOn { get; init; }
    public string? EndedReason { get; init; }
}

/// <summary>
/// Mentor pairing (导师带教): schools and districts mark backbone teachers as mentors with a capacity; a district runs
/// the pairing of its new teachers (first three years, or tier 春苗) with mentors of the same stage and subject,
/// nearest first, through the engine; a pairing lasts a period and can be ended early with a reason; a mentor sees
/// their mentees' study from the local copies.
/// </summary>
public static class MentorEndpoints
{
    public static IEndpointRouteBuilder MapMentorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/mentoring").WithTags("Mentors");
        var admins = new[] { Roles.SchoolAdmin, Roles.DistrictAdmin, Roles.PlatformOperator };
        group.MapPut("/mentors/{teacherId:guid}", MarkAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapPost("/organisations/{code}/mentor-pairings", PairAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator));
        group.MapPost("/mentor-pairings", PairByHandAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapPost("/mentor-pairings/{pairingId:guid}/end", EndAsync).RequireAuthorization(p => p.RequireRole(admins));
        group.MapGet("/mentors/me/mentees", MyMenteesAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher));
        group.MapGet("/teachers/{teacherId:guid}/pairings", PairingsOfAsync);
        return app;
    }

    private const string PairingSql = """
        select p.id, p.mentor_id, coalesce(m.name, '') as mentor_name, p.mentee_id, coalesce(e.name, '') as mentee_name,
               coalesce(e.school_path, '') as mentee_school_path, p.starts_on, p.ends_on, p.status, p.explanation, p.ended_on, p.ended_reason
        from mentor_pairings p left join teachers m on m.id = p.mentor_id left join teachers e on e.id = p.mentee_id
        """;

    private static async Task<IResult> MarkAsync(Guid teacherId, MarkMentor request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var capacity = request.Capacity ?? options.Value.MentorCapacity;
        if (capacity is < 1 or > 10)
        {
            return new Validation().Require(false, "capacity", "每位导师带 1–10 名徒弟").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var teacher = await CopyStore.FindTeacherAsync(unitOfWork.Connection, teacherId, unitOfWork.Transaction, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        if (MentorRules.WhyNotMentor(teacher.Name, teacher.Tier, teacher.InPost) is { } why)
        {
            return Problems.RuleBroken(why, "mentor-tier");
        }
        await LockMentorsAsync(unitOfWork, cancellationToken);
        var mentees = await ActiveMenteesAsync(unitOfWork, teacher.Id, cancellationToken);
        if (capacity < mentees)
        {
            return Problems.Conflict($"{teacher.Name} 正在带 {mentees} 名徒弟，名额不能少于 {mentees}；请先结束部分结对", "capacity-below-mentees", "capacity");
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentors (teacher_id, capacity, marked_by, marked_at) values (@TeacherId, @Capacity, @By, @Now)
            on conflict (teacher_id) do update set capacity = excluded.capacity, marked_by = excluded.marked_by, marked_at = excluded.marked_at
            """, new { TeacherId = teacher.Id, Capacity = capacity, By = MentoringScope.By(user), Now = clock.GetUtcNow() }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new { teacherId = teacher.Id, teacher.Name, capacity, mentees });
    }

    /// <summary>Pairs the unpaired new teachers below <paramref name="code"/> with the mentors there, through the engine. Stored and announced.</summary>
    private static async Task<IResult> PairAsync(string code, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        await LockMentorsAsync(unitOfWork, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(organisation!.Path));
        parameters.Add("HiredAfter", MentorRules.NewTeacherHiredAfter(today, settings.NewTeacherYears));
        parameters.Add("NewTier", Tiers.NewTeacher);
        parameters.Add("MentorTiers", MentorRules.MentorTiers.ToArray());
        var mentees = (await unitOfWork.Connection.QueryAsync<TeacherRow>(new CommandDefinition($"""
            {CopyStore.TeacherSql} t
            where t.in_post and {PlatformUser.ScopeSql("t.school_path")} and (t.hire_date > @HiredAfter or t.tier = @NewTier)
              and not exists (select 1 from mentor_pairings p where p.mentee_id = t.id and p.status = 'active')
              and not exists (select 1 from mentors m where m.teacher_id = t.id)
            order by t.hire_date desc, t.id
            """, parameters, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        var mentors = (await unitOfWork.Connection.QueryAsync<(Guid Id, string Stage, string Subject, string SchoolPath, int Capacity, int Load)>(
            new CommandDefinition($"""
                select t.id, t.stage, t.subject, t.school_path, m.capacity,
                       (select count(*) from mentor_pairings p where p.mentor_id = t.id and p.status = 'active')::int as load
                from mentors m join teachers t on t.id = m.teacher_id
                where t.in_post and t.tier = any(@MentorTiers) and {PlatformUser.ScopeSql("t.school_path")}
                """, parameters, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        if (mentees.Count == 0)
        {
            return Problems.RuleBroken($"{organisation.Name} 没有尚未结对的新教师（入职 {settings.NewTeacherYears} 年内或春苗层级）", "no-new-teachers");
        }

        var result = AssignmentEngine.Solve(
            [.. mentees.Select(t => new AssignmentClient(t.Id, t.Stage, t.Subject, t.SchoolPath))],
            [.. mentors.Select(m => new AssignmentServer(m.Id, m.Stage, m.Subject, m.SchoolPath, Math.Max(m.Capacity, m.Load), m.Load))],
            new AssignmentSettings
            {
                DistanceWeight = settings.DistanceWeight, LoadWeight = settings.LoadWeight, MaxDistance = settings.MentorMaxDistance, ServerNoun = "导师",
            });
        var now = clock.GetUtcNow();
        var (startsOn, endsOn) = MentorRules.Period(today, settings.PairingYears);
        var runId = await AssignmentRuns.SaveAsync(unitOfWork, "mentors", null, organisation.Path, result, MentoringScope.By(user), now, cancellationToken);
        var created = new List<object>();
        var names = mentees.ToDictionary(t => t.Id, t => t.Name);
        foreach (var pair in result.Assignments)
        {
            var pairingId = Guid.CreateVersion7(now);
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into mentor_pairings (id, mentor_id, mentee_id, starts_on, ends_on, status, distance, explanation, run_id, created_at)
                values (@Id, @MentorId, @MenteeId, @StartsOn, @EndsOn, 'active', @Distance, @Explanation, @RunId, @Now)
                """, new
            {
                Id = pairingId, MentorId = pair.ServerId, MenteeId = pair.ClientId, StartsOn = startsOn, EndsOn = endsOn, pair.Distance, pair.Explanation,
                RunId = runId, Now = now,
            }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.PublishAsync(new MentorPaired(pairingId, pair.ServerId, pair.ClientId, startsOn, endsOn, pair.Distance, pair.Explanation, now),
                cancellationToken);
            created.Add(new { pairingId, mentorId = pair.ServerId, menteeId = pair.ClientId, mentee = names[pair.ClientId], pair.Explanation });
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new
        {
            run = AssignmentRuns.Summary(runId, result),
            period = new { startsOn, endsOn },
            pairings = created,
            unassigned = result.Unassigned.Select(u => new { menteeId = u.ClientId, mentee = names[u.ClientId], u.Reason }),
        });
    }

    /// <summary>
    /// A school or district pairs two teachers by hand: within the mentor's capacity, a new teacher without a mentor; a
    /// different stage or subject only with a reason, which the pairing shows.
    /// </summary>
    private static async Task<IResult> PairByHandAsync(PairByHand request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.MentorId is not null, "mentorId", "请指定导师")
            .Require(request.MenteeId is not null, "menteeId", "请指定新教师")
            .Require((request.Reason ?? "").Length <= 500, "reason", "原因不超过 500 字");
        var today = ProvinceCalendar.Today(clock);
        if (request.StartsOn is { } start && MentorRules.WhyNotStartOn(start, today) is { } late)
        {
            validation.Add("startsOn", late, Validation.OutOfRange);
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        await LockMentorsAsync(unitOfWork, cancellationToken);
        var mentor = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.MentorId!.Value, unitOfWork.Transaction, cancellationToken);
        var mentee = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.MenteeId!.Value, unitOfWork.Transaction, cancellationToken);
        if (mentor is null || mentee is null || !user.CanSeeTeacher(mentee.Id, mentee.SchoolPath) || !user.CanSeeTeacher(mentor.Id, mentor.SchoolPath))
        {
            return Problems.NotFound("导师或新教师不存在，或不在你的管理范围内");
        }
        var capacity = await unitOfWork.Connection.ExecuteScalarAsync<int?>(new CommandDefinition("select capacity from mentors where teacher_id = @Id",
            new { Id = mentor.Id }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (capacity is null || MentorRules.WhyNotMentor(mentor.Name, mentor.Tier, mentor.InPost) is not null)
        {
            return Problems.RuleBroken(MentorRules.WhyNotMentor(mentor.Name, mentor.Tier, mentor.InPost) ?? $"{mentor.Name} 尚未被设为导师", "not-a-mentor");
        }
        if (!mentee.InPost || !MentorRules.IsNewTeacher(mentee.HireDate, mentee.Tier, today, settings.NewTeacherYears))
        {
            return Problems.RuleBroken($"{mentee.Name} 不是在岗的新教师（入职 {settings.NewTeacherYears} 年内或春苗层级）", "not-new-teacher");
        }
        var load = await ActiveMenteesAsync(unitOfWork, mentor.Id, cancellationToken);
        if (load >= capacity)
        {
            return Problems.Conflict($"{mentor.Name} 已带 {load}/{capacity} 名徒弟，名额已满", "mentor-full", "mentorId");
        }
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        var matches = mentor.Stage == mentee.Stage && mentor.Subject == mentee.Subject;
        if (!matches && reason is null)
        {
            return Problems.RuleBroken($"{mentor.Name} 任教{OrganisationDistance.MatchLabel(mentor.Stage, mentor.Subject)}，{mentee.Name} 任教"
                + $"{OrganisationDistance.MatchLabel(mentee.Stage, mentee.Subject)}：学科学段不一致的结对须说明原因", "subject-mismatch");
        }
        var distance = OrganisationDistance.Between(mentee.SchoolPath, mentor.SchoolPath);
        var explanation = $"{OrganisationDistance.Describe(distance)}，{(matches ? "学科学段一致" : $"学科学段不一致（人工结对，原因：{reason}）")}，负荷 {load + 1}/{capacity}";
        var now = clock.GetUtcNow();
        var (startsOn, endsOn) = MentorRules.Period(request.StartsOn ?? today, settings.PairingYears);
        var id = Guid.CreateVersion7(now);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into mentor_pairings (id, mentor_id, mentee_id, starts_on, ends_on, status, distance, explanation, forced_reason, created_at)
            values (@Id, @MentorId, @MenteeId, @StartsOn, @EndsOn, 'active', @Distance, @Explanation, @Forced, @Now)
            on conflict (mentee_id) where status = 'active' do nothing
            """, new
        {
            Id = id, MentorId = mentor.Id, MenteeId = mentee.Id, StartsOn = startsOn, EndsOn = endsOn, Distance = distance, Explanation = explanation,
            Forced = matches ? null : reason, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"{mentee.Name} 已有导师；请先结束现有结对", "mentee-has-mentor", "menteeId");
        }
        await unitOfWork.PublishAsync(new MentorPaired(id, mentor.Id, mentee.Id, startsOn, endsOn, distance, explanation, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/teachers/{mentee.Id}/pairings", new { pairingId = id, mentor = mentor.Name, mentee = mentee.Name, explanation });
    }

    private static async Task<IResult> EndAsync(Guid pairingId, EndPairing request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return new Validation().Require(false, "reason", "提前结束结对须说明原因，不超过 500 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var pairing = await unitOfWork.Connection.QuerySingleOrDefaultAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.id = @Id for update of p", new { Id = pairingId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (pairing is null || !user.CanSeeTeacher(pairing.MenteeId, pairing.MenteeSchoolPath))
        {
            return Problems.NotFound("结对不存在或不在你的管理范围内");
        }
        if (pairing.Status != "active")
        {
            return Problems.Conflict($"该结对已于 {pairing.EndedOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)} 结束", "pairing-ended");
        }
        var now = clock.GetUtcNow();
        var today = ProvinceCalendar.Today(clock);
        var reason = request.Reason.Trim();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update mentor_pairings set status = 'ended', ended_on = @Today, ended_reason = @Reason, ended_by = @By where id = @Id
            """, new { Id = pairingId, Today = today, Reason = reason, By = MentoringScope.By(user) }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        await unitOfWork.PublishAsync(new MentorPairingEnded(pairingId, pairing.MentorId, pairing.MenteeId, today, reason, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(pairing with { Status = "ended", EndedOn = today, EndedReason = reason });
    }

    /// <summary>A mentor's current mentees, each with their completed courses and hours (all years, and the given year's).</summary>
    private static async Task<IResult> MyMenteesAsync(string? year, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId;
        if (teacherId is null)
        {
            return Problems.Forbidden("只有教师本人可以查看自己的徒弟");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var yearId = year is null ? null : (await CopyStore.FindYearAsync(connection, year, null, cancellationToken))?.Id;
        if (year is not null && yearId is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var pairings = (await connection.QueryAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.mentor_id = @TeacherId and p.status = 'active' order by p.starts_on, mentee_name", new { TeacherId = teacherId },
            cancellationToken: cancellationToken))).ToList();
        var ids = pairings.Select(p => p.MenteeId).ToList();
        var total = await CopyStore.StudyProgressAsync(connection, ids, null, cancellationToken);
        var inYear = yearId is null ? null : await CopyStore.StudyProgressAsync(connection, ids, yearId, cancellationToken);
        var courses = (await connection.QueryAsync<(Guid TeacherId, string Title, decimal Hours, DateTimeOffset CompletedAt)>(new CommandDefinition("""
            select teacher_id, coalesce(title, ''), coalesce(hours, 0), completed_at from course_progress
            where teacher_id = any(@Ids) and status = 'completed' order by completed_at desc
            """, new { Ids = ids.ToArray() }, cancellationToken: cancellationToken))).ToLookup(c => c.TeacherId);
        return TypedResults.Ok(pairings.Select(p => new
        {
            pairing = p,
            progress = total.GetValueOrDefault(p.MenteeId),
            progressThisYear = inYear?.GetValueOrDefault(p.MenteeId),
            completedCourses = courses[p.MenteeId].Select(c => new { c.Title, c.Hours, c.CompletedAt }),
        }));
    }

    /// <summary>A teacher's pairings, as mentee and as mentor: the teacher themselves, or an admin above their school.</summary>
    private static async Task<IResult> PairingsOfAsync(Guid teacherId, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teacher = await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var pairings = (await connection.QueryAsync<PairingView>(new CommandDefinition(
            PairingSql + " where p.mentee_id = @Id or p.mentor_id = @Id order by p.created_at desc", new { Id = teacherId },
            cancellationToken: cancellationToken))).ToList();
        return TypedResults.Ok(new
        {
            asMentee = pairings.Where(p => p.MenteeId == teacherId),
            asMentor = pairings.Where(p => p.MentorId == teacherId),
        });
    }

    private static Task LockMentorsAsync(UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended('mentor-pairings', 0))",
            transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));

    private static Task<int> ActiveMenteesAsync(UnitOfWork unitOfWork, Guid mentorId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select count(*)::int from mentor_pairings where mentor_id = @Id and status = 'active'", new { Id = mentorId }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
}
