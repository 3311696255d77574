using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>The SQL of accounts: sign-in, password changes, staff accounts and the first operator.</summary>
public static class AccountStore
{
    private const string SelectSql = """
        select a.id, a.login, a.display_name, a.role, a.organisation_id, o.path as organisation_path, a.teacher_id,
               a.password_hash, a.must_change_password, a.failed_sign_ins, a.locked_until, a.disabled, o.code as organisation_code,
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
