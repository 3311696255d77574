namespace TrainingPlatform.BuildingBlocks.Security;

/// <summary>The claims the Directory service puts in every token, and every service reads.</summary>
public static class PlatformClaims
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";

    /// <summary>The organisation the account belongs to: a school, a county, a city or the province.</summary>
    public const string OrganisationId = "org";

    /// <summary>That organisation's path (codes from the province down, '/'-joined). Scope = this path and below.</summary>
    public const string OrganisationPath = "org_path";

    /// <summary>Present on a teacher's token: their teacher id, the only records they may see.</summary>
    public const string TeacherId = "teacher";

    /// <summary>
    /// "true" on a token issued by a first sign-in: it allows nothing but changing the password
    /// (ServiceDefaults refuses it everywhere else).
    /// </summary>
    public const string PasswordChangeRequired = TrainingPlatform.ServiceDefaults.PasswordChangeGate.ClaimType;

    /// <summary>
    /// The account's session version when the token was issued (absent = 0): a token below the account's current
    /// version belongs to a session that has ended, and every service refuses it (ServiceDefaults' SessionRevocation).
    /// </summary>
    public const string SessionVersion = TrainingPlatform.ServiceDefaults.SessionRevocation.ClaimType;
}
