using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Enrollment;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>
/// Study progress from Enrollment's events, so mentors and guides see their mentees' and groups' progress without
/// asking Enrollment. Completion is final: a late enrolment or withdrawal never undoes it.
/// </summary>
public sealed class CourseEnrolledCopy(NpgsqlDataSource db) : IdempotentConsumer<CourseEnrolled>(db)
{
    protected override Task HandleAsync(CourseEnrolled m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.RecordEnrolledAsync(m, unitOfWork, cancellationToken);
}

public sealed class CourseCompletedCopy(NpgsqlDataSource db) : IdempotentConsumer<CourseCompleted>(db)
{
    protected override Task HandleAsync(CourseCompleted m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.RecordCompletedAsync(m, unitOfWork, cancellationToken);
}

public sealed class EnrollmentWithdrawnCopy(NpgsqlDataSource db) : IdempotentConsumer<EnrollmentWithdrawn>(db)
{
    protected override Task HandleAsync(EnrollmentWithdrawn m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.RecordWithdrawnAsync(m, unitOfWork, cancellationToken);
}

public sealed class TeacherOptedOutCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherOptedOut>(db)
{
    protected override Task HandleAsync(TeacherOptedOut m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.RecordOptOutAsync(m, unitOfWork, cancellationToken);
}
