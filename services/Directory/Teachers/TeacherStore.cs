using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;
using TrainingPlatform.Services.Directory.Accounts;

namespace TrainingPlatform.Services.Directory.Teachers;

/// <summary>The SQL of teachers, shared by the single-teacher endpoints and the bulk import.</summary>
public sealed class TeacherStore(IPasswordHasher<AccountRow> hasher, TimeProvider clock)
{
    public const string SelectSql = """
        select t.id, t.national_id, t.name, t.birth_date, t.sex, t.school_id, s.code as school_code, s.name as school_name,
               s.path as school_path, t.stage, t.subject, t.hire_date, t.normal_school_graduate, t.class_teacher, t.title,
               t.tier, t.in_post, t.version, t.updated_at
        from teachers t join organisations s on s.id = t.school_id
        """;

    private const string InsertTeacherSql = """
        insert into teachers (id, national_id, name, birth_date, sex, school_id, stage, subject, hire_date,
                              normal_school_graduate, class_teacher, title, tier, in_post, created_at, updated_at)
        values (@Id, @NationalId, @Name, @BirthDate, @Sex, @SchoolId, @Stage, @Subject, @HireDate,
                @NormalSchoolGraduate, @ClassTeacher, @Title, @Tier, @InPost, @Now, @Now)
        on conflict (national_id) do nothing
        """;

    private const string InsertAccountSql = """
        insert into accounts (id, login, display_name, role, organisation_id, teacher_id, password_hash, must_change_password)
        values (@Id, @Login, @DisplayName, @Role, @OrganisationId, @TeacherId, @PasswordHash, true)
        on conflict (login) do nothing
        """;

    /// <summary>The teachers inside the caller's scope, optionally of one school, in a stable order.</summary>
    public static Task<IEnumerable<TeacherRow>> ListInScopeAsync(NpgsqlConnection connection, PlatformUser user, string? schoolCode,
        int limit, long offset, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(user.ScopeParameters);
        parameters.AddDynamicParams(new { SchoolCode = schoolCode, Limit = limit, Offset = offset });
        return connection.QueryAsync<TeacherRow>(new CommandDefinition($"""
            {SelectSql}
            where {PlatformUser.ScopeSql("s.path")} and (@SchoolCode is null or s.code = @SchoolCode)
            order by s.path, t.name, t.id
            limit @Limit offset @Offset
            """, parameters, cancellationToken: cancellationToken));
    }

    public static Task<SchoolRow?> FindSchoolAsync(UnitOfWork unitOfWork, string code, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<SchoolRow>(new CommandDefinition(
            "select id, code, name, kind, path, stages from organisations where code = @Code", new { Code = code.Trim() },
            unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The path of the school with <paramref name="code"/>; null when no school has it.</summary>
    public static Task<string?> SchoolPathAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "select path from organisations where code = @Code and kind = 'school'", new { Code = code.Trim() }, cancellationToken: cancellationToken));

    public static Task<TeacherRow?> FindAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        FindWhereAsync(unitOfWork, "t.id = @Id", new { Id = id }, cancellationToken);

    /// <summary>The teacher, locked until the unit of work ends: a profile change or transfer is decided on what is read here.</summary>
    public static Task<TeacherRow?> FindForUpdateAsync(UnitOfWork unitOfWork, Guid id, CancellationToken cancellationToken) =>
        FindWhereAsync(unitOfWork, "t.id = @Id for update of t", new { Id = id }, cancellationToken);

    public static Task<TeacherRow?> FindByNationalIdAsync(UnitOfWork unitOfWork, string nationalId, CancellationToken cancellationToken) =>
        FindWhereAsync(unitOfWork, "t.national_id = @NationalId", new { NationalId = nationalId }, cancellationToken);

    private static Task<TeacherRow?> FindWhereAsync(UnitOfWork unitOfWork, string where, object parameters, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<TeacherRow>(new CommandDefinition(
            $"{SelectSql} where {where}", parameters, unitOfWork.Transaction, cancellationToken: cancellationToken));

    private const string TransferSql = """
        update teachers set school_id = @ToSchoolId, version = version + 1, updated_at = @Now where id = @Id;
        insert into teacher_transfers (teacher_id, from_school_id, to_school_id, transferred_at, transferred_by)
        values (@Id, @FromSchoolId, @ToSchoolId, @Now, @By);
        """;

    /// <summary>Moves the teacher to <paramref name="school"/>, records the transfer and announces it; returns the teacher as moved.</summary>
    public static async Task<TeacherRow> TransferAsync(UnitOfWork unitOfWork, TeacherRow teacher, SchoolRow school, DateTimeOffset now, Guid by,
        CancellationToken cancellationToken)
    {
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(TransferSql, new
        {
            teacher.Id, FromSchoolId = teacher.SchoolId, ToSchoolId = school.Id, Now = now, By = by,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var moved = await FindAsync(unitOfWork, teacher.Id, cancellationToken);
        // Only the teacher's own sign-in moves with them: a staff account tied to the teacher (a county's guide) stays with its bureau.
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set organisation_id = @SchoolId where teacher_id = @Id and role = 'teacher'", new { SchoolId = school.Id, teacher.Id },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
        // Their tokens still name the old school, and would keep its scope for hours: they sign in again, at the new one.
        await AccountStore.EndTeacherSessionsAsync(unitOfWork, teacher.Id, ownSignInOnly: true, SessionEndReasons.Transferred, now, cancellationToken);
        await unitOfWork.PublishAsync(moved!.ToEvent(TeacherChanges.Transferred), cancellationToken);
        return moved;
    }

    private const string WithoutPasswordSql = """
        select a.id, t.national_id, t.name
        from accounts a join teachers t on t.id = a.teacher_id join organisations s on s.id = t.school_id
        where s.code = @SchoolCode and a.password_hash = ''
        order by t.name, t.national_id
        limit @Limit
        for update of a skip locked
        """;

    /// <summary>
    /// Up to <paramref name="limit"/> accounts of the school's teachers who have never had a password (imported ones),
    /// locked for this unit of work; a concurrent request takes others.
    /// </summary>
    public static async Task<IReadOnlyList<(Guid AccountId, string NationalId, string Name)>> WithoutPasswordAsync(UnitOfWork unitOfWork,
        string schoolCode, int limit, CancellationToken cancellationToken) =>
        (await unitOfWork.Connection.QueryAsync<(Guid, string, string)>(new CommandDefinition(
            WithoutPasswordSql, new { SchoolCode = schoolCode, Limit = limit }, unitOfWork.Transaction,
            cancellationToken: cancellationToken))).ToList();

    /// <summary>Sets one-time passwords: each allows nothing but setting the teacher's own.</summary>
    public static Task SetInitialPasswordsAsync(UnitOfWork unitOfWork, IEnumerable<(Guid AccountId, string Hash)> passwords,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(
            "update accounts set password_hash = @Hash, must_change_password = true where id = @Id",
            passwords.Select(p => new { Id = p.AccountId, p.Hash }), unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// Inserts the teacher and their sign-in account (login = ID number, a one-time initial password returned once)
    /// and announces the profile. Returns null when the ID number is already registered.
    /// </summary>
    public async Task<RegisteredTeacher?> RegisterAsync(UnitOfWork unitOfWork, TeacherInput input, NationalId nationalId, SchoolRow school,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var teacher = new TeacherRow
        {
            Id = Guid.CreateVersion7(),
            NationalId = nationalId.Value,
            Name = TextRules.NormalisePersonName(input.Name!),
            BirthDate = nationalId.BirthDate,
            Sex = nationalId.Sex == Teachers.Sex.Male ? "male" : "female",
            SchoolId = school.Id,
            SchoolCode = school.Code,
            SchoolName = school.Name,
            SchoolPath = school.Path,
            Stage = input.Stage!,
            Subject = input.Subject!,
            HireDate = input.HireDate!.Value,
            NormalSchoolGraduate = input.NormalSchoolGraduate!.Value,
            ClassTeacher = input.ClassTeacher!.Value,
            Title = string.IsNullOrWhiteSpace(input.Title) ? null : input.Title.Trim(),
            Tier = input.Tier ?? Tiers.NewTeacher,
            InPost = input.InPost ?? true,
            Version = 1,
            UpdatedAt = now,
        };
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertTeacherSql, new
        {
            teacher.Id, teacher.NationalId, teacher.Name, teacher.BirthDate, teacher.Sex, teacher.SchoolId, teacher.Stage,
            teacher.Subject, teacher.HireDate, teacher.NormalSchoolGraduate, teacher.ClassTeacher, teacher.Title, teacher.Tier,
            teacher.InPost, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return null;
        }

        var initialPassword = AccountEndpoints.InitialPassword(teacher.NationalId, teacher.Name, teacher.NationalId);
        var account = new AccountRow { Id = Guid.CreateVersion7(), Login = teacher.NationalId };
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertAccountSql, new
        {
            account.Id,
            account.Login,
            DisplayName = teacher.Name,
            Role = Roles.Teacher,
            OrganisationId = school.Id,
            TeacherId = teacher.Id,
            PasswordHash = hasher.HashPassword(account, initialPassword),
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));

        await unitOfWork.PublishAsync(teacher.ToEvent(TeacherChanges.Registered), cancellationToken);
        return new RegisteredTeacher(teacher, initialPassword);
    }

    private const string UpdateProfileSql = """
        update teachers
        set name = @Name, stage = @Stage, subject = @Subject, hire_date = @HireDate, normal_school_graduate = @NormalSchoolGraduate,
            class_teacher = @ClassTeacher, title = @Title, tier = @Tier, in_post = @InPost, version = version + 1, updated_at = @Now
        where id = @Id
        """;

    /// <summary>
    /// Applies a changed profile (same teacher, same school) and announces it. Returns false, writing nothing, when
    /// the input says nothing new: re-importing the same file changes nothing.
    /// </summary>
    public async Task<bool> UpdateProfileAsync(UnitOfWork unitOfWork, TeacherRow existing, TeacherInput input, CancellationToken cancellationToken)
    {
        var title = string.IsNullOrWhiteSpace(input.Title) ? null : input.Title.Trim();
        var tier = input.Tier ?? existing.Tier;
        var inPost = input.InPost ?? existing.InPost;
        if (existing.Name == TextRules.NormalisePersonName(input.Name!) && existing.Stage == input.Stage && existing.Subject == input.Subject
            && existing.HireDate == input.HireDate && existing.NormalSchoolGraduate == input.NormalSchoolGraduate
            && existing.ClassTeacher == input.ClassTeacher && existing.Title == title && existing.Tier == tier && existing.InPost == inPost)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(UpdateProfileSql, new
        {
            existing.Id, Name = TextRules.NormalisePersonName(input.Name!), input.Stage, input.Subject, input.HireDate, input.NormalSchoolGraduate,
            input.ClassTeacher, Title = title, Tier = tier, InPost = inPost, Now = now,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (existing.InPost && !inPost)
        {
            // A teacher who has left is signed out everywhere, under every account tied to them.
            await AccountStore.EndTeacherSessionsAsync(unitOfWork, existing.Id, ownSignInOnly: false, SessionEndReasons.LeftPost, now, cancellationToken);
        }
        var updated = await FindAsync(unitOfWork, existing.Id, cancellationToken);
        await unitOfWork.PublishAsync(updated!.ToEvent(TeacherChanges.Updated), cancellationToken);
        return true;
    }
}

public sealed record RegisteredTeacher(TeacherRow Teacher, string InitialPassword);

public sealed class SchoolRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
    public string[] Stages { get; init; } = [];
}

public sealed class TeacherRow
{
    public Guid Id { get; init; }
    public string NationalId { get; init; } = "";
    public string Name { get; init; } = "";
    public DateOnly BirthDate { get; init; }
    public string Sex { get; init; } = "";
    public Guid SchoolId { get; init; }
    public string SchoolCode { get; init; } = "";
    public string SchoolName { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public DateOnly HireDate { get; init; }
    public bool NormalSchoolGraduate { get; init; }
    public bool ClassTeacher { get; init; }
    public string? Title { get; init; }
    public string Tier { get; init; } = "";
    public bool InPost { get; init; }
    public int Version { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public TeacherProfileChanged ToEvent(string change) => new(Id, Version, NationalId, Name, BirthDate, Sex, SchoolId, SchoolPath,
        Stage, Subject, HireDate, NormalSchoolGraduate, ClassTeacher, Title, Tier, InPost, change, UpdatedAt);
}
