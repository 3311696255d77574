namespace TrainingPlatform.Contracts.Directory;

/// <summary>
/// Every session of an account signed in before now has ended: its tokens carrying a session version below
/// <see cref="SessionVersion"/> are no longer accepted anywhere. Versions only grow, so a late or repeated message
/// changes nothing. <see cref="Reason"/> is one of <see cref="SessionEndReasons"/>.
/// </summary>
public sealed record AccountSessionsEnded(Guid AccountId, int SessionVersion, string Reason, DateTimeOffset EndedAt);

/// <summary>Why an account's sessions were ended.</summary>
public static class SessionEndReasons
{
    public const string PasswordChanged = "password-changed";
    public const string LockedOut = "locked-out";
    public const string AccountChanged = "account-changed";
    public const string Transferred = "transferred";
    public const string LeftPost = "left-post";
    public const string SignedOut = "signed-out";
}
