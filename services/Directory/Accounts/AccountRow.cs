namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>An account as stored, with its organisation's path (the scope its token carries).</summary>
public sealed record AccountRow
{
    public Guid Id { get; init; }
    public string Login { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string Role { get; init; } = "";
    public Guid? OrganisationId { get; init; }
    public string? OrganisationPath { get; init; }
    public Guid? TeacherId { get; init; }
    public string PasswordHash { get; init; } = "";
    public bool MustChangePassword { get; init; }
    public int FailedSignIns { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }

    /// <summary>Disabled by an administrator: cannot sign in.</summary>
    public bool Disabled { get; init; }

    public string? OrganisationCode { get; init; }

    /// <summary>Put in every token issued; tokens below the account's current version are refused everywhere.</summary>
    public int SessionVersion { get; init; }

    /// <summary>A teacher account's teacher, as registered now: the first sign-in convention needs both.</summary>
    public string? TeacherName { get; init; }

    public string? TeacherNationalId { get; init; }

    /// <summary>Logins are case-insensitive where it matters: an ID number's X may be typed lower case.</summary>
    public static string NormaliseLogin(string? login) => (login ?? "").Trim().ToUpperInvariant();
}
