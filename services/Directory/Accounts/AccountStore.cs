using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>The SQL of accounts: sign-in, password changes, staff accounts and the first operator.</summary>
public static class AccountStore
{
    private const string SelectSql = $"""
        select a.id, a.login, a.display_name, a.role, a.organisation_id, o.path as organisation_path, a.teacher_id,
               a.password_hash, a.must_change_password, a.failed_sign_ins, a.locked_until, a.disabled, o.code as organisation_code,
               {NextSessionVersionSql} - 1 as session_version,
               t.name as teacher_name, t.national_id as teacher_national_id
        from accounts a left join organisations o on o.id = a.organisation_id left join teachers t on t.id = a.teacher_id
        """;

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

    private const string InsertStaffSql = """
        insert into accounts (id, login, display_name, role, organisation_id, password_hash, must_change_password)
        values (@Id, @Login, @DisplayName, @Role, @OrganisationId, @PasswordHash, true)
        on conflict (login) do nothing
        """;

    private const string CreateOperatorSql = """
        insert into accounts (id, login, display_name, role, password_hash, must_change_password)
        select @Id, @Login, @DisplayName, @Role, @PasswordHash, false
        where not exists (select 1 from accounts where role = @Role)
        on conflict (login) do nothing
        """;

    /// <summary>FOR UPDATE: concurrent guesses at one account are counted one after another, never lost.</summary>
    public static Task<AccountRow?> FindByLoginForUpdateAsync(UnitOfWork unitOfWork, string login, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            SelectSql + " where a.login = @Login for update of a",
            new { Login = login }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task<AccountRow?> FindForUpdateAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            SelectSql + " where a.id = @Id for update of a", new { Id = id }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static async Task<AccountRow?> FindAsync(NpgsqlDataSource db, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            SelectSql + " where a.id = @Id", new { Id = id }, cancellationToken: cancellationToken));
    }

    /// <summary>The sign-in of the teacher <paramref name="teacherId"/> themself (not a staff account tied to them).</summary>
    public static Task<AccountRow?> FindTeacherAccountAsync(UnitOfWork unitOfWork, Guid teacherId, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition(
            SelectSql + " where a.teacher_id = @TeacherId and a.role = @Teacher", new { TeacherId = teacherId, Teacher = Roles.Teacher },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task RecordFailureAsync(UnitOfWork unitOfWork, Guid id, int failures, DateTimeOffset? lockedUntil,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RecordFailureSql,
            new { Id = id, Failures = failures, LockedUntil = lockedUntil }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>Clears the failures; <paramref name="rehash"/> replaces a hash of an older format, when given.</summary>
    public static Task RecordSuccessAsync(UnitOfWork unitOfWork, Guid id, DateTimeOffset now, string? rehash, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(RecordSuccessSql,
            new { Id = id, Now = now, Rehash = rehash }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    public static Task ChangePasswordAsync(UnitOfWork unitOfWork, Guid id, string hash, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(ChangePasswordSql,
            new { Id = id, Hash = hash, Now = now }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Raises the session version of the accounts <paramref name="where"/> selects (alias <c>a</c>), writes it to this
    /// service's <c>session_versions</c> and announces it, all in the caller's transaction: the tokens issued before
    /// are refused by every service once the change commits, or by none if it does not.
    /// </summary>
    private static async Task<IReadOnlyList<(Guid AccountId, int Version)>> EndSessionsWhereAsync(UnitOfWork unitOfWork, string where,
        object parameters, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var args = new DynamicParameters(parameters);
        args.AddDynamicParams(new { Reason = reason, Now = now });
        var ended = (await unitOfWork.Connection.QueryAsync<(Guid, int)>(new CommandDefinition($"""
            with ended as (
                update accounts a set session_version = {NextSessionVersionSql} where {where}
                returning a.id, a.session_version
            ), saved as (
                {SaveEndedSql}
            )
            select id, session_version from ended
            """, args, unitOfWork.Transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var (accountId, version) in ended)
        {
            await unitOfWork.PublishAsync(new AccountSessionsEnded(accountId, version, reason, now), cancellationToken);
        }
        return ended;
    }

    /// <summary>
    /// The next session version of account <c>a</c>. The copy in <c>session_versions</c> counts too: it is what every
    /// service checks, so a token is never issued below it, whatever wrote it.
    /// </summary>
    internal const string NextSessionVersionSql =
        "greatest(a.session_version, coalesce((select v.session_version from session_versions v where v.account_id = a.id), 0)) + 1";

    /// <summary>The rows of a CTE <c>ended(id, session_version)</c> into <c>session_versions</c>; versions only grow.</summary>
    internal const string SaveEndedSql = """
        insert into session_versions (account_id, session_version, reason, changed_at)
        select id, session_version, @Reason, @Now from ended
        on conflict (account_id) do update
        set session_version = excluded.session_version, reason = excluded.reason, changed_at = excluded.changed_at,
            changed_xact = pg_current_xact_id()
        where session_versions.session_version < excluded.session_version
        """;

    /// <summary>Ends every session of the account; returns its new session version (0 when there is no such account).</summary>
    public static async Task<int> EndSessionsAsync(UnitOfWork unitOfWork, Guid accountId, string reason, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        (await EndSessionsWhereAsync(unitOfWork, "a.id = @Id", new { Id = accountId }, reason, now, cancellationToken))
            .Select(e => e.Version).FirstOrDefault();

    /// <summary>Ends the sessions of the teacher's accounts: their own sign-in only, or also staff accounts tied to them.</summary>
    public static Task EndTeacherSessionsAsync(UnitOfWork unitOfWork, Guid teacherId, bool ownSignInOnly, string reason, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        EndSessionsWhereAsync(unitOfWork, "a.teacher_id = @TeacherId and (not @OwnOnly or a.role = @Teacher)",
            new { TeacherId = teacherId, OwnOnly = ownSignInOnly, Teacher = Roles.Teacher }, reason, now, cancellationToken);

    public static async Task<OrganisationRef?> FindOrganisationAsync(UnitOfWork unitOfWork, string code, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.QuerySingleOrDefaultAsync<OrganisationRef>(new CommandDefinition(
            "select id, kind, path, code, name from organisations where code = @Code", new { Code = code }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    /// <summary>False when the login is taken.</summary>
    public static async Task<bool> InsertStaffAsync(UnitOfWork unitOfWork, Guid id, string login, string displayName, string role,
        Guid organisationId, string passwordHash, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertStaffSql, new
        {
            Id = id,
            Login = login,
            DisplayName = displayName,
            Role = role,
            OrganisationId = organisationId,
            PasswordHash = passwordHash,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken)) > 0;

    /// <summary>
    /// Staff accounts (not teachers' own) whose organisation is inside <paramref name="user"/>'s scope, optionally of
    /// one role and one organisation; the operator's scope also holds the accounts of no organisation (the first operator).
    /// </summary>
    public static Task<IEnumerable<AccountRow>> ListStaffAsync(NpgsqlConnection connection, PlatformUser user, IReadOnlyCollection<string> staffRoles,
        string? role, string? organisationCode, int limit, long offset, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.AddDynamicParams(new { StaffRoles = staffRoles.ToArray(), Role = role, OrganisationCode = organisationCode, Limit = limit, Offset = offset });
        return connection.QueryAsync<AccountRow>(new CommandDefinition($"""
            {SelectSql}
            where a.role = any(@StaffRoles) and {PlatformUser.ScopeSql("o.path")}
              and (@Role::text is null or a.role = @Role) and (@OrganisationCode::text is null or o.code = @OrganisationCode)
            order by o.path nulls first, a.login
            limit @Limit offset @Offset
            """, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A staff account's new role, organisation or disabled flag. The one place an account's authority changes: ending
    /// the account's existing sessions (tokens) when it does belongs here, in the same unit of work.
    /// </summary>
    public static Task ChangeStaffAsync(UnitOfWork unitOfWork, Guid id, string role, Guid organisationId, bool disabled,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set role = @Role, organisation_id = @OrganisationId, disabled = @Disabled where id = @Id",
            new { Id = id, Role = role, OrganisationId = organisationId, Disabled = disabled }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));

    /// <summary>The first platform operator, only while there is none; false when one exists (or the login is taken).</summary>
    public static async Task<bool> CreateFirstOperatorAsync(NpgsqlDataSource db, Guid id, string login, string displayName, string passwordHash,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(CreateOperatorSql, new
        {
            Id = id,
            Login = login,
            DisplayName = displayName,
            Role = Roles.PlatformOperator,
            PasswordHash = passwordHash,
        }, cancellationToken: cancellationToken)) == 1;
    }
}

public sealed record OrganisationRef(Guid Id, string Kind, string Path, string Code, string Name);
