using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
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
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin));
        return app;
    }

    /// <summary>Which organisation kinds each staff role may belong to.</summary>
    private static readonly Dictionary<string, string[]> StaffRoles = new(StringComparer.Ordinal)
    {
        [Roles.PlatformOperator] = [OrganisationKinds.Province],
        [Roles.DistrictAdmin] = [OrganisationKinds.City, OrganisationKinds.County],
        [Roles.SchoolAdmin] = [OrganisationKinds.School],
        [Roles.ResearchOffice] = [OrganisationKinds.City, OrganisationKinds.County],
        [Roles.TrainingInstitution] = [OrganisationKinds.City, OrganisationKinds.County],
        // The study platform's machine account, which reports progress to Enrollment.
        [Roles.LearningPlatform] = [OrganisationKinds.Province],
    };

    private const string InsertSql = """
        insert into accounts (id, login, display_name, role, organisation_id, password_hash, must_change_password)
        values (@Id, @Login, @DisplayName, @Role, @OrganisationId, @PasswordHash, true)
        on conflict (login) do nothing
        """;

    private static async Task<IResult> CreateStaffAccountAsync(CreateStaffAccount request, HttpContext http, NpgsqlDataSource db,
        IPasswordHasher<AccountRow> hasher, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Login) && request.Login.Trim().Length is >= 3 and <= 64, "login", "账号必填，3–64 个字符")
            .RequireTitle(request.DisplayName, "displayName", "姓名（或账号名称）", 100)
            .Require(StaffRoles.ContainsKey(request.Role ?? ""), "role", $"角色必须是以下之一：{string.Join(", ", StaffRoles.Keys)}")
            .Require(!string.IsNullOrWhiteSpace(request.OrganisationCode), "organisationCode", "所属机构代码必填");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var organisation = await connection.QuerySingleOrDefaultAsync<OrganisationRef>(new CommandDefinition(
            "select id, kind, path from organisations where code = @Code", new { Code = request.OrganisationCode!.Trim() },
            cancellationToken: cancellationToken));
        if (organisation is null)
        {
            return Problems.RuleBroken($"机构代码 {request.OrganisationCode} 不存在", "unknown-organisation", "organisationCode");
        }
        if (!PlatformUser.From(http.User).CanSeeOrganisation(organisation.Path) || request.Role == Roles.PlatformOperator && !PlatformUser.From(http.User).IsOperator)
        {
            return Problems.Forbidden($"只能为本辖区内的机构创建账号：{request.OrganisationCode} 不在你的管理范围内。");
        }
        if (!StaffRoles[request.Role!].Contains(organisation.Kind))
        {
            return Problems.RuleBroken(
                $"{Roles.Names[request.Role!]}账号必须属于{string.Join("或", StaffRoles[request.Role!].Select(OrganisationKinds.Name))}级机构，而 {request.OrganisationCode} 是{OrganisationKinds.Name(organisation.Kind)}",
                "role-organisation-level", "role");
        }

        var account = new AccountRow { Id = Guid.CreateVersion7(), Login = AccountRow.NormaliseLogin(request.Login) };
        var initialPassword = InitialPassword(account.Login, request.DisplayName);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            account.Id,
            account.Login,
            DisplayName = request.DisplayName!.Trim(),
            request.Role,
            OrganisationId = organisation.Id,
            PasswordHash = hasher.HashPassword(account, initialPassword),
        }, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return Problems.Conflict($"账号 {account.Login} 已存在", "duplicate-login", "login");
        }

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

    private sealed record OrganisationRef(Guid Id, string Kind, string Path);
}

public sealed record CreateStaffAccount(string? Login, string? DisplayName, string? Role, string? OrganisationCode);

public sealed record CreatedStaffAccount(Guid Id, string Login, string Role, string OrganisationPath, string InitialPassword);
