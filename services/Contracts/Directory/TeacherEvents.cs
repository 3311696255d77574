namespace TrainingPlatform.Contracts.Directory;

/// <summary>
/// Everything the other services need to know about a teacher, as of <see cref="Version"/>. Sent when a teacher is
/// registered and again whenever the profile changes (including a transfer to another school): consumers keep
/// the highest version they have seen, so late or repeated copies change nothing.
/// </summary>
public sealed record TeacherProfileChanged(
    Guid TeacherId,
    int Version,
    string NationalId,
    string Name,
    DateOnly BirthDate,
    string Sex,
    Guid SchoolId,
    string SchoolPath,
    string Stage,
    string Subject,
    DateOnly HireDate,
    bool NormalSchoolGraduate,
    bool ClassTeacher,
    string? Title,
    string Tier,
    bool InPost,
    string Change,
    DateTimeOffset ChangedAt);

/// <summary>Why a <see cref="TeacherProfileChanged"/> was sent.</summary>
public static class TeacherChanges
{
    public const string Registered = "registered";
    public const string Updated = "updated";
    public const string Transferred = "transferred";
}
