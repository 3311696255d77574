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

/// <summary>
/// A district (or the operator) arranged for a backbone teacher to support a weak school (对口帮扶) for a period.
/// <see cref="ArrangedBy"/> is the path of the county or city that arranged it.
/// </summary>
public sealed record SchoolSupportPaired(
    Guid PairingId,
    Guid TeacherId,
    Guid SchoolId,
    string SchoolPath,
    string ArrangedBy,
    DateOnly StartsOn,
    DateOnly EndsOn,
    DateTimeOffset PairedAt);

/// <summary>A support pairing ended before its period was over, with the reason.</summary>
public sealed record SchoolSupportEnded(
    Guid PairingId,
    Guid TeacherId,
    Guid SchoolId,
    DateOnly EndedOn,
    string Reason,
    DateTimeOffset EndedAt);

/// <summary>What a mentoring activity was: the three kinds that earn the teacher who did the work credit hours.</summary>
public static class MentoringActivityKinds
{
    /// <summary>导师带教: a mentor's session with a mentee of an active pairing; the mentee's school confirms it.</summary>
    public const string MentoringSession = "mentoring_session";

    /// <summary>对口帮扶: a backbone teacher's day at the weak school they support; that school confirms it.</summary>
    public const string SchoolSupport = "school_support";

    /// <summary>指导: a guide teacher's session with a study group assigned to them; the group's school (or county) confirms it.</summary>
    public const string Guidance = "guidance";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [MentoringSession] = "导师带教",
        [SchoolSupport] = "对口帮扶",
        [Guidance] = "研修组指导",
    };
}

/// <summary>
/// A mentoring activity was confirmed by the school it served and earns <see cref="TeacherId"/> (the mentor, the
/// supporting teacher or the guide) <see cref="Hours"/> credit hours. Sent once per activity; Credits posts exactly
/// one ledger entry for it (source <c>mentoring</c>, reference the activity id), however often it is delivered.
/// <see cref="Year"/> is the calendar year the activity was held in; registration closes as for that year's other
/// credits, judged on the day of <see cref="ConfirmedAt"/>.
/// </summary>
public sealed record MentoringActivityCredited(
    Guid ActivityId,
    Guid TeacherId,
    string Kind,
    string Title,
    decimal Hours,
    string Category,
    string Mode,
    string Level,
    int Year,
    DateOnly OccurredOn,
    string ConfirmedBy,
    DateTimeOffset ConfirmedAt);
