using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>A teacher as mentoring needs them: where they teach, what, since when, and their development tier.</summary>
public sealed record TeacherRow
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public Guid SchoolId { get; init; }
    public string SchoolPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public DateOnly HireDate { get; init; }
    public string Tier { get; init; } = "";
    public bool InPost { get; init; }
}

/// <summary>The teacher copy: the highest version wins.</summary>
public sealed class TeacherCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherProfileChanged>(db)
{
    public const string SelectSql = "select id, name, school_id, school_path, stage, subject, hire_date, tier, in_post from teachers";

    public static Task<TeacherRow?> FindAsync(NpgsqlConnection connection, Guid id, NpgsqlTransaction? transaction,
        CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<TeacherRow>(new CommandDefinition(SelectSql + " where id = @Id", new { Id = id }, transaction,
            cancellationToken: cancellationToken));

    protected override Task HandleAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, hire_date, tier, class_teacher, in_post, updated_at)
            values (@TeacherId, @Version, @Name, @SchoolId, @SchoolPath, @Stage, @Subject, @HireDate, @Tier, @ClassTeacher, @InPost, @ChangedAt)
            on conflict (id) do update
            set version = excluded.version, name = excluded.name, school_id = excluded.school_id, school_path = excluded.school_path,
                stage = excluded.stage, subject = excluded.subject, hire_date = excluded.hire_date, tier = excluded.tier,
                class_teacher = excluded.class_teacher, in_post = excluded.in_post, updated_at = excluded.updated_at
            where teachers.version < excluded.version
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
}
