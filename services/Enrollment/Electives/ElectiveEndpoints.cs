using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.MyYear;
using TrainingPlatform.Services.Enrollment.Reports;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>Settings under <c>Enrollment:Cycle</c>: which years form one five-year cycle, for 重复参训.</summary>
public sealed class CycleOptions
{
    public const string SectionName = "Enrollment:Cycle";

    public int FirstYear { get; set; } = 2026;

    public int Length { get; set; } = 5;
}

/// <summary>A teacher's choice of an elective.</summary>
public sealed record ChooseElective(
    [property: Required, Description("所选课程")] Guid? CourseId,
    [property: Description("集中培训课程必填：所选场次（须是该课程的场次）；其他课程不填")] Guid? SessionId);

/// <summary>A teacher's place on a session's waiting list.</summary>
public sealed record WaitingListPlace(
    Guid SessionId,
    [property: Description("当前在候补名单中的位次，从 1 开始")] long Position,
    string Message);

/// <summary>A teacher's electives: choose, drop, and wait for a seat. The hot path of course-selection day.</summary>
public static class ElectiveEndpoints
{
    private const string YearText = "年度代码，如 2026";

    public static IEndpointRouteBuilder MapElectiveEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}").WithTags("Electives").RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapPost("/electives", ChooseAsync)
            .WithName("ChooseElective")
            .WithSummary("选修选课")
            .WithDescription("""
                教师本人选一门选修课程，答复已选选修学时与本年度最低选修要求的差距。只能在本校适用的选课时间内、学习开始前选课；只能选本校所选专题内的课程（幼儿园教师：幼儿园学段的课程）；同一周期内不能重复学习同一内容（rule = repeated-training）。

                集中培训课程须选一个场次；场次已满时答 409（rule = session-full），waitingList 给出加入候补名单的地址。

                被拒绝时 rule 说明原因，如 window-closed、frozen、already-enrolled、outside-school-topics。
                """);
        group.MapDelete("/electives/{courseId:guid}", DropAsync)
            .WithName("DropElective")
            .WithSummary("退选选修课")
            .WithDescription("学习开始前可退选（之后 409，rule = frozen）；集中培训课程退选后空出的名额按顺序递补给候补名单中的第一位。");
        group.MapPost("/sessions/{sessionId:guid}/waiting-list", JoinWaitingListAsync)
            .WithName("JoinWaitingList")
            .WithSummary("加入场次候补名单")
            .WithDescription("场次已满时加入候补；有名额空出时按加入顺序自动递补选课并通知教师。与选课相同的规则适用；场次还有名额时答 409（rule = session-has-seats）。");
        group.MapDelete("/sessions/{sessionId:guid}/waiting-list", LeaveWaitingListAsync)
            .WithName("LeaveWaitingList")
            .WithSummary("退出场次候补名单");
        return app;
    }

    private static async Task<Results<Created<ElectiveSummary>, ValidationFailed, NotFoundProblem, ConflictProblem, RuleProblem>> ChooseAsync(
        [Description(YearText)] string year, ChooseElective request, HttpContext http, NpgsqlDataSource db, CatalogFactsCache catalog,
        TimeProvider clock, IOptions<CycleOptions> cycle, CancellationToken cancellationToken)
    {
        if (request.CourseId is null)
        {
            return new Validation().Require(false, "courseId", "请选择课程").ToProblem();
        }
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var reading = await ReadAsync(unitOfWork, catalog, year, teacherId, request.CourseId.Value, clock, cycle.Value, cancellationToken);
        if (reading is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        if (ElectiveRules.Decide(reading.Facts) is { Allowed: false } refused)
        {
            return refused.Status == StatusCodes.Status409Conflict ? Problems.Conflict(refused.Reason, refused.Rule) : Problems.RuleBroken(refused.Reason, refused.Rule);
        }
        if (reading.Course is not { } course)
        {
            return Problems.NotFound("课程不存在"); // the rule already refuses a course it does not know
        }
        var programYear = reading.Year;

        if (course.Mode == DeliveryModes.Concentrated)
        {
            var session = request.SessionId is { } sessionId
                ? await ElectiveStore.SessionOfCourseAsync(unitOfWork, sessionId, course.Id, cancellationToken)
                : null;
            if (session is null)
            {
                return new Validation().Require(false, "sessionId", "集中培训课程需要选择一个场次").ToProblem();
            }
            if (!await Seats.TryTakeAsync(unitOfWork, session.Value, cancellationToken))
            {
                return Problems.Conflict($"“{course.Title}”该场次已满。你可以加入候补名单，有名额空出时按顺序自动递补并通知你。", "session-full",
                    title: "名额已满 (session full)", more: [new("waitingList", $"/api/enrollment/years/{year}/sessions/{session}/waiting-list")]);
            }
        }

        var now = clock.GetUtcNow();
        var enrollmentId = Guid.CreateVersion7(now);
        if (!await ElectiveStore.EnrollTalliedAsync(unitOfWork, enrollmentId, teacherId, programYear.Id, course.Id, request.SessionId, now, cancellationToken))
        {
            return Problems.Conflict("你已选过这门课程", "already-enrolled");
        }
        await unitOfWork.PublishAsync(new CourseEnrolled(enrollmentId, teacherId, programYear.Id, course.Id, EnrollmentKinds.Elective,
            course.Mode == DeliveryModes.Concentrated ? request.SessionId : null, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        // The hours chosen before and this course: the running total without reading it again.
        return TypedResults.Created($"/api/enrollment/years/{year}/me", YearArithmetic.Electives(reading.ElectiveHours + course.Hours, programYear.MinElectiveHours));
    }

    private static async Task<Results<Ok<ElectiveSummary>, NotFoundProblem, ConflictProblem>> DropAsync([Description(YearText)] string year,
        Guid courseId, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await EnrollmentFacts.YearAsync(unitOfWork.Connection, year, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        // Withdrawal is refused only by the freeze, a conflict with the year's state.
        if (ElectiveRules.DecideWithdrawal(ProvinceCalendar.Today(clock), programYear.StudyStarts) is { Allowed: false } refused)
        {
            return Problems.Conflict(refused.Reason, refused.Rule);
        }
        var now = clock.GetUtcNow();
        // The teacher before the enrollment, the order a progress batch takes them in (it may be reporting this course).
        await ProgressTallyStore.LockAsync(unitOfWork, [teacherId], cancellationToken);
        if (await ElectiveStore.DropAsync(unitOfWork, teacherId, programYear.Id, courseId, now, cancellationToken) is not { } dropped)
        {
            return Problems.NotFound("你没有选这门选修课");
        }
        var promoted = dropped.SessionId is { } session ? await Seats.FreeAsync(unitOfWork, session, now, cancellationToken) : [];
        await ProgressTallyStore.RefreshAsync(unitOfWork, [teacherId, .. promoted], cancellationToken, programYear.Id);
        await unitOfWork.PublishAsync(new EnrollmentWithdrawn(dropped.Id, teacherId, programYear.Id, courseId, "教师退选", now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await MyYearStore.ElectiveSummaryAsync(unitOfWork.Connection, programYear, teacherId, cancellationToken));
    }

    private static async Task<Results<Created<WaitingListPlace>, NotFoundProblem, ConflictProblem, RuleProblem>> JoinWaitingListAsync(
        [Description(YearText)] string year, Guid sessionId, HttpContext http, NpgsqlDataSource db, CatalogFactsCache catalog, TimeProvider clock,
        IOptions<CycleOptions> cycle, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        if (await ElectiveStore.SessionForJoiningAsync(unitOfWork, sessionId, cancellationToken) is not { } session)
        {
            return Problems.NotFound("场次不存在");
        }
        var reading = await ReadAsync(unitOfWork, catalog, year, teacherId, session.CourseId, clock, cycle.Value, cancellationToken);
        if (reading is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        if (ElectiveRules.Decide(reading.Facts) is { Allowed: false } refused)
        {
            return refused.Status == StatusCodes.Status409Conflict ? Problems.Conflict(refused.Reason, refused.Rule) : Problems.RuleBroken(refused.Reason, refused.Rule);
        }
        var programYear = reading.Year;
        if (session.Taken < session.Capacity)
        {
            return Problems.Conflict("该场次还有名额，请直接选课", "session-has-seats");
        }
        if (!await ElectiveStore.JoinWaitingListAsync(unitOfWork, sessionId, teacherId, programYear.Id, session.CourseId, clock.GetUtcNow(), cancellationToken))
        {
            return Problems.Conflict("你已在该场次的候补名单中", "already-waiting");
        }
        var position = await ElectiveStore.WaitingCountAsync(unitOfWork, sessionId, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/enrollment/years/{year}/me", new WaitingListPlace(sessionId, position, $"已加入候补，当前排第 {position} 位"));
    }

    private static async Task<Results<NoContent, NotFoundProblem>> LeaveWaitingListAsync([Description(YearText)] string year, Guid sessionId,
        HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await ElectiveStore.LeaveWaitingListAsync(connection, sessionId, teacherId, clock.GetUtcNow(), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound("你不在该场次的候补名单中");
    }

    /// <summary>Everything <see cref="ElectiveRules.Decide"/> needs, for this year's cycle (重复参训); null when the year does not exist.</summary>
    private static Task<ElectiveReading?> ReadAsync(UnitOfWork unitOfWork, CatalogFactsCache catalog, string year, Guid teacherId, Guid courseId, TimeProvider clock,
        CycleOptions cycle, CancellationToken cancellationToken) =>
        EnrollmentFacts.ForElectiveAsync(unitOfWork.Connection, catalog, year, teacherId, courseId, ProvinceCalendar.Today(clock),
            studyYear => CreditCycles.Containing(studyYear, cycle.FirstYear, cycle.Length), cancellationToken);
}
