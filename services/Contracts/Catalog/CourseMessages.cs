namespace TrainingPlatform.Contracts.Catalog;

/// <summary>A dated place and capacity of a concentrated (集中) course.</summary>
public sealed record CourseSession(Guid SessionId, string Place, DateOnly StartsOn, DateOnly EndsOn, int Capacity);

/// <summary>
/// A course version became available for enrolment. <see cref="ContentId"/> is the same for every version of one
/// course's content: taking the same content twice in a cycle (重复参训) is judged on it, never on
/// <see cref="CourseId"/>. <see cref="Subjects"/> empty means every subject of <see cref="Stages"/>. When this
/// version replaces an earlier one, <see cref="SupersedesCourseId"/> names it (and a <see cref="CourseRetired"/> for
/// it follows).
/// </summary>
public sealed record CoursePublished(
    Guid CourseId,
    string Code,
    int Version,
    Guid ContentId,
    string Title,
    decimal Hours,
    string Category,
    string Mode,
    string Level,
    IReadOnlyList<string> Stages,
    IReadOnlyList<string> Subjects,
    IReadOnlyList<CourseSession> Sessions,
    Guid? SupersedesCourseId,
    DateTimeOffset PublishedAt);

/// <summary>A course version no longer takes new enrolments; existing enrolments and earned credits stay.</summary>
public sealed record CourseRetired(Guid CourseId, Guid ContentId, string Reason, DateTimeOffset RetiredAt);
