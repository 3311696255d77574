using System.Security.Cryptography;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>Staff accounts: operators create them anywhere, district admins inside their own district.</summary>
public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/directory/accounts", CreateStaffAccountAsync)
            .WithTags("Accounts")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin))
            .WithName("CreateStaffAccount").WithSummary("创建管理人员账号")
            .WithDescription("为机构创建管理员、教研室、培训机构或学习平台对接账号；响应中的初始密码只出现这一次，登录后须先修改。"
                + "市/县区管理员只能为本辖区内的机构创建账号。");
        return app;
    }

    private static async Task<Results<Created<CreatedStaffAccount>, ValidationFailed, RuleProblem, ForbiddenProblem, ConflictProblem>>
        CreateStaffAccountAsync(CreateStaffAccount request, HttpContext http, NpgsqlDataSource db, IPasswordHasher<AccountRow> hasher,
            CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Login) && request.Login.Trim().Length is >= StaffRoles.MinLoginLength and <= StaffRoles.MaxLoginLength,
                "login", $"账号必填，{StaffRoles.MinLoginLength}–{StaffRoles.MaxLoginLength} 个字符")
            .RequireTitle(request.DisplayName, "displayName", "姓名（或账号名称）", StaffRoles.MaxDisplayNameLength)
            .Require(StaffRoles.Names.ContainsKey(request.Role ?? ""), "role", $"角色必须是以下之一：{string.Join(", ", StaffRoles.Names.Keys)}")
            .Require(!string.IsNullOrWhiteSpace(request.OrganisationCode), "organisationCode", "所属机构代码必填");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var organisation = await AccountStore.FindOrganisationAsync(unitOfWork, request.OrganisationCode!.Trim(), cancellationToken);
        if (organisation is null)
        {
            return Problems.RuleBroken($"机构代码 {request.OrganisationCode} 不存在", "unknown-organisation", "organisationCode");
        }
        if (!PlatformUser.From(http.User).CanSeeOrganisation(organisation.Path) || StaffRoles.OperatorOnly.Contains(request.Role!) && !PlatformUser.From(http.User).IsOperator)
        {
            return Problems.Forbidden($"只能为本辖区内的机构创建账号：{request.OrganisationCode} 不在你的管理范围内。");
        }
        var kinds = StaffRoles.OrganisationKindsOf(request.Role!);
        if (!kinds.Contains(organisation.Kind))
        {
            return Problems.RuleBroken(
                $"{Roles.Names[request.Role!]}账号必须属于{string.Join("或", kinds.Select(OrganisationKinds.Name))}级机构，而 {request.OrganisationCode} 是{OrganisationKinds.Name(organisation.Kind)}",
                "role-organisation-level", "role");
        }

        var account = new AccountRow { Id = Guid.CreateVersion7(), Login = AccountRow.NormaliseLogin(request.Login) };
        var initialPassword = InitialPassword(account.Login, request.DisplayName);
        var inserted = await AccountStore.InsertStaffAsync(unitOfWork, account.Id, account.Login, request.DisplayName!.Trim(), request.Role!,
            organisation.Id, hasher.HashPassword(account, initialPassword), cancellationToken);
        if (!inserted)
        {
            return Problems.Conflict($"账号 {account.Login} 已存在", "duplicate-login", "login");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.StaffAccountCreated, DirectoryAudit.Account, account.Id.ToString(),
            $"创建{Roles.Names[request.Role!]}账号 {account.Login}（{request.DisplayName.Trim()}，{organisation.Name} {organisation.Code}），生成一次性初始密码",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);

        // The initial password is shown once, to the admin who hands it over; it only allows setting a new one.
        return TypedResults.Created($"/api/directory/accounts/{account.Id}",
            new CreatedStaffAccount(account.Id, account.Login, request.Role!, organisation.Path, initialPassword));
    }

    /// <summary>
    /// 12 characters, letters and digits, no look-alikes (0/O, 1/l/I), meeting every rule a password the user sets
    /// must meet: a random draw that happened to spell the holder's initials is drawn again.
    /// </summary>
    public static string InitialPassword(string login, string? name, string? nationalId = null)
    {
        const string letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
        const string digits = "23456789";
        while (true)
        {
            var chars = RandomNumberGenerator.GetItems<char>(letters + digits, 10).ToList();
            chars.Add(RandomNumberGenerator.GetItems<char>(letters, 1)[0]);
            chars.Add(RandomNumberGenerator.GetItems<char>(digits, 1)[0]);
            var password = new string([.. chars]);
            if (SignInPolicy.CheckNewPassword(password, login, null, name, nationalId).Count == 0)
            {
                return password;
            }
        }
    }
}

/// <summary>The roles a staff account may have, and which levels of organisation each belongs to.</summary>
public static class StaffRoles
{
    public const int MinLoginLength = 3;
    public const int MaxLoginLength = 64;
    public const int MaxDisplayNameLength = 100;

    private static readonly Dictionary<string, string[]> Levels = new(StringComparer.Ordinal)
    {
        [Roles.PlatformOperator] = [OrganisationKinds.Province],
        [Roles.DistrictAdmin] = [OrganisationKinds.City, OrganisationKinds.County],
        [Roles.SchoolAdmin] = [OrganisationKinds.School],
        [Roles.ResearchOffice] = [OrganisationKinds.City, OrganisationKinds.County],
        [Roles.TrainingInstitution] = [OrganisationKinds.City, OrganisationKinds.County],
        // The study platform's machine account, which reports progress to Enrollment.
        [Roles.LearningPlatform] = [OrganisationKinds.Province],
        // Reads every service's audit trail across the province; writes nothing.
        [Roles.Auditor] = [OrganisationKinds.Province],
    };

    /// <summary>Roles whose accounts only the platform operator creates or changes: they reach across the province.</summary>
    public static readonly IReadOnlySet<string> OperatorOnly = new HashSet<string>(StringComparer.Ordinal) { Roles.PlatformOperator, Roles.Auditor };

    /// <summary>Each staff role with its Chinese name: the codes <see cref="CreateStaffAccount.Role"/> may take.</summary>
    public static readonly IReadOnlyDictionary<string, string> Names = Levels.Keys.ToDictionary(r => r, r => Roles.Names[r], StringComparer.Ordinal);

    public static IReadOnlyList<string> OrganisationKindsOf(string role) => Levels[role];
}

public sealed record CreateStaffAccount(
    [property: Required, Length(StaffRoles.MinLoginLength, StaffRoles.MaxLoginLength), Description("登录账号，不区分大小写")] string? Login,
    [property: Required, MaxLength(StaffRoles.MaxDisplayNameLength), Description("姓名或账号名称")] string? DisplayName,
    [property: Required, Codes(typeof(StaffRoles)),
     Description("角色。平台运营、学习平台对接账号、审计员属于省级机构（平台运营、审计员账号只有平台运营能创建）；市/县区管理员、教研室、培训机构属于设区市或县区；学校管理员属于学校")]
    string? Role,
    [property: Required, Description("所属机构代码")] string? OrganisationCode);

/// <summary>A created staff account, with its one-time initial password (shown only in this answer).</summary>
public sealed record CreatedStaffAccount(Guid Id, string Login, [property: Codes(typeof(StaffRoles))] string Role, string OrganisationPath,
    [property: Description("初始密码，只在此返回一次；登录后必须修改")] string InitialPassword);
