namespace TrainingPlatform.Contracts.Enrollment;

/// <summary>Why a teacher is enrolled in a course.</summary>
public static class EnrollmentKinds
{
    /// <summary>Pushed by the program year's required package (必修).</summary>
    public const string Required = "required";

    /// <summary>Chosen by the teacher inside their school's topics (选修).</summary>
    public const string Elective = "elective";
}

/// <summary>
/// A teacher chose an elective (or got its seat from a waiting list). Required courses pushed by a package are not
/// announced one by one — a package reaches hundreds of thousands of teachers; their completions are.
/// </summary>
public sealed record CourseEnrolled(
    Guid EnrollmentId,
    Guid TeacherId,
    Guid ProgramYearId,
    Guid CourseId,
    string Kind,
    Guid? SessionId,
    DateTimeOffset EnrolledAt);

/// <summary>An enrollment ended without completion: the teacher dropped an elective, or a required course no longer applies.</summary>
public sealed record EnrollmentWithdrawn(
    Guid EnrollmentId,
    Guid TeacherId,
    Guid ProgramYearId,
    Guid CourseId,
    string Reason,
    DateTimeOffset WithdrawnAt);

/// <summary>
/// A seat of a concentrated session freed up and the first teacher on its waiting list got it. The portal shows it
/// in the teacher's notifications.
/// </summary>
public sealed record WaitingListPromoted(
    Guid EnrollmentId,
    Guid TeacherId,
    Guid ProgramYearId,
    Guid CourseId,
    string CourseTitle,
    Guid SessionId,
    DateTimeOffset PromotedAt);

/// <summary>
/// A course was completed: its learning done, its standardized test passed and its assignment (for a lesson case,
/// the observation report) handed in. Sent once per enrollment; Credits turns it into exactly one ledger entry.
/// </summary>
public sealed record CourseCompleted(
    Guid EnrollmentId,
    Guid TeacherId,
    Guid CourseId,
    Guid ContentId,
    string CourseTitle,
    decimal Hours,
    string Category,
    string Mode,
    string Level,
    Guid ProgramYearId,
    string ProgramYearCode,
    string Kind,
    DateTimeOffset CompletedAt);

/// <summary>
/// A school recorded a teacher's opt-out from the program year, with the reference of the signed statement kept on
/// file. It counts against the teacher's annual assessment.
/// </summary>
public sealed record TeacherOptedOut(
    Guid TeacherId,
    Guid ProgramYearId,
    string ProgramYearCode,
    string StatementReference,
    string Reason,
    string RecordedBy,
    DateTimeOffset RecordedAt);
