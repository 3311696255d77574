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
