using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Time;
using TrainingPlatform.Contracts.Enrollment;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Enrollment.MyYear;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>Settings under <c>Enrollment:Cycle</c>: which years form one five-year cycle, for 重复参训.</summary>
public sealed class CycleOptions
{
    public const string SectionName = "Enrollment:Cycle";

    public int FirstYear { get; set; } = 2026;

    public int Length { get; set; } = 5;
}

public sealed record ChooseElective(Guid? CourseId, Guid? SessionId);

/// <summary>A teacher's electives: choose, drop, and wait for a seat. The hot path of course-selection day.</summary>
public static class ElectiveEndpoints
{
    public static IEndpointRouteBuilder MapElectiveEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/enrollment/years/{year}").WithTags("Electives").RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        group.MapPost("/electives", ChooseAsync);
        group.MapDelete("/electives/{courseId:guid}", DropAsync);
        group.MapPost("/sessions/{sessionId:guid}/waiting-list", JoinWaitingListAsync);
        group.MapDelete("/sessions/{sessionId:guid}/waiting-list", LeaveWaitingListAsync);
        return app;
    }

    private static async Task<IResult> ChooseAsync(string year, ChooseElective request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<CycleOptions> cycle, CancellationToken cancellationToken)
    {
        if (request.CourseId is null)
        {
            return new Validation().Require(false, "courseId", "请选择课程").ToProblem();
        }
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (reading, problem) = await CheckAsync(unitOfWork, year, teacherId, request.CourseId.Value, clock, cycle.Value, cancellationToken);
        if (problem is not null || reading?.Course is not { } course)
        {
            return problem ?? Problems.NotFound("课程不存在"); // the rule already refuses a course it does not know
        }
        var programYear = reading.Year;

        if (course.Mode == DeliveryModes.Concentrated)
        {
            var session = request.SessionId is { } sessionId
                ? await unitOfWork.Connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
                    "select id from course_sessions where id = @SessionId and course_id = @CourseId",
                    new { SessionId = sessionId, CourseId = course.Id }, unitOfWork.Transaction, cancellationToken: cancellationToken))
                : null;
            if (session is null)
            {
                return new Validation().Require(false, "sessionId", "集中培训课程需要选择一个场次").ToProblem();
            }
            if (!await Seats.TryTakeAsync(unitOfWork, session.Value, cancellationToken))
            {
                return TypedResults.Problem(
                    detail: $"“{course.Title}”该场次已满。你可以加入候补名单，有名额空出时按顺序自动递补并通知你。",
                    statusCode: StatusCodes.Status409Conflict, title: "名额已满 (session full)",
                    extensions: new Dictionary<string, object?>
                    {
                        ["rule"] = "session-full",
                        ["waitingList"] = $"/api/enrollment/years/{year}/sessions/{session}/waiting-list",
                    });
            }
        }

        var now = clock.GetUtcNow();
        var enrollmentId = Guid.CreateVersion7(now);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into enrollments (id, teacher_id, program_year_id, course_id, kind, session_id, status, enrolled_at)
            values (@Id, @TeacherId, @YearId, @CourseId, 'elective', @SessionId, 'enrolled', @Now)
            on conflict (teacher_id, program_year_id, course_id) where status <> 'withdrawn' do nothing
            """, new { Id = enrollmentId, TeacherId = teacherId, YearId = programYear.Id, CourseId = course.Id, request.SessionId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict("你已选过这门课程", "already-enrolled");
        }
        await unitOfWork.PublishAsync(new CourseEnrolled(enrollmentId, teacherId, programYear.Id, course.Id, EnrollmentKinds.Elective,
            course.Mode == DeliveryModes.Concentrated ? request.SessionId : null, now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        // The hours chosen before and this course: the running total without reading it again.
        return TypedResults.Created($"/api/enrollment/years/{year}/me", YearArithmetic.Electives(reading.ElectiveHours + course.Hours, programYear.MinElectiveHours));
    }

    private static async Task<IResult> DropAsync(string year, Guid courseId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var programYear = await EnrollmentFacts.YearAsync(unitOfWork.Connection, year, cancellationToken);
        if (programYear is null)
        {
            return Problems.NotFound($"年度 {year} 不存在");
        }
        var decision = ElectiveRules.DecideWithdrawal(ProvinceCalendar.Today(clock), programYear.StudyStarts);
        if (!decision.Allowed)
        {
            return Refusal(decision);
        }
        var now = clock.GetUtcNow();
        var dropped = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid Id, Guid? SessionId)>(new CommandDefinition("""
            update enrollments set status = 'withdrawn', withdrawn_at = @Now, withdrawn_reason = '教师退选'
            where teacher_id = @TeacherId and program_year_id = @YearId and course_id = @CourseId and kind = 'elective' and status = 'enrolled'
            returning id, session_id
            """, new { TeacherId = teacherId, YearId = programYear.Id, CourseId = courseId, Now = now }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        if (dropped.Id == Guid.Empty)
        {
            return Problems.NotFound("你没有选这门选修课");
        }
        if (dropped.SessionId is { } session)
        {
            await Seats.FreeAsync(unitOfWork, session, now, cancellationToken);
        }
        await unitOfWork.PublishAsync(new EnrollmentWithdrawn(dropped.Id, teacherId, programYear.Id, courseId, "教师退选", now), cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(await MyYearEndpoints.ElectiveSummaryAsync(unitOfWork.Connection, programYear, teacherId, cancellationToken));
    }

    private static async Task<IResult> JoinWaitingListAsync(string year, Guid sessionId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        IOptions<CycleOptions> cycle, CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        // Shared: a seat freed meanwhile (an update) waits for the joiners, then promotes them; joiners do not queue on each other.
        var session = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid Id, Guid CourseId, int Capacity, int Taken)>(new CommandDefinition(
            "select id, course_id, capacity, taken from course_sessions where id = @SessionId for share",
            new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (session.Id == Guid.Empty)
        {
            return Problems.NotFound("场次不存在");
        }
        var (reading, problem) = await CheckAsync(unitOfWork, year, teacherId, session.CourseId, clock, cycle.Value, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var programYear = reading!.Year;
        if (session.Taken < session.Capacity)
        {
            return Problems.Conflict("该场次还有名额，请直接选课", "session-has-seats");
        }
        var now = clock.GetUtcNow();
        var joined = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into waiting_list (session_id, teacher_id, program_year_id, course_id, status, joined_at)
            values (@SessionId, @TeacherId, @YearId, @CourseId, 'waiting', @Now)
            on conflict (session_id, teacher_id) where status = 'waiting' do nothing
            """, new { SessionId = sessionId, TeacherId = teacherId, YearId = programYear.Id, session.CourseId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (joined == 0)
        {
            return Problems.Conflict("你已在该场次的候补名单中", "already-waiting");
        }
        var position = await unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            select count(*) from waiting_list where session_id = @SessionId and status = 'waiting'
            """, new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/enrollment/years/{year}/me", new { sessionId, position, message = $"已加入候补，当前排第 {position} 位" });
    }

    private static async Task<IResult> LeaveWaitingListAsync(string year, Guid sessionId, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var teacherId = PlatformUser.From(http.User).TeacherId!.Value;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var left = await connection.ExecuteAsync(new CommandDefinition("""
            update waiting_list set status = 'left', settled_at = @Now
            where session_id = @SessionId and teacher_id = @TeacherId and status = 'waiting'
            """, new { SessionId = sessionId, TeacherId = teacherId, Now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return left == 0 ? Problems.NotFound("你不在该场次的候补名单中") : TypedResults.NoContent();
    }

    /// <summary>Loads the facts and applies <see cref="ElectiveRules"/>; the problem to answer when refused.</summary>
    private static async Task<(ElectiveReading? Reading, IResult? Problem)> CheckAsync(UnitOfWork unitOfWork, string year, Guid teacherId,
        Guid courseId, TimeProvider clock, CycleOptions cycle, CancellationToken cancellationToken)
    {
        var reading = await EnrollmentFacts.ForElectiveAsync(unitOfWork.Connection, year, teacherId, courseId, ProvinceCalendar.Today(clock),
            studyYear => CreditCycles.Containing(studyYear, cycle.FirstYear, cycle.Length), cancellationToken);
        if (reading is null)
        {
            return (null, Problems.NotFound($"年度 {year} 不存在"));
        }
        var decision = ElectiveRules.Decide(reading.Facts);
        return (reading, decision.Allowed ? null : Refusal(decision));
    }

    /// <summary>
    /// A refused choice or drop as problem details, always with its <c>rule</c>: clients (the portal among them) tell
    /// a freeze from any other conflict by the rule, not by the wording.
    /// </summary>
    private static IResult Refusal(ElectiveDecision decision) => decision.Status == StatusCodes.Status409Conflict
        ? Problems.Conflict(decision.Reason, decision.Rule)
        : Problems.RuleBroken(decision.Reason, decision.Rule);
}
