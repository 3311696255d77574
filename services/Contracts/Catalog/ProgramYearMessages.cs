namespace TrainingPlatform.Contracts.Catalog;

/// <summary>
/// The dated windows of a program year (年度工程), in the province's calendar (China time). Course selection runs
/// from <see cref="CourseSelectionOpens"/> to the day before <see cref="StudyStarts"/>: study start is the freeze.
/// </summary>
public sealed record ProgramYearWindows(
    DateOnly GroupListsDue,
    DateOnly TopicSelectionOpens,
    DateOnly TopicSelectionCloses,
    DateOnly CourseSelectionOpens,
    DateOnly StudyStarts,
    DateOnly RequiredStudyEnds,
    DateOnly CreditRegistrationCloses);

/// <summary>
/// A program year as of <see cref="Version"/>: sent when it is created and whenever an operator changes it. Copies
/// keep the highest version.
/// </summary>
public sealed record ProgramYearScheduled(
    Guid ProgramYearId,
    string Code,
    string Name,
    decimal MinAnnualHours,
    decimal MinElectiveHours,
    ProgramYearWindows Windows,
    int Version,
    DateTimeOffset ScheduledAt);

/// <summary>The windows that can differ by organisation (staggered or extended).</summary>
public static class SelectionWindows
{
    public const string TopicSelection = "topic_selection";
    public const string CourseSelection = "course_selection";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [TopicSelection] = "学校选专题", [CourseSelection] = "教师选课",
    };
}

/// <summary>How a window was adjusted for an organisation.</summary>
public static class WindowAdjustmentKinds
{
    /// <summary>Opened city by city or district by district, so the province does not arrive in the same minute.</summary>
    public const string Staggered = "staggered";

    /// <summary>Kept open longer for one school or district, with a reason.</summary>
    public const string Extended = "extended";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Staggered] = "分批错峰开放", [Extended] = "延长",
    };
}

/// <summary>
/// A window's dates for everything at and below <see cref="OrganisationPath"/>. The adjustment on the deepest
/// organisation above a school applies to it (the newest one when several are set on the same organisation).
/// </summary>
public sealed record SelectionWindowAdjusted(
    Guid AdjustmentId,
    Guid ProgramYearId,
    string Window,
    Guid OrganisationId,
    string OrganisationPath,
    DateOnly OpensOn,
    DateOnly ClosesOn,
    string Kind,
    string Reason,
    DateTimeOffset AdjustedAt);
