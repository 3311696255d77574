using Dapper;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Enrollment.Progress;

/// <summary>An enrollment as a progress report finds it.</summary>
public sealed record EnrollmentState
{
    public Guid Id { get; init; }
    public Guid TeacherId { get; init; }
    public Guid ProgramYearId { get; init; }
    public string ProgramYearCode { get; init; } = "";
    public Guid CourseId { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public int MinutesStudied { get; init; }
    public decimal Percent { get; init; }
    public bool TestPassed { get; init; }
    public decimal? TestScore { get; init; }
    public bool AssignmentHandedIn { get; init; }
}

/// <summary>Progress reports as recorded, and the enrollments' study state they move.</summary>
public static class ProgressStore
{
    /// <summary>The enrollment the report is about, locked until the batch commits; null when the teacher is not in the course that year.</summary>
    public static Task<EnrollmentState?> LockEnrollmentAsync(UnitOfWork unitOfWork, ProgressReport report, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<EnrollmentState>(new CommandDefinition("""
            select e.id, e.teacher_id, e.program_year_id, y.code as program_year_code, e.course_id, e.kind, e.status, e.minutes_studied, e.percent,
                   e.test_passed, e.test_score, e.assignment_handed_in
            from enrollments e join program_years y on y.id = e.program_year_id
            where e.teacher_id = @TeacherId and e.course_id = @CourseId and y.code = @ProgramYear and e.status <> 'withdrawn'
            for update of e
            """, new { report.TeacherId, report.CourseId, report.ProgramYear }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Records the report's id (with its content's fingerprint); false when the id was used before.</summary>
    public static async Task<bool> RecordAsync(UnitOfWork unitOfWork, ProgressReport report, Guid enrollmentId, string fingerprint, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into progress_reports (report_id, enrollment_id, received_at, content_fingerprint)
            values (@ReportId, @EnrollmentId, @Now, @Fingerprint)
            on conflict (report_id) do nothing
            """, new { report.ReportId, EnrollmentId = enrollmentId, Now = now, Fingerprint = fingerprint }, unitOfWork.Transaction,
            cancellationToken: cancellationToken)) > 0;

    /// <summary>What an earlier report of the same id was about (its fingerprint is null for reports recorded before fingerprints).</summary>
    public static Task<(Guid EnrollmentId, string? Fingerprint)> EarlierAsync(UnitOfWork unitOfWork, string? reportId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleAsync<(Guid EnrollmentId, string? Fingerprint)>(new CommandDefinition(
            "select enrollment_id, content_fingerprint from progress_reports where report_id = @ReportId",
            new { ReportId = reportId }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Stores the merged study state, and completes the enrollment when <paramref name="completes"/>.</summary>
    public static Task SaveAsync(UnitOfWork unitOfWork, Guid enrollmentId, StudyState state, DateTimeOffset occurredAt, bool completes, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update enrollments
            set minutes_studied = @MinutesStudied, percent = @Percent, test_passed = @TestPassed, test_score = @TestScore,
                assignment_handed_in = @AssignmentHandedIn, last_report_at = greatest(last_report_at, @OccurredAt),
                status = case when @Completes then 'completed' else status end,
                completed_at = case when @Completes then @Now else completed_at end
            where id = @Id
            """, new
        {
            Id = enrollmentId, state.MinutesStudied, state.Percent, state.TestPassed, state.TestScore, state.AssignmentHandedIn,
            OccurredAt = occurredAt, Completes = completes, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The course as a completion announces it.</summary>
    public static Task<(Guid ContentId, string Title, decimal Hours, string Category, string Mode, string Level)> CourseAsync(UnitOfWork unitOfWork,
        Guid courseId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleAsync<(Guid ContentId, string Title, decimal Hours, string Category, string Mode, string Level)>(
            new CommandDefinition("select content_id, title, hours, category, mode, level from courses where id = @CourseId",
                new { CourseId = courseId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
}
