namespace TrainingPlatform.Contracts.Directory;

/// <summary>
/// An organisation (province, city, county, township or school) was added to the tree.
/// <see cref="Stages"/> lists a school's stages (kindergarten, primary, junior, senior); empty above schools.
/// <see cref="Path"/> is the codes from the province down to this one, joined by '/': scopes are path prefixes.
/// </summary>
public sealed record OrganisationRegistered(
    Guid OrganisationId,
    string Code,
    string Name,
    string Kind,
    Guid? ParentId,
    IReadOnlyList<string> Stages,
    DateTimeOffset RegisteredAt,
    string Path);

/// <summary>
/// An organisation's name or (for a school) stages changed. A full snapshot as of <see cref="ChangedAt"/>: copies keep
/// the newest, so a late or repeated copy changes nothing. (Moving an organisation to another parent is not offered.)
/// </summary>
public sealed record OrganisationChanged(
    Guid OrganisationId,
    string Code,
    string Name,
    string Kind,
    Guid? ParentId,
    IReadOnlyList<string> Stages,
    string Path,
    DateTimeOffset ChangedAt);
