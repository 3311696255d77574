using System.Diagnostics;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Accounts;
using TrainingPlatform.Services.Directory.Teachers;

namespace TrainingPlatform.Services.Directory;

/// <summary>
/// What Directory writes into its audit trail: the action names, the kinds of target, and the Chinese summaries.
/// Summaries name people by name and id, never by national ID number, and never carry a password.
/// </summary>
public static class DirectoryAudit
{
    public const string OrganisationRegistered = "organisation-registered";
    public const string OrganisationChanged = "organisation-changed";
    public const string TeacherRegistered = "teacher-registered";
    public const string TeacherProfileUpdated = "teacher-profile-updated";
    public const string TeacherTransferred = "teacher-transferred";
    public const string InitialPasswordsIssued = "initial-passwords-issued";
    public const string StaffAccountCreated = "staff-account-created";
    public const string AccountChanged = "account-changed";
    public const string ImportStarted = "import-started";
    public const string ImportFinished = "import-finished";
    public const string SigningKeysRotated = "signing-keys-rotated";
    public const string SignedIn = "signed-in";
    public const string SignInFailed = "sign-in-failed";
    public const string AccountLocked = "account-locked";
    public const string PasswordChanged = "password-changed";
    public const string SignedOut = "signed-out";

    public const string Organisation = "organisation";
    public const string Teacher = "teacher";
    public const string School = "school";
    public const string Account = "account";
    public const string ImportJob = "import-job";
    public const string SigningKeys = "signing-keys";

    /// <summary>A login tried at sign-in is whatever was typed: kept, but not without bound.</summary>
    private const int MaxLoginLength = 100;

    /// <summary>
    /// Who a sign-in is for, from the caller's address: the account as its tokens name it (the display name, as every
    /// other record of it does; for a teacher not the ID number that is the login), or, when no account has the
    /// login, the login tried.
    /// </summary>
    public static AuditActor SignInActor(HttpContext http, AccountRow? account, string loginTried) =>
        AuditActor.From(http) with
        {
            AccountId = account?.Id ?? Guid.Empty,
            Login = account?.DisplayName ?? (loginTried.Length > MaxLoginLength ? loginTried[..MaxLoginLength] : loginTried),
            Role = account?.Role ?? "",
            OrganisationPath = account?.OrganisationPath ?? "",
        };

    /// <summary>The scheduled key rotation: nobody asked for it.</summary>
    public static AuditActor System() => new(Guid.Empty, "system", "system", "", null, Activity.Current?.TraceId.ToString());

    public static string RoleName(string role) => Roles.Names.GetValueOrDefault(role, role);

    public static string StageName(string stage) => StageNames.Names.GetValueOrDefault(stage, stage);

    private static string YesNo(bool value) => value ? "是" : "否";

    /// <summary>"字段：旧 → 新" for each field a profile change touched; empty when none.</summary>
    public static IReadOnlyList<string> ProfileChanges(TeacherRow before, TeacherRow after)
    {
        var changes = new List<string>();
        void Field(string name, string? from, string? to)
        {
            if (!string.Equals(from, to, StringComparison.Ordinal))
            {
                changes.Add($"{name}：{(string.IsNullOrEmpty(from) ? "（空）" : from)} → {(string.IsNullOrEmpty(to) ? "（空）" : to)}");
            }
        }
        Field("姓名", before.Name, after.Name);
        Field("学段", StageName(before.Stage), StageName(after.Stage));
        Field("学科", before.Subject, after.Subject);
        Field("入职日期", before.HireDate.ToString("yyyy-MM-dd"), after.HireDate.ToString("yyyy-MM-dd"));
        Field("师范毕业", YesNo(before.NormalSchoolGraduate), YesNo(after.NormalSchoolGraduate));
        Field("班主任", YesNo(before.ClassTeacher), YesNo(after.ClassTeacher));
        Field("职称", before.Title, after.Title);
        Field("发展层级", before.Tier, after.Tier);
        if (before.InPost != after.InPost)
        {
            changes.Add(after.InPost ? "在岗：恢复在岗" : "在岗：离岗");
        }
        return changes;
    }

    /// <summary>Names, up to a dozen, then how many more: enough to find a teacher, short enough to read.</summary>
    public static string Names(IReadOnlyList<string> names)
    {
        const int Shown = 12;
        return names.Count <= Shown ? string.Join("、", names) : $"{string.Join("、", names.Take(Shown))} 等 {names.Count} 人";
    }
}
