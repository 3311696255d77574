using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>Settings under <c>Directory:SignIn</c>.</summary>
public sealed class SignInOptions
{
    public const string SectionName = "Directory:SignIn";

    /// <summary>Failed attempts in a row before the account is locked.</summary>
    public int LockAfterFailures { get; set; } = 5;

    public TimeSpan LockDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Each failure in a row slows the next answer by this much more (capped), to blunt guessing.</summary>
    public TimeSpan SlowdownPerFailure { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxSlowdown { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A token that only allows changing the initial password lives briefly.</summary>
    public TimeSpan PasswordChangeTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>Settings under <c>Directory:Accounts</c>.</summary>
public sealed class AccountsOptions
{
    public const string SectionName = "Directory:Accounts";

    /// <summary>
    /// The province convention: a teacher who has never had a password signs in the first time with their ID number
    /// and the full pinyin of their name, and gets a token that allows nothing but setting a password. A province
    /// that does not want it switches it off; its schools then hand out one-time passwords.
    /// </summary>
    public bool PinyinFirstSignIn { get; set; } = true;
}

/// <summary>The decisions of a sign-in, as pure functions: lockout, slow-down and the password rules.</summary>
public static class SignInPolicy
{
    public static bool IsLocked(DateTimeOffset? lockedUntil, DateTimeOffset now) => lockedUntil is { } until && until > now;

    /// <summary>After a failed attempt: the new failure count and, when it reaches the limit, until when the account is locked.</summary>
    public static (int Failures, DateTimeOffset? LockedUntil) AfterFailure(int failuresSoFar, DateTimeOffset now, SignInOptions options)
    {
        var failures = failuresSoFar + 1;
        return failures >= options.LockAfterFailures ? (0, now + options.LockDuration) : (failures, null);
    }

    public static TimeSpan SlowdownFor(int failures, SignInOptions options) =>
        TimeSpan.FromTicks(Math.Min(options.MaxSlowdown.Ticks, options.SlowdownPerFailure.Ticks * Math.Max(0, failures)));

    /// <summary>
    /// Whether this is a first sign-in by the province convention: a teacher account that has never had a password
    /// (no hash: neither a one-time password from the school nor one of their own), signed in with the teacher's ID
    /// number and the full pinyin of their name. Once the account has a password, the pinyin never works again.
    /// </summary>
    public static bool IsPinyinFirstSignIn(AccountRow account, string password, AccountsOptions options) =>
        options.PinyinFirstSignIn
        && account.PasswordHash.Length == 0
        && account is { Role: Roles.Teacher, TeacherId: not null, TeacherNationalId: not null }
        && account.Login == account.TeacherNationalId
        && Pinyin.Matches(account.TeacherName, password);

    /// <summary>
    /// The rules a new password must meet, each broken one with its kebab-case name and the reason in Chinese; empty
    /// when it is acceptable. What a guesser tries first is refused: the account, the ID number, the name's pinyin in
    /// any form (<see cref="Pinyin.MatchesAnyForm"/>) and the most common passwords (<see cref="CommonPasswords"/>).
    /// </summary>
    public static IReadOnlyList<PasswordProblem> CheckNewPassword(string? password, string login, string? currentPassword, string? name = null,
        string? nationalId = null)
    {
        var problems = new List<PasswordProblem>();
        password ??= "";
        if (password.Length < MinPasswordLength)
        {
            problems.Add(new("too-short", $"新密码至少 {MinPasswordLength} 个字符"));
        }
        if (!password.Any(char.IsAsciiLetter) || !password.Any(char.IsAsciiDigit))
        {
            problems.Add(new("letters-and-digits", "新密码必须同时包含字母和数字"));
        }
        if (password.Contains(login, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(new("contains-login", "新密码不能包含账号（教师账号即身份证号）"));
        }
        else if (nationalId is not null && password.Contains(nationalId, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(new("contains-national-id", "新密码不能包含身份证号"));
        }
        if (Pinyin.MatchesAnyForm(name, password))
        {
            problems.Add(new("name-pinyin", "新密码不能是姓名的拼音（全拼、首字母、大小写变化或加上数字都不行）：这是别人最先猜的密码"));
        }
        if (CommonPasswords.Contains(password))
        {
            problems.Add(new("common-password", "新密码是最常见的密码之一（如 123456、5201314、woaini1314），很容易被猜中，请换一个"));
        }
        if (currentPassword is not null && password == currentPassword)
        {
            problems.Add(new("same-as-current", "新密码不能与当前密码相同"));
        }
        return problems;
    }

    public const int MinPasswordLength = 8;
}

/// <summary>A broken password rule: its stable name and the reason in Chinese.</summary>
public sealed record PasswordProblem(string Rule, string Words);

/// <summary>
/// The list of the most common passwords shipped with the service (<c>Accounts/Passwords/common-passwords.txt</c>),
/// compared ignoring case.
/// </summary>
public static class CommonPasswords
{
    private const string ResourceName = "TrainingPlatform.Directory.CommonPasswords";

    private static readonly Lazy<HashSet<string>> List = new(Load);

    public static bool Contains(string? password) => password is not null && List.Value.Contains(password.Trim());

    public static int Count => List.Value.Count;

    private static HashSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var passwords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                passwords.Add(line.Trim());
            }
        }
        return passwords;
    }
}
