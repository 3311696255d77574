using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>An organisation as mentoring knows it.</summary>
public sealed record OrganisationRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
}

/// <summary>
/// Mentoring's copy of the organisation tree: every message is a full snapshot and the newest wins, so messages that
/// arrive late, twice or out of order leave the copy right. Distances between teachers are read off these paths.
/// </summary>
public static class OrganisationCopy
{
    public static Task<OrganisationRow?> FindByCodeAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<OrganisationRow>(new CommandDefinition(
            "select id, code, name, kind, path from organisations where code = @Code", new { Code = code }, cancellationToken: cancellationToken));

    public static Task UpsertAsync(UnitOfWork unitOfWork, Guid id, string code, string name, string kind, Guid? parentId, string path,
        IReadOnlyList<string> stages, DateTimeOffset at, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
            values (@Id, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @At)
            on conflict (id) do update
            set code = excluded.code, name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, path = excluded.path,
                stages = excluded.stages, updated_at = excluded.updated_at
            where organisations.updated_at <= excluded.updated_at
            """, new { Id = id, Code = code, Name = name, Kind = kind, ParentId = parentId, Path = path, Stages = stages.ToArray(), At = at },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

public sealed class OrganisationRegisteredCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    protected override Task HandleAsync(OrganisationRegistered m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationCopy.UpsertAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.RegisteredAt, cancellationToken);
}

public sealed class OrganisationChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationChanged>(db)
{
    protected override Task HandleAsync(OrganisationChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationCopy.UpsertAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.ChangedAt, cancellationToken);
}
