using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Mentoring.Copies;

/// <summary>
/// Mentoring's copy of the organisation tree: every message is a full snapshot and the newest wins. Distances between
/// teachers are read off these paths.
/// </summary>
public sealed class OrganisationRegisteredCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    protected override Task HandleAsync(OrganisationRegistered m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertOrganisationAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.RegisteredAt, cancellationToken);
}

public sealed class OrganisationChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<OrganisationChanged>(db)
{
    protected override Task HandleAsync(OrganisationChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertOrganisationAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.ParentId, m.Path, m.Stages, m.ChangedAt, cancellationToken);
}

/// <summary>The teacher copy: the highest version wins.</summary>
public sealed class TeacherProfileChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherProfileChanged>(db)
{
    protected override Task HandleAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        CopyStore.UpsertTeacherAsync(m, unitOfWork, cancellationToken);
}
