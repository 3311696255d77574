using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Enrollment.Electives;

/// <summary>
/// Seats of concentrated sessions. A seat is taken by one conditional UPDATE on the session row, so however many
/// teachers click in the same second, "taken" never passes "capacity": the row lock queues them and the condition
/// refuses the ones too late. A freed seat goes to the first teacher waiting, in the same transaction.
/// </summary>
public static class Seats
{
    public static async Task<bool> TryTakeAsync(UnitOfWork unitOfWork, Guid sessionId, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update course_sessions set taken = taken + 1 where id = @SessionId and taken < capacity",
            new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken)) == 1;

    /// <summary>
    /// Frees a seat and gives it to the first teacher waiting (who is told by a <see cref="WaitingListPromoted"/>); the
    /// teachers promoted, whose tallies the caller refreshes with its own teacher's (one lock round, in order).
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> FreeAsync(UnitOfWork unitOfWork, Guid sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update course_sessions set taken = taken - 1 where id = @SessionId", new { SessionId = sessionId }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
        return await PromoteAsync(unitOfWork, sessionId, now, cancellationToken);
    }

    /// <summary>Fills free seats from the waiting list, in order of joining; the teachers enrolled.</summary>
    public static async Task<IReadOnlyList<Guid>> PromoteAsync(UnitOfWork unitOfWork, Guid sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var promoted = new List<Guid>();
        while (true)
        {
            var next = await unitOfWork.Connection.QuerySingleOrDefaultAsync<(long Id, Guid TeacherId, Guid ProgramYearId, Guid CourseId, string Title)>(
                new CommandDefinition("""
                    select w.id, w.teacher_id, w.program_year_id, w.course_id, c.title
                    from waiting_list w join courses c on c.id = w.course_id
                    where w.session_id = @SessionId and w.status = 'waiting'
                    order by w.id limit 1 for update of w
                    """, new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            if (next.Id == 0 || !await TryTakeAsync(unitOfWork, sessionId, cancellationToken))
            {
                return promoted;
            }
            var enrollmentId = Guid.CreateVersion7(now);
            var enrolled = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
                insert into enrollments (id, teacher_id, program_year_id, course_id, kind, session_id, status, enrolled_at)
                values (@Id, @TeacherId, @ProgramYearId, @CourseId, 'elective', @SessionId, 'enrolled', @Now)
                on conflict (teacher_id, program_year_id, course_id) where status <> 'withdrawn' do nothing
                """, new { Id = enrollmentId, next.TeacherId, next.ProgramYearId, next.CourseId, SessionId = sessionId, Now = now },
                unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
                "update waiting_list set status = @Status, settled_at = @Now where id = @Id",
                new { next.Id, Status = enrolled == 1 ? "promoted" : "left", Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            if (enrolled == 0)
            {
                // Already enrolled in another session of the course: the seat goes to the next in line.
                await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("update course_sessions set taken = taken - 1 where id = @SessionId",
                    new { SessionId = sessionId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
                continue;
            }
            promoted.Add(next.TeacherId);
            await unitOfWork.PublishAsync(new WaitingListPromoted(enrollmentId, next.TeacherId, next.ProgramYearId, next.CourseId, next.Title, sessionId, now),
                cancellationToken);
            await unitOfWork.PublishAsync(new CourseEnrolled(enrollmentId, next.TeacherId, next.ProgramYearId, next.CourseId, EnrollmentKinds.Elective,
                sessionId, now), cancellationToken);
        }
    }
}
