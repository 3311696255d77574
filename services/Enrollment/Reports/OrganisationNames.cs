using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Enrollment.Reports;

/// <summary>An organisation as reports name it.</summary>
public sealed record OrganisationName
{
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
}

/// <summary>
/// Enrollment's copy of the organisation tree, for reports only: which path a code stands for, and the names to print.
/// Both messages are full snapshots; the newest one wins, so late or repeated messages leave the copy right.
/// </summary>
public static class OrganisationNames
{
    public static Task<OrganisationName?> FindAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<OrganisationName>(new CommandDefinition(
            "select code, name, kind, path from organisations where code = @Code order by updated_at desc",
            new { Code = code }, cancellationToken: cancellationToken));

    public static Task<OrganisationName?> AtAsync(NpgsqlConnection connection, string path, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<OrganisationName>(new CommandDefinition(
            "select code, name, kind, path from organisations where path = @Path order by updated_at desc",
            new { Path = path }, cancellationToken: cancellationToken));

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

public sealed class OrganisationRegisteredNames(NpgsqlDataSource db) : IdempotentConsumer<OrganisationRegistered>(db)
{
    protected override Task HandleAsync(OrganisationRegistered m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationNames.SaveAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.Path, m.RegisteredAt, cancellationToken);
}

public sealed class OrganisationChangedNames(NpgsqlDataSource db) : IdempotentConsumer<OrganisationChanged>(db)
{
    protected override Task HandleAsync(OrganisationChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        OrganisationNames.SaveAsync(unitOfWork, m.OrganisationId, m.Code, m.Name, m.Kind, m.Path, m.ChangedAt, cancellationToken);
}
