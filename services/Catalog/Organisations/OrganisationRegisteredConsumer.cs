using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Catalog.Organisations;

/// <summary>Keeps the catalog's copy of the organisation tree.</summary>
public sealed class OrganisationRegisteredConsumer(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    private const string UpsertSql = """
        insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
        values (@OrganisationId, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @RegisteredAt)
        on conflict (id) do update
        set code = excluded.code, name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, path = excluded.path,
            stages = excluded.stages, updated_at = excluded.updated_at
        where organisations.updated_at <= excluded.updated_at
        """;

    protected override Task HandleAsync(OrganisationRegistered message, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(UpsertSql, new
        {
            message.OrganisationId,
            message.Code,
            message.Name,
            message.Kind,
            message.ParentId,
            message.Path,
            Stages = message.Stages.ToArray(),
            message.RegisteredAt,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
}
