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
using TrainingPlatform.Contracts.Mentoring;
using TrainingPlatform.Services.Mentoring.Assignment;
using TrainingPlatform.Services.Mentoring.Copies;

namespace TrainingPlatform.Services.Mentoring.Mentors;

public sealed record MarkMentor(
    [property: Range(1, MentorRules.MaxCapacity), Description("最多带教的徒弟数；不传为设置 Mentoring:MentorCapacity（默认 3）")] int? Capacity);

public sealed record EndPairing(
    [property: Required, MaxLength(MentoringLimits.ReasonLength), Description("提前结束的原因")] string? Reason);

/// <param name="StartsOn">When the pairing began, if before today (sessions already held can then be logged); today if left out.</param>
public sealed record PairByHand(
    [property: Required, Description("导师的教师编号；须已设为导师且名额未满")] Guid? MentorId,
    [property: Required, Description("新教师的教师编号：在岗，入职 Mentoring:NewTeacherYears 年内或春苗层级，尚无导师")] Guid? MenteeId,
    [property: MaxLength(MentoringLimits.ReasonLength), Description("导师与新教师学段学科不一致时必填：人工结对的原因")] string? Reason,
    [property: Description("结对开始日期：今天或本年度内此前的某天（补录已开始的带教）；不传为今天")] DateOnly? StartsOn = null);

public sealed record MentorMarked(Guid TeacherId, string Name, int Capacity, [property: Description("正在带教的徒弟数")] int Mentees);

/// <summary>A run of the mentor pairing: its figures, the period every new pairing lasts, the pairings made and who was left unpaired.</summary>
public sealed record MentorPairingRun(AssignmentRunSummary Run, PairingPeriod Period, IReadOnlyList<MentorPairingMade> Pairings,
    IReadOnlyList<UnpairedMentee> Unassigned);

public sealed record PairingPeriod(DateOnly StartsOn, DateOnly EndsOn);

public sealed record MentorPairingMade(Guid PairingId, Guid MentorId, Guid MenteeId, string Mentee,
    [property: Description("为什么是这位导师：距离、学科学段、负荷")] string Explanation);

public sealed record UnpairedMentee(Guid MenteeId, string Mentee, [property: Description("未能结对的原因")] string Reason);

public sealed record PairedByHand(Guid PairingId, string Mentor, string Mentee, string Explanation);

/// <summary>A mentee of the signed-in mentor and their study: all years, the year asked about, and the courses completed.</summary>
public sealed record MenteeProgress(PairingView Pairing,
    [property: Description("历年累计的学习进度")] StudyProgress? Progress,
    [property: Description("所查年度的学习进度；未指定年度时为 null")] StudyProgress? ProgressThisYear,
    IReadOnlyList<CompletedCourse> CompletedCourses);

public sealed record CompletedCourse(string Title, decimal Hours, DateTimeOffset CompletedAt);

public sealed record TeacherPairings(
    [property: Description("作为徒弟的结对")] IReadOnlyList<PairingView> AsMentee,
    [property: Description("作为导师的结对")] IReadOnlyList<PairingView> AsMentor);

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
        group.MapPut("/mentors/{teacherId:guid}", MarkAsync).RequireAuthorization(p => p.RequireRole(admins))
            .WithName("MarkMentor")
            .WithSummary("设为导师")
            .WithDescription("把范围内骨干（深蓝）、卓越或领航层级的在岗教师设为导师并设定带教名额；再次调用修改名额，但不能少于正在带教的徒弟数。");
        group.MapPost("/organisations/{code}/mentor-pairings", PairAsync).RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin, Roles.PlatformOperator))
            .WithName("PairMentors")
            .WithSummary("自动结对导师")
            .WithDescription("为该机构之下尚无导师的在岗新教师（入职 Mentoring:NewTeacherYears 年内或春苗层级）结对导师：学段学科一致，不超过名额，"
                + "距离不超过 Mentoring:MentorMaxDistance，先近后远、负荷均衡。每对为期 Mentoring:PairingYears 年，自今天起；运行结果留存，"
                + "每对发布 MentorPaired；未能结对的列出原因。");
        group.MapPost("/mentor-pairings", PairByHandAsync).RequireAuthorization(p => p.RequireRole(admins))
            .WithName("PairMentorByHand")
            .WithSummary("人工结对导师")
            .WithDescription("学校或教育局为范围内的两位教师结对：导师名额未满，新教师尚无导师；学段学科不一致须说明原因（reason），结对说明中会注明。"
                + "可补录本年度内已开始的结对（startsOn）。");
        group.MapPost("/mentor-pairings/{pairingId:guid}/end", EndAsync).RequireAuthorization(p => p.RequireRole(admins))
            .WithName("EndMentorPairing")
            .WithSummary("提前结束导师结对")
            .WithDescription("须说明原因；结束后发布 MentorPairingEnded，此后的带教活动不能再登记。");
        group.MapGet("/mentors/me/mentees", MyMenteesAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher, Roles.GuideTeacher))
            .WithName("ListMyMentees")
            .WithSummary("我的徒弟")
            .WithDescription("当前登录导师正在带教的徒弟，以及每人历年和所查年度（year）的学习进度、已完成的课程。");
        group.MapGet("/teachers/{teacherId:guid}/pairings", PairingsOfAsync)
            .WithName("ListTeacherPairings")
            .WithSummary("查看教师的导师结对")
            .WithDescription("教师本人或其学校之上的管理员可查看：该教师作为徒弟和作为导师的全部结对（含已结束的）。");
        return app;
    }

    private static async Task<Results<Ok<MentorMarked>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> MarkAsync(Guid teacherId,
        MarkMentor request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var capacity = request.Capacity ?? options.Value.MentorCapacity;
        if (capacity is < 1 or > MentorRules.MaxCapacity)
        {
            return new Validation().Require(false, "capacity", $"每位导师带 1–{MentorRules.MaxCapacity} 名徒弟").ToProblem();
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
        await MentorStore.LockAsync(unitOfWork, cancellationToken);
        var mentees = await MentorStore.ActiveMenteesAsync(unitOfWork, teacher.Id, cancellationToken);
        if (capacity < mentees)
        {
            return Problems.Conflict($"{teacher.Name} 正在带 {mentees} 名徒弟，名额不能少于 {mentees}；请先结束部分结对", "capacity-below-mentees", "capacity");
        }
        await MentorStore.UpsertMentorAsync(unitOfWork, teacher.Id, capacity, MentoringScope.By(user), clock.GetUtcNow(), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "mentor-marked", "teacher", teacher.Id.ToString(),
            $"设 {teacher.Name} 为导师，带教名额 {capacity}（现带 {mentees} 名）", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new MentorMarked(teacher.Id, teacher.Name, capacity, mentees));
    }

    /// <summary>Pairs the unpaired new teachers below <paramref name="code"/> with the mentors there, through the engine. Stored and announced.</summary>
    private static async Task<Results<Ok<MentorPairingRun>, NotFoundProblem, RuleProblem>> PairAsync(string code, HttpContext http, NpgsqlDataSource db,
        TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        var settings = options.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (organisation, problem) = await MentoringScope.VisibleOrganisationAsync(unitOfWork.Connection, user, code, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        await MentorStore.LockAsync(unitOfWork, cancellationToken);
        var today = ProvinceCalendar.Today(clock);
        var mentees = await MentorStore.UnpairedNewTeachersAsync(unitOfWork, organisation!.Path,
            MentorRules.NewTeacherHiredAfter(today, settings.NewTeacherYears), cancellationToken);
        var mentors = await MentorStore.MentorsBelowAsync(unitOfWork, organisation.Path, cancellationToken);
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
        var runId = await AssignmentStore.SaveRunAsync(unitOfWork, "mentors", null, organisation.Path, result, MentoringScope.By(user), now,
            cancellationToken);
        var created = new List<MentorPairingMade>();
        var names = mentees.ToDictionary(t => t.Id, t => t.Name);
        foreach (var pair in result.Assignments)
        {
            var pairingId = Guid.CreateVersion7(now);
            await MentorStore.InsertAssignedPairingAsync(unitOfWork, pairingId, pair, startsOn, endsOn, runId, now, cancellationToken);
            await unitOfWork.PublishAsync(new MentorPaired(pairingId, pair.ServerId, pair.ClientId, startsOn, endsOn, pair.Distance, pair.Explanation, now),
                cancellationToken);
            created.Add(new MentorPairingMade(pairingId, pair.ServerId, pair.ClientId, names[pair.ClientId], pair.Explanation));
        }
        await AuditTrail.RecordAsync(unitOfWork, http, "mentor-pairing-run-completed", "assignment-run", runId.ToString(),
            $"为 {organisation.Name} 自动结对导师：结对 {created.Count} 对，未能结对 {result.Unassigned.Count} 人", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new MentorPairingRun(AssignmentStore.Summary(runId, result), new PairingPeriod(startsOn, endsOn), created,
            [.. result.Unassigned.Select(u => new UnpairedMentee(u.ClientId, names[u.ClientId], u.Reason))]));
    }

    /// <summary>
    /// A school or district pairs two teachers by hand: within the mentor's capacity, a new teacher without a mentor; a
    /// different stage or subject only with a reason, which the pairing shows.
    /// </summary>
    private static async Task<Results<Created<PairedByHand>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> PairByHandAsync(
        PairByHand request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, IOptions<MentoringOptions> options, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(request.MentorId is not null, "mentorId", "请指定导师")
            .Require(request.MenteeId is not null, "menteeId", "请指定新教师")
            .Require((request.Reason ?? "").Length <= MentoringLimits.ReasonLength, "reason", $"原因不超过 {MentoringLimits.ReasonLength} 字");
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
        await MentorStore.LockAsync(unitOfWork, cancellationToken);
        var mentor = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.MentorId!.Value, unitOfWork.Transaction, cancellationToken);
        var mentee = await CopyStore.FindTeacherAsync(unitOfWork.Connection, request.MenteeId!.Value, unitOfWork.Transaction, cancellationToken);
        if (mentor is null || mentee is null || !user.CanSeeTeacher(mentee.Id, mentee.SchoolPath) || !user.CanSeeTeacher(mentor.Id, mentor.SchoolPath))
        {
            return Problems.NotFound("导师或新教师不存在，或不在你的管理范围内");
        }
        var capacity = await MentorStore.CapacityAsync(unitOfWork, mentor.Id, cancellationToken);
        if (capacity is null || MentorRules.WhyNotMentor(mentor.Name, mentor.Tier, mentor.InPost) is not null)
        {
            return Problems.RuleBroken(MentorRules.WhyNotMentor(mentor.Name, mentor.Tier, mentor.InPost) ?? $"{mentor.Name} 尚未被设为导师", "not-a-mentor");
        }
        if (!mentee.InPost || !MentorRules.IsNewTeacher(mentee.HireDate, mentee.Tier, today, settings.NewTeacherYears))
        {
            return Problems.RuleBroken($"{mentee.Name} 不是在岗的新教师（入职 {settings.NewTeacherYears} 年内或春苗层级）", "not-new-teacher");
        }
        var load = await MentorStore.ActiveMenteesAsync(unitOfWork, mentor.Id, cancellationToken);
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
        var inserted = await MentorStore.InsertPairingByHandAsync(unitOfWork, id, mentor.Id, mentee.Id, startsOn, endsOn, distance, explanation,
            matches ? null : reason, now, cancellationToken);
        if (inserted == 0)
        {
            return Problems.Conflict($"{mentee.Name} 已有导师；请先结束现有结对", "mentee-has-mentor", "menteeId");
        }
        await unitOfWork.PublishAsync(new MentorPaired(id, mentor.Id, mentee.Id, startsOn, endsOn, distance, explanation, now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "mentor-pairing-created", "mentor-pairing", id.ToString(),
            $"人工结对：导师 {mentor.Name}，新教师 {mentee.Name}，{startsOn:yyyy-MM-dd} 至 {endsOn:yyyy-MM-dd}；{explanation}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/mentoring/teachers/{mentee.Id}/pairings", new PairedByHand(id, mentor.Name, mentee.Name, explanation));
    }

    private static async Task<Results<Ok<PairingView>, ValidationFailed, NotFoundProblem, ConflictProblem>> EndAsync(Guid pairingId, EndPairing request,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MentoringLimits.ReasonLength)
        {
            return new Validation().Require(false, "reason", $"提前结束结对须说明原因，不超过 {MentoringLimits.ReasonLength} 字").ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var pairing = await MentorStore.FindForUpdateAsync(unitOfWork, pairingId, cancellationToken);
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
        await MentorStore.EndAsync(unitOfWork, pairingId, today, reason, MentoringScope.By(user), cancellationToken);
        await unitOfWork.PublishAsync(new MentorPairingEnded(pairingId, pairing.MentorId, pairing.MenteeId, today, reason, now), cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "mentor-pairing-ended", "mentor-pairing", pairingId.ToString(),
            $"提前结束导师结对（{today:yyyy-MM-dd}），原因：{reason}", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(pairing with { Status = "ended", EndedOn = today, EndedReason = reason });
    }

    /// <summary>A mentor's current mentees, each with their completed courses and hours (all years, and the given year's).</summary>
    private static async Task<Results<Ok<List<MenteeProgress>>, ForbiddenProblem, NotFoundProblem>> MyMenteesAsync(
        [Description("年度代码；给出时另列该年度的学习进度（progressThisYear）")] string? year, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
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
        var pairings = await MentorStore.ActiveOfMentorAsync(connection, teacherId.Value, cancellationToken);
        var ids = pairings.Select(p => p.MenteeId).ToList();
        var total = await CopyStore.StudyProgressAsync(connection, ids, null, cancellationToken);
        var inYear = yearId is null ? null : await CopyStore.StudyProgressAsync(connection, ids, yearId, cancellationToken);
        var courses = await MentorStore.CompletedCoursesAsync(connection, ids, cancellationToken);
        return TypedResults.Ok(pairings.Select(p => new MenteeProgress(p, total.GetValueOrDefault(p.MenteeId), inYear?.GetValueOrDefault(p.MenteeId),
            [.. courses[p.MenteeId].Select(c => new CompletedCourse(c.Title, c.Hours, c.CompletedAt))])).ToList());
    }

    /// <summary>A teacher's pairings, as mentee and as mentor: the teacher themselves, or an admin above their school.</summary>
    private static async Task<Results<Ok<TeacherPairings>, NotFoundProblem>> PairingsOfAsync(Guid teacherId, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var teacher = await CopyStore.FindTeacherAsync(connection, teacherId, null, cancellationToken);
        if (teacher is null || !user.CanSeeTeacher(teacher.Id, teacher.SchoolPath))
        {
            return Problems.NotFound("教师不存在或不在你的管理范围内");
        }
        var pairings = await MentorStore.OfTeacherAsync(connection, teacherId, cancellationToken);
        return TypedResults.Ok(new TeacherPairings([.. pairings.Where(p => p.MenteeId == teacherId)], [.. pairings.Where(p => p.MentorId == teacherId)]));
    }
}
