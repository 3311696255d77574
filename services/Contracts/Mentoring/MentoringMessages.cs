namespace TrainingPlatform.Contracts.Mentoring;

/// <summary>One study group (研修组) as submitted: its members and its leader.</summary>
public sealed record StudyGroupSnapshot(
    Guid GroupId,
    string Name,
    string Kind,
    string Stage,
    string Subject,
    Guid? LeaderId,
    IReadOnlyList<Guid> MemberIds);

/// <summary>Where a study group belongs: one school, or a county's cross-school group for subjects with few teachers.</summary>
public static class StudyGroupKinds
{
    public const string School = "school";
    public const string CrossSchool = "cross_school";
}

/// <summary>
/// A school (or, for cross-school groups, a county) submitted its study-group list of a program year: every group
/// with its members and leader as of <see cref="SubmittedAt"/>. Sent once: a submitted list no longer changes.
/// </summary>
public sealed record StudyGroupsSubmitted(
    Guid ProgramYearId,
    string ProgramYearCode,
    Guid OrganisationId,
    string OrganisationPath,
    IReadOnlyList<StudyGroupSnapshot> Groups,
    DateTimeOffset SubmittedAt);

/// <summary>
/// A study group got its guide teacher (指导教师) from an assignment run. <see cref="Distance"/>: 0 same school,
/// 1 same county, 2 same city, 3 another city; <see cref="Explanation"/> says why, in Chinese.
/// </summary>
public sealed record GuideAssigned(
    Guid GroupId,
    Guid ProgramYearId,
    Guid GuideId,
    Guid GuideTeacherId,
    int Distance,
    string Explanation,
    Guid RunId,
    DateTimeOffset AssignedAt);

/// <summary>A new teacher was paired with a mentor (导师带教) for a period.</summary>
public sealed record MentorPaired(
    Guid PairingId,
    Guid MentorId,
    Guid MenteeId,
    DateOnly StartsOn,
    DateOnly EndsOn,
    int Distance,
    string Explanation,
    DateTimeOffset PairedAt);

/// <summary>A pairing ended before its period was over, with the reason.</summary>
public sealed record MentorPairingEnded(
    Guid PairingId,
    Guid MentorId,
    Guid MenteeId,
    DateOnly EndedOn,
    string Reason,
    DateTimeOffset EndedAt);
