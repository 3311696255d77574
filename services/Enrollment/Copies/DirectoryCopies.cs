using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Enrollment.Required;

namespace TrainingPlatform.Services.Enrollment.Copies;

/// <summary>A teacher as Enrollment's copy holds them.</summary>
public sealed record TeacherRow
{
    /// <summary>Reads the copy; callers add their own <c>where</c>.</summary>
    public const string SelectSql = "select id, version, name, school_id, school_path, stage, subject, class_teacher, in_post from teachers";

    public Guid Id { get; init; }
    public int Version { get; init; }
    public string Name { get; init; } = "";
    public Guid SchoolId { get; init; }
    public string SchoolPath { get; init; } = "";
    public string Stage { get; init; } = "";
    public string Subject { get; init; } = "";
    public bool ClassTeacher { get; init; }
    public bool InPost { get; init; }
}

/// <summary>
/// The teacher copy. A newer profile also brings the teacher's required courses up to date at once (a new teacher
/// gets them, a stage or subject change swaps the ones not yet started, a teacher leaving post has the unstarted ones
/// withdrawn); a transfer to another school changes nothing of them.
/// </summary>
public sealed class TeacherProfileChangedCopy(NpgsqlDataSource db, TimeProvider clock) : IdempotentConsumer<TeacherProfileChanged>(db)
{
    protected override async Task HandleAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var stored = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, class_teacher, in_post, updated_at)
            values (@TeacherId, @Version, @Name, @SchoolId, @SchoolPath, @Stage, @Subject, @ClassTeacher, @InPost, @ChangedAt)
            on conflict (id) do update
            set version = excluded.version, name = excluded.name, school_id = excluded.school_id, school_path = excluded.school_path,
                stage = excluded.stage, subject = excluded.subject, class_teacher = excluded.class_teacher, in_post = excluded.in_post,
                updated_at = excluded.updated_at
            where teachers.version < excluded.version
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (stored > 0)
        {
            var teacher = await unitOfWork.Connection.QuerySingleAsync<TeacherRow>(new CommandDefinition(TeacherRow.SelectSql + " where id = @TeacherId",
                new { m.TeacherId }, unitOfWork.Transaction, cancellationToken: cancellationToken));
            await RequiredPush.SyncAsync(unitOfWork, [teacher], null, clock.GetUtcNow(), cancellationToken);
        }
    }
}

/// <summary>
/// Enrollment's copy of the organisation tree, for reports only: which path a code stands for, and the names to print.
/// Both messages are full snapshots; the newest one wins, so late or repeated messages leave the copy right.
/// </summary>
public sealed class OrganisationRegisteredCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    protected override Task HandleAsync(OrganisationRegistered m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationCopy.SaveAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.Path, m.RegisteredAt, cancellationToken);
}

/// <inheritdoc cref="OrganisationRegisteredCopy"/>
public sealed class OrganisationChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationChanged>(db)
{
    protected override Task HandleAsync(OrganisationChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationCopy.SaveAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.Path, m.ChangedAt, cancellationToken);
}

/// <summary>The one upsert both organisation messages share.</summary>
internal static class OrganisationCopy
{
    internal static Task SaveAsync(UnitOfWork unitOfWork, Guid id, string code, string name, string kind, string path, DateTimeOffset at,
        CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into organisations (id, code, name, kind, path, updated_at) values (@Id, @Code, @Name, @Kind, @Path, @At)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, kind = excluded.kind, path = excluded.path, updated_at = excluded.updated_at
            where organisations.updated_at <= excluded.updated_at
            """, new { Id = id, Code = code, Name = name, Kind = kind, Path = path, At = at }, unitOfWork.Transaction,
            cancellationToken: cancellationToken));
}
