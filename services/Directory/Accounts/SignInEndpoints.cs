using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.ServiceDefaults;

namespace TrainingPlatform.Services.Directory.Accounts;

public static class SignInEndpoints
{
    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory").WithTags("Sign-in");
        group.MapPost("/sign-in", SignInAsync).AllowAnonymous()
            .WithName("SignIn").WithSummary("登录，取得访问令牌")
            .WithDescription("教师以身份证号登录。连续失败达到上限后账号暂时锁定，期间答 429 并给出 Retry-After；"
                + "账号或密码错误答 401（rule = wrong-credentials）。令牌中 mustChangePassword 为 true 时，只能用它修改密码。");
        group.MapPut("/account/password", ChangePasswordAsync).AllowPendingPasswordChange()
            .WithName("ChangePassword").WithSummary("修改本人密码")
            .WithDescription("成功后返回新的访问令牌。首次登录（初始密码或拼音约定）取得的令牌也可调用。");
        group.MapPost("/account/sign-out", SignOutAsync).AllowPendingPasswordChange()
            .WithName("SignOut").WithSummary("退出登录（结束本账号的全部会话）")
            .WithDescription("本账号此前取得的全部访问令牌随即作废：各服务在数秒内拒绝它们（401）。其他设备上的登录也一并结束。");
        group.MapGet("/account", GetMeAsync)
            .WithName("GetMyAccount").WithSummary("查看当前登录账号");

        // Other services and the gateway fetch these to validate tokens (JwtBearer's discovery), again every few minutes
        // and when a token names a key they do not know: keys rotate (KeyRotation).
        var keys = app.MapGroup("/.well-known").WithTags("Tokens").AllowAnonymous();
        // Its shape is OpenID Connect Discovery's, snake_case by that standard: left out of the API's own document,
        // whose members are camelCase throughout, as the JWKS it points to is not.
        keys.MapGet("/openid-configuration", GetDiscovery)
            .WithName("GetOpenIdConfiguration").WithSummary("令牌签发方信息（OpenID 发现文档）")
            .ExcludeFromDescription();
        keys.MapGet("/jwks.json", GetJwksAsync)
            .WithName("GetSigningKeys").WithSummary("令牌签名公钥（JWKS）");
        return app;
    }

    private static Ok<OpenIdConfiguration> GetDiscovery(HttpRequest request, IConfiguration configuration) => TypedResults.Ok(new OpenIdConfiguration(
        (configuration.GetSection(JwtSettings.SectionName).Get<JwtSettings>() ?? new JwtSettings()).Issuer,
        $"{request.Scheme}://{request.Host}/.well-known/jwks.json",
        ["RS256"]));

    private static async Task<Ok<SigningKeySet>> GetJwksAsync(SigningKeys keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.JwksAsync(cancellationToken));

    private static async Task<Results<Ok<IssuedToken>, ValidationFailed, UnauthorizedProblem, TooManyProblem>> SignInAsync(SignInRequest request,
        HttpContext http, NpgsqlDataSource db, IPasswordHasher<AccountRow> hasher, TokenIssuer issuer, IOptions<SignInOptions> options,
        IOptions<AccountsOptions> accounts, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Login), "login", "请输入账号（教师为身份证号）")
            .Require(!string.IsNullOrEmpty(request.Password), "password", "请输入密码");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = clock.GetUtcNow();
        var login = AccountRow.NormaliseLogin(request.Login);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var account = await AccountStore.FindByLoginForUpdateAsync(unitOfWork, login, cancellationToken);
        // Each attempt leaves one audit record, in the transaction that counts it (the actor is the account, or the login tried).
        var actor = DirectoryAudit.SignInActor(http, account, login);
        if (account is null)
        {
            await AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.SignInFailed, DirectoryAudit.Account, Guid.Empty.ToString(),
                "登录失败：没有这个账号", cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
            await Task.Delay(options.Value.SlowdownPerFailure, clock, cancellationToken);
            return WrongCredentials();
        }
        if (SignInPolicy.IsLocked(account.LockedUntil, now))
        {
            await AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.SignInFailed, DirectoryAudit.Account, account.Id.ToString(),
                $"登录被拒：账号锁定中（至 {account.LockedUntil:yyyy-MM-dd HH:mm:ss} UTC），未核对密码", cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
            return Locked(http, account.LockedUntil!.Value - now);
        }

        var verdict = Verify(account, request.Password!, hasher, accounts.Value);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var (failures, lockedUntil) = SignInPolicy.AfterFailure(account.FailedSignIns, now, options.Value);
            await AccountStore.RecordFailureAsync(unitOfWork, account.Id, failures, lockedUntil, cancellationToken);
            if (lockedUntil is not null)
            {
                // Someone is guessing: whatever they may already hold stops working too.
                await AccountStore.EndSessionsAsync(unitOfWork, account.Id, SessionEndReasons.LockedOut, now, cancellationToken);
            }
            await (lockedUntil is { } lockEnds
                ? AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.AccountLocked, DirectoryAudit.Account, account.Id.ToString(),
                    $"连续第 {account.FailedSignIns + 1} 次密码错误，账号锁定至 {lockEnds:yyyy-MM-dd HH:mm:ss} UTC", cancellationToken)
                : AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.SignInFailed, DirectoryAudit.Account, account.Id.ToString(),
                    $"登录失败：密码错误（连续第 {failures} 次）", cancellationToken));
            await unitOfWork.CommitAsync(cancellationToken);
            await Task.Delay(SignInPolicy.SlowdownFor(account.FailedSignIns + 1, options.Value), clock, cancellationToken);
            return lockedUntil is { } until ? Locked(http, until - now) : WrongCredentials();
        }
        if (account.Disabled)
        {
            await AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.SignInFailed, DirectoryAudit.Account, account.Id.ToString(),
                "登录被拒：账号已停用", cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
            return Problems.Unauthorized("登录失败 (sign-in failed)", "账号已停用，请联系管理员。(The account is disabled.)", "account-disabled");
        }

        var rehash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? hasher.HashPassword(account, request.Password!) : null;
        await AccountStore.RecordSuccessAsync(unitOfWork, account.Id, now, rehash, cancellationToken);
        var person = await PersonOfAsync(unitOfWork, account, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, actor, DirectoryAudit.SignedIn, DirectoryAudit.Account, account.Id.ToString(),
            account.PasswordHash.Length == 0 ? "首次登录（身份证号与姓名拼音），只能设置密码"
            : account.MustChangePassword ? "以初始密码登录，须先修改密码"
            : person.Id != account.Id ? $"登录，以所关联的教师账号 {person.Id} 的身份签发令牌"
            : "登录成功", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        // No hash: the first-sign-in convention let them in, for nothing but setting a password.
        return TypedResults.Ok(await issuer.IssueAsync(account.PasswordHash.Length == 0 ? account with { MustChangePassword = true } : person,
            cancellationToken));
    }

    private static async Task<Results<Ok<IssuedToken>, ValidationFailed, NotFoundProblem>> ChangePasswordAsync(ChangePasswordRequest request,
        HttpContext http, NpgsqlDataSource db, IPasswordHasher<AccountRow> hasher, TokenIssuer issuer, IOptions<AccountsOptions> accounts,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var account = await AccountStore.FindForUpdateAsync(unitOfWork, user.AccountId, cancellationToken);
        if (account is null)
        {
            return Problems.NotFound("账号不存在");
        }

        var validation = new Validation();
        if (string.IsNullOrEmpty(request.CurrentPassword)
            || Verify(account, request.CurrentPassword, hasher, accounts.Value) == PasswordVerificationResult.Failed)
        {
            validation.Add("currentPassword", "当前密码不正确", "wrong-password");
        }
        foreach (var problem in SignInPolicy.CheckNewPassword(request.NewPassword, account.Login, request.CurrentPassword, account.TeacherName ?? account.DisplayName,
                     account.TeacherNationalId))
        {
            validation.Add("newPassword", problem.Words, problem.Rule);
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await AccountStore.ChangePasswordAsync(unitOfWork, account.Id, hasher.HashPassword(account, request.NewPassword!), clock.GetUtcNow(),
            cancellationToken);
        // The caller's token is the account's own (perhaps a first-sign-in one); its claims may predate a role change, the row does not.
        await AuditTrail.RecordAsync(unitOfWork, DirectoryAudit.SignInActor(http, account, account.Login), DirectoryAudit.PasswordChanged,
            DirectoryAudit.Account, account.Id.ToString(), account.MustChangePassword ? "首次设置本人密码" : "修改本人密码", cancellationToken);
        // A new password ends every other session (one signed in with the old, perhaps stolen, password); the token returned starts the new one.
        var version = await AccountStore.EndSessionsAsync(unitOfWork, account.Id, SessionEndReasons.PasswordChanged, clock.GetUtcNow(), cancellationToken);
        var person = await PersonOfAsync(unitOfWork, account with { MustChangePassword = false, SessionVersion = version }, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);

        return TypedResults.Ok(await issuer.IssueAsync(person, cancellationToken));
    }

    /// <summary>Ends the caller's sessions server-side: a token copied from this browser is worthless once this answers.</summary>
    private static async Task<Results<NoContent, NotFoundProblem>> SignOutAsync(HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var version = await AccountStore.EndSessionsAsync(unitOfWork, PlatformUser.From(http.User).AccountId, SessionEndReasons.SignedOut,
            clock.GetUtcNow(), cancellationToken);
        if (version == 0)
        {
            return Problems.NotFound("账号不存在");
        }
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.SignedOut, DirectoryAudit.Account,
            PlatformUser.From(http.User).AccountId.ToString(), "退出登录：本账号此前签发的令牌全部失效", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AccountView>, NotFoundProblem>> GetMeAsync(HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var account = await AccountStore.FindAsync(db, PlatformUser.From(http.User).AccountId, cancellationToken);
        return account is null
            ? Problems.NotFound("账号不存在")
            : TypedResults.Ok(new AccountView(account.Id, account.Login, account.DisplayName, account.Role, account.OrganisationPath, account.TeacherId));
    }

    /// <summary>
    /// Who signs in. A guide teacher's own login (the demo's <c>guide-&lt;county&gt;</c>, from before roles attached
    /// to people) is an alias of the teacher they are: it signs them in as that teacher, who acts in every role they
    /// hold (Mentoring says which), so their own transcript is theirs to read. Until the alias's password is changed
    /// it signs in as itself, for nothing but that change.
    /// </summary>
    private static async Task<AccountRow> PersonOfAsync(UnitOfWork unitOfWork, AccountRow account, CancellationToken cancellationToken)
    {
        if (account is not { Role: Roles.GuideTeacher, TeacherId: { } teacherId, MustChangePassword: false })
        {
            return account;
        }
        var teacher = await AccountStore.FindTeacherAccountAsync(unitOfWork, teacherId, cancellationToken);
        return teacher is null ? account : teacher with { MustChangePassword = false };
    }

    /// <summary>
    /// A password against the account's hash or, for a teacher who has never had one, the first-sign-in convention
    /// (ID number and the name's full pinyin). An account without a hash is only ever let in by that convention.
    /// </summary>
    private static PasswordVerificationResult Verify(AccountRow account, string password, IPasswordHasher<AccountRow> hasher, AccountsOptions options) =>
        account.PasswordHash.Length > 0 ? hasher.VerifyHashedPassword(account, account.PasswordHash, password)
        : SignInPolicy.IsPinyinFirstSignIn(account, password, options) ? PasswordVerificationResult.Success
        : PasswordVerificationResult.Failed;

    private static UnauthorizedProblem WrongCredentials() => Problems.Unauthorized(
        "登录失败 (sign-in failed)", "账号或密码错误。(Wrong login or password.)", "wrong-credentials");

    private static TooManyProblem Locked(HttpContext http, TimeSpan remaining)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling(remaining.TotalMinutes));
        return Problems.TooMany(http,
            "账号已暂时锁定 (account locked)",
            $"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。(Too many failed sign-ins; try again in {minutes} min.)",
            "account-locked",
            remaining);
    }
}

public sealed record SignInRequest(
    [property: Required, Description("账号；教师为 18 位身份证号（末位 X 大小写均可）")] string? Login,
    [property: Required, Description("密码；从未设置密码的教师首次登录可用姓名全拼（若本省启用该约定）")] string? Password);

public sealed record ChangePasswordRequest(
    [property: Required, Description("当前密码（首次登录时为初始密码或姓名全拼）")] string? CurrentPassword,
    [property: Required, MinLength(SignInPolicy.MinPasswordLength),
     Description("新密码：至少 8 个字符，同时含字母和数字；不能含账号或身份证号，不能是姓名拼音或常见密码，不能与当前密码相同")]
    string? NewPassword);

public sealed record AccountView(Guid Id, string Login, string DisplayName, [property: Codes(typeof(Roles))] string Role,
    [property: Description("所属机构在树中的路径；平台运营为空")] string? OrganisationPath,
    [property: Description("教师账号（及关联到教师的账号）的教师编号")] Guid? TeacherId);

/// <summary>The OpenID discovery document: names fixed by the standard, snake_case.</summary>
public sealed record OpenIdConfiguration(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> IdTokenSigningAlgValuesSupported);
