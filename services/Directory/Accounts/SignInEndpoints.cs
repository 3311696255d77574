using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.ServiceDefaults;

namespace TrainingPlatform.Services.Directory.Accounts;

public static class SignInEndpoints
{
    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory").WithTags("Sign-in");
        group.MapPost("/sign-in", SignInAsync).AllowAnonymous();
        group.MapPut("/account/password", ChangePasswordAsync).AllowPendingPasswordChange();
        group.MapGet("/account", GetMeAsync);

        // Other services and the gateway fetch these once to validate tokens (JwtBearer's discovery).
        app.MapGet("/.well-known/openid-configuration", (HttpRequest request, IConfiguration configuration) => TypedResults.Ok(new
        {
            issuer = (configuration.GetSection(JwtSettings.SectionName).Get<JwtSettings>() ?? new JwtSettings()).Issuer,
            jwks_uri = $"{request.Scheme}://{request.Host}/.well-known/jwks.json",
            id_token_signing_alg_values_supported = new[] { "RS256" },
        })).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/.well-known/jwks.json", async (SigningKeys keys, CancellationToken ct) => TypedResults.Ok(await keys.JwksAsync(ct)))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private const string RecordFailureSql = "update accounts set failed_sign_ins = @Failures, locked_until = @LockedUntil where id = @Id";

    private const string RecordSuccessSql = """
        update accounts
        set failed_sign_ins = 0, locked_until = null, last_sign_in_at = @Now, password_hash = coalesce(@Rehash, password_hash)
        where id = @Id
        """;

    private const string ChangePasswordSql = """
        update accounts
        set password_hash = @Hash, must_change_password = false, password_changed_at = @Now
        where id = @Id
        """;

    private static async Task<IResult> SignInAsync(SignInRequest request, HttpContext http, NpgsqlDataSource db, IPasswordHasher<AccountRow> hasher,
        TokenIssuer issuer, IOptions<SignInOptions> options, IOptions<AccountsOptions> accounts, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = new Validation()
            .Require(!string.IsNullOrWhiteSpace(request.Login), "login", "请输入账号（教师为身份证号）")
            .Require(!string.IsNullOrEmpty(request.Password), "password", "请输入密码");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var now = clock.GetUtcNow();
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        // FOR UPDATE: concurrent guesses at one account are counted one after another, never lost.
        var account = await unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            AccountRow.SelectSql + " where a.login = @Login for update of a",
            new { Login = AccountRow.NormaliseLogin(request.Login) }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (account is null)
        {
            await Task.Delay(options.Value.SlowdownPerFailure, clock, cancellationToken);
            return WrongCredentials();
        }
        if (SignInPolicy.IsLocked(account.LockedUntil, now))
        {
            return Locked(http, account.LockedUntil!.Value - now);
        }

        var verdict = Verify(account, request.Password!, hasher, accounts.Value);
        if (verdict == PasswordVerificationResult.Failed)
        {
            var (failures, lockedUntil) = SignInPolicy.AfterFailure(account.FailedSignIns, now, options.Value);
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RecordFailureSql,
                new { account.Id, Failures = failures, LockedUntil = lockedUntil }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await unitOfWork.CommitAsync(cancellationToken);
            await Task.Delay(SignInPolicy.SlowdownFor(account.FailedSignIns + 1, options.Value), clock, cancellationToken);
            return lockedUntil is { } until ? Locked(http, until - now) : WrongCredentials();
        }

        var rehash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? hasher.HashPassword(account, request.Password!) : null;
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RecordSuccessSql,
            new { account.Id, Now = now, Rehash = rehash }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var person = await PersonOfAsync(unitOfWork, account, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        // No hash: the first-sign-in convention let them in, for nothing but setting a password.
        return TypedResults.Ok(await issuer.IssueAsync(account.PasswordHash.Length == 0 ? account with { MustChangePassword = true } : person,
            cancellationToken));
    }

    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest request, HttpContext http, NpgsqlDataSource db,
        IPasswordHasher<AccountRow> hasher, TokenIssuer issuer, IOptions<AccountsOptions> accounts, TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var account = await unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            AccountRow.SelectSql + " where a.id = @Id for update of a", new { Id = user.AccountId }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
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

        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(ChangePasswordSql,
            new { account.Id, Hash = hasher.HashPassword(account, request.NewPassword!), Now = clock.GetUtcNow() },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        var person = await PersonOfAsync(unitOfWork, account with { MustChangePassword = false }, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);

        return TypedResults.Ok(await issuer.IssueAsync(person, cancellationToken));
    }

    private static async Task<IResult> GetMeAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var account = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            AccountRow.SelectSql + " where a.id = @Id", new { Id = user.AccountId }, cancellationToken: cancellationToken));
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
        var teacher = await unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            AccountRow.SelectSql + " where a.teacher_id = @TeacherId and a.role = @Teacher", new { TeacherId = teacherId, Teacher = Roles.Teacher },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
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

    private static IResult WrongCredentials() => TypedResults.Problem(
        title: "登录失败 (sign-in failed)", detail: "账号或密码错误。(Wrong login or password.)", statusCode: StatusCodes.Status401Unauthorized);

    private static IResult Locked(HttpContext http, TimeSpan remaining)
    {
        http.Response.Headers.RetryAfter = ((int)Math.Ceiling(remaining.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var minutes = Math.Max(1, (int)Math.Ceiling(remaining.TotalMinutes));
        return TypedResults.Problem(
            title: "账号已暂时锁定 (account locked)",
            detail: $"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。(Too many failed sign-ins; try again in {minutes} min.)",
            statusCode: StatusCodes.Status429TooManyRequests,
            extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = (int)Math.Ceiling(remaining.TotalSeconds) });
    }
}

public sealed record SignInRequest(string? Login, string? Password);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record AccountView(Guid Id, string Login, string DisplayName, string Role, string? OrganisationPath, Guid? TeacherId);
