using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Catalog.Organisations;

namespace TrainingPlatform.Services.Catalog.Copies;

/// <summary>Keeps the catalog's copy of a newly registered organisation (<see cref="OrganisationStore"/>).</summary>
public sealed class OrganisationRegisteredCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    protected override Task HandleAsync(OrganisationRegistered m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationStore.UpsertAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.RegisteredAt, cancellationToken);
}

/// <summary>Keeps the catalog's copy of an organisation up to date when it is renamed, moved or its stages change.</summary>
public sealed class OrganisationChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationChanged>(db)
{
    protected override Task HandleAsync(OrganisationChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationStore.UpsertAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.ChangedAt, cancellationToken);
}
