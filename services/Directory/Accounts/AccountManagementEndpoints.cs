using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>
/// The staff accounts an operator or district admin looks after: listed within their scope, moved to another role or
/// organisation, disabled and enabled again. Scoped as creating one is (<see cref="AccountEndpoints"/>).
/// </summary>
public static class AccountManagementEndpoints
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapAccountManagementEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/accounts").WithTags("Accounts")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin));
        group.MapGet("/", ListAsync).WithName("ListStaffAccounts").WithSummary("列出辖区内的管理人员账号")
            .WithDescription($"平台运营看全省，市/县区管理员看本辖区内机构的账号；不含教师本人的账号。可按角色、所属机构筛选；"
                + $"按机构、账号排序分页，pageSize 默认 50（1–{MaxPageSize}），page 从 1 起。");
        group.MapPut("/{id:guid}", ChangeAsync).WithName("ChangeStaffAccount").WithSummary("修改管理人员账号的角色、机构或停用/启用")
            .WithDescription("不填的项不变。新的角色须与机构级别相符，新机构须在本人管理范围内；平台运营、审计员账号只有平台运营能设置。"
                + "停用的账号不能登录（数据与审计记录保留），可再启用。不能修改本人账号。");
        return app;
    }

    private static async Task<Results<Ok<IEnumerable<StaffAccountView>>, ValidationFailed, NotFoundProblem>> ListAsync(
        [Codes(typeof(StaffRoles)), Description("只列这一角色的账号")] string? role,
        [Description("只列这一机构的账号（机构代码）")] string? organisationCode,
        [Range(1, int.MaxValue), Description("页码，从 1 起")] int? page,
        [Range(1, MaxPageSize), Description("每页条数，默认 50")] int? pageSize,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireKnownCode(role, StaffRoles.Names, "role", "角色")
            .Require(page is null or >= 1, "page", "页码从 1 开始", Validation.OutOfRange)
            .Require(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"每页 1–{MaxPageSize} 条", Validation.OutOfRange);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        var size = pageSize ?? 50;
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        if (organisationCode is not null
            && (await AccountStore.FindOrganisationAsync(unitOfWork, organisationCode.Trim(), cancellationToken) is not { } organisation
                || !user.CanSeeOrganisation(organisation.Path)))
        {
            return Problems.NotFound($"机构 {organisationCode} 不存在或不在你的管理范围内");
        }
        var rows = await AccountStore.ListStaffAsync(unitOfWork.Connection, user, [.. StaffRoles.Names.Keys], role, organisationCode?.Trim(), size,
            ((page ?? 1) - 1L) * size, cancellationToken);
        return TypedResults.Ok(rows.Select(StaffAccountView.From));
    }

    private static async Task<Results<Ok<StaffAccountView>, ValidationFailed, NotFoundProblem, RuleProblem, ForbiddenProblem>> ChangeAsync(
        [Description("账号编号")] Guid id, ChangeStaffAccount request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .RequireKnownCode(request.Role, StaffRoles.Names, "role", "角色")
            .Require(request.OrganisationCode is null || !string.IsNullOrWhiteSpace(request.OrganisationCode), "organisationCode", "机构代码不能为空白；不改机构请不填");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var account = await AccountStore.FindForUpdateAsync(unitOfWork, id, cancellationToken);
        // Teachers' own accounts are not staff accounts; out of scope looks the same as missing.
        if (account is null || !StaffRoles.Names.ContainsKey(account.Role)
            || !(user.IsOperator || account.OrganisationPath is { } path && user.CanSeeOrganisation(path)))
        {
            return Problems.NotFound($"账号 {id} 不存在");
        }
        if (account.Id == user.AccountId)
        {
            return Problems.RuleBroken("不能修改本人的账号（角色、机构或停用），请由其他管理员办理", "own-account", "id");
        }

        var role = request.Role ?? account.Role;
        if ((StaffRoles.OperatorOnly.Contains(role) || StaffRoles.OperatorOnly.Contains(account.Role)) && !user.IsOperator)
        {
            return Problems.Forbidden($"{Roles.Names[StaffRoles.OperatorOnly.Contains(role) ? role : account.Role]}账号只有平台运营能设置。");
        }
        OrganisationRef? organisation;
        if (request.OrganisationCode is { } code)
        {
            organisation = await AccountStore.FindOrganisationAsync(unitOfWork, code.Trim(), cancellationToken);
            if (organisation is null)
            {
                return Problems.RuleBroken($"机构代码 {code} 不存在", "unknown-organisation", "organisationCode");
            }
            if (!user.CanSeeOrganisation(organisation.Path))
            {
                return Problems.Forbidden($"只能把账号调到本辖区内的机构：{code} 不在你的管理范围内。");
            }
        }
        else
        {
            organisation = account.OrganisationCode is { } current ? await AccountStore.FindOrganisationAsync(unitOfWork, current, cancellationToken) : null;
            if (organisation is null)
            {
                return Problems.RuleBroken("该账号尚无所属机构，请同时填写所属机构代码", "organisation-required", "organisationCode");
            }
        }
        var kinds = StaffRoles.OrganisationKindsOf(role);
        if (!kinds.Contains(organisation.Kind))
        {
            return Problems.RuleBroken(
                $"{Roles.Names[role]}账号必须属于{string.Join("或", kinds.Select(OrganisationKinds.Name))}级机构，而 {organisation.Code} 是{OrganisationKinds.Name(organisation.Kind)}",
                "role-organisation-level", request.Role is null ? "organisationCode" : "role");
        }

        var disabled = request.Disabled ?? account.Disabled;
        var changes = new List<string>();
        if (role != account.Role)
        {
            changes.Add($"角色：{Roles.Names[account.Role]} → {Roles.Names[role]}");
        }
        if (organisation.Id != account.OrganisationId)
        {
            changes.Add($"机构：{account.OrganisationCode ?? "（无）"} → {organisation.Code}（{organisation.Name}）");
        }
        if (disabled != account.Disabled)
        {
            changes.Add(disabled ? "停用账号" : "重新启用账号");
        }
        var changed = account with { Role = role, OrganisationId = organisation.Id, OrganisationCode = organisation.Code, OrganisationPath = organisation.Path, Disabled = disabled };
        // Saving what is already so changes nothing and records nothing.
        if (changes.Count > 0)
        {
            await AccountStore.ChangeStaffAsync(unitOfWork, account.Id, role, organisation.Id, disabled, cancellationToken);
            // Tokens carry the role and organisation they were issued with: a change (or disabling) ends them at once.
            await AccountStore.EndSessionsAsync(unitOfWork, account.Id, SessionEndReasons.AccountChanged, clock.GetUtcNow(), cancellationToken);
            await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.AccountChanged, DirectoryAudit.Account, account.Id.ToString(),
                $"修改账号 {account.Login}（{account.DisplayName}）：{string.Join("；", changes)}", cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }
        return TypedResults.Ok(StaffAccountView.From(changed));
    }
}

public sealed record ChangeStaffAccount(
    [property: Codes(typeof(StaffRoles)), Description("新角色；不填为不变")] string? Role,
    [property: Description("新的所属机构代码；不填为不变")] string? OrganisationCode,
    [property: Description("true 停用（不能登录），false 启用；不填为不变")] bool? Disabled);

/// <summary>A staff account as its administrators see it; never a password or its hash.</summary>
public sealed record StaffAccountView(
    Guid Id,
    string Login,
    string DisplayName,
    [property: Codes(typeof(StaffRoles))] string Role,
    [property: Description("所属机构代码；最初的平台运营账号没有")] string? OrganisationCode,
    [property: Description("所属机构在树中的路径")] string? OrganisationPath,
    [property: Description("已停用：不能登录")] bool Disabled,
    [property: Description("尚未修改初始密码")] bool MustChangePassword,
    [property: Description("最近一次因连续登录失败而锁定的截止时间；从未锁定为空")] DateTimeOffset? LockedUntil)
{
    public static StaffAccountView From(AccountRow a) =>
        new(a.Id, a.Login, a.DisplayName, a.Role, a.OrganisationCode, a.OrganisationPath, a.Disabled, a.MustChangePassword, a.LockedUntil);
}
