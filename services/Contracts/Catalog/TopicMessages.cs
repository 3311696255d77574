namespace TrainingPlatform.Contracts.Catalog;

/// <summary>An elective topic (专题) of a program year as of <see cref="Version"/>: its stages and its courses.</summary>
public sealed record TopicDefined(
    Guid TopicId,
    Guid ProgramYearId,
    string Code,
    string Name,
    IReadOnlyList<string> Stages,
    IReadOnlyList<Guid> CourseIds,
    int Version,
    DateTimeOffset DefinedAt);

/// <summary>
/// A school's elective topics for a program year as of <see cref="Version"/>; <see cref="Change"/> says why it was
/// sent (first chosen, changed, or frozen when study started).
/// </summary>
public sealed record SchoolTopicsChosen(
    Guid ProgramYearId,
    Guid SchoolId,
    string SchoolPath,
    IReadOnlyList<Guid> TopicIds,
    string Change,
    int Version,
    DateTimeOffset At);

public static class TopicChoiceChanges
{
    public const string Chosen = "chosen";
    public const string Changed = "changed";
    public const string Frozen = "frozen";
}
