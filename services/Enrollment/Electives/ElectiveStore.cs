using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Services.Enrollment.Reports;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>
/// The electives' writes and the reads that go with them (the facts the rule needs are read by
/// <see cref="EnrollmentFacts"/>, seats are taken and freed by <see cref="Seats"/>).
/// </summary>
public static class ElectiveStore
{
    /// <summary>The session, when it is one of the course's.</summary>
    public static Task<Guid?> SessionOfCourseAsync(UnitOfWork unitOfWork, Guid sessionId, Guid courseId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "select id from course_sessions where id = @SessionId and course_id = @CourseId",
            new { SessionId = sessionId, CourseId = courseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Enrolls the teacher in the elective; false when they already are (in this course, this year).</summary>
    public static async Task<bool> EnrollAsync(UnitOfWork unitOfWork, Guid enrollmentId, Guid teacherId, Guid yearId, Guid courseId, Guid? sessionId,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into enrollments (id, teacher_id, program_year_id, course_id, kind, session_id, status, enrolled_at)
            values (@Id, @TeacherId, @YearId, @CourseId, 'elective', @SessionId, 'enrolled', @Now)
            on conflict (teacher_id, program_year_id, course_id) where status <> 'withdrawn' do nothing
            """, new { Id = enrollmentId, TeacherId = teacherId, YearId = yearId, CourseId = courseId, SessionId = sessionId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>
    /// <see cref="EnrollAsync"/> and the teacher's tally moved by it (<see cref="ProgressTallyStore.AddElectiveSql"/>), in one
    /// round trip: the choice's hot path. False when they already were enrolled (nothing moved).
    /// </summary>
    public static async Task<bool> EnrollTalliedAsync(UnitOfWork unitOfWork, Guid enrollmentId, Guid teacherId, Guid yearId, Guid courseId,
        Guid? sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        bool enrolled, tallied;
        await using (var batch = await unitOfWork.Connection.QueryMultipleAsync(new CommandDefinition($"""
            insert into enrollments (id, teacher_id, program_year_id, course_id, kind, session_id, status, enrolled_at)
            values (@EnrollmentId, @TeacherId, @YearId, @CourseId, 'elective', @SessionId, 'enrolled', @Now)
            on conflict (teacher_id, program_year_id, course_id) where status <> 'withdrawn' do nothing
            returning 1;
            {ProgressTallyStore.AddElectiveSql}
            """, new { EnrollmentId = enrollmentId, TeacherId = teacherId, YearId = yearId, CourseId = courseId, SessionId = sessionId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken)))
        {
            enrolled = (await batch.ReadAsync<int>()).Any();
            await batch.ReadAsync<Guid>();
            tallied = (await batch.ReadAsync<int>()).Any();
        }
        if (enrolled && !tallied)
        {
            await ProgressTallyStore.RefreshAsync(unitOfWork, [teacherId], cancellationToken, yearId);
        }
        return enrolled;
    }

    /// <summary>Withdraws the teacher's elective; the enrollment and its session, or null when they had not chosen it.</summary>
    public static async Task<(Guid Id, Guid? SessionId)?> DropAsync(UnitOfWork unitOfWork, Guid teacherId, Guid yearId, Guid courseId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var dropped = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid Id, Guid? SessionId)>(new CommandDefinition("""
            update enrollments set status = 'withdrawn', withdrawn_at = @Now, withdrawn_reason = '教师退选'
            where teacher_id = @TeacherId and program_year_id = @YearId and course_id = @CourseId and kind = 'elective' and status = 'enrolled'
            returning id, session_id
            """, new { TeacherId = teacherId, YearId = yearId, CourseId = courseId, Now = now }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        return dropped.Id == Guid.Empty ? null : dropped;
    }

    /// <summary>
    /// The session with its seats, or null. Shared: a seat freed meanwhile (an update) waits for the joiners, then
    /// promotes them; joiners do not queue on each other.
    /// </summary>
    public static async Task<(Guid Id, Guid CourseId, int Capacity, int Taken)?> SessionForJoiningAsync(UnitOfWork unitOfWork, Guid sessionId,
        CancellationToken cancellationToken)
    {
        var session = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(Guid Id, Guid CourseId, int Capacity, int Taken)>(new CommandDefinition(
            "select id, course_id, capacity, taken from course_sessions where id = @SessionId for share",
            new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        return session.Id == Guid.Empty ? null : session;
    }

    /// <summary>Puts the teacher on the session's waiting list; false when they are on it already.</summary>
    public static async Task<bool> JoinWaitingListAsync(UnitOfWork unitOfWork, Guid sessionId, Guid teacherId, Guid yearId, Guid courseId,
        DateTimeOffset now, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into waiting_list (session_id, teacher_id, program_year_id, course_id, status, joined_at)
            values (@SessionId, @TeacherId, @YearId, @CourseId, 'waiting', @Now)
            on conflict (session_id, teacher_id) where status = 'waiting' do nothing
            """, new { SessionId = sessionId, TeacherId = teacherId, YearId = yearId, CourseId = courseId, Now = now },
            unitOfWork.Transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>How many are waiting for the session (the newest joiner's place).</summary>
    public static Task<long> WaitingCountAsync(UnitOfWork unitOfWork, Guid sessionId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            select count(*) from waiting_list where session_id = @SessionId and status = 'waiting'
            """, new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Takes the teacher off the session's waiting list; false when they were not on it.</summary>
    public static async Task<bool> LeaveWaitingListAsync(NpgsqlConnection connection, Guid sessionId, Guid teacherId, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition("""
            update waiting_list set status = 'left', settled_at = @Now
            where session_id = @SessionId and teacher_id = @TeacherId and status = 'waiting'
            """, new { SessionId = sessionId, TeacherId = teacherId, Now = now }, cancellationToken: cancellationToken)) > 0;
}
