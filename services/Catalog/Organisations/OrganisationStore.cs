using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Persistence;

namespace TrainingPlatform.Services.Catalog.Organisations;

/// <summary>
/// The catalog's copy of the organisation tree (kept by <see cref="Copies.OrganisationRegisteredCopy"/> and
/// <see cref="Copies.OrganisationChangedCopy"/>): every message is a full snapshot, and the newest one wins, so
/// messages that arrive late, twice or out of order leave the copy right.
/// </summary>
internal static class OrganisationStore
{
    public static Task<OrganisationRow?> FindByCodeAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<OrganisationRow>(new CommandDefinition(
            "select id, code, name, kind, path, stages from organisations where code = @Code", new { Code = code }, cancellationToken: cancellationToken));

    private const string UpsertSql = """
        insert into organisations (id, code, name, kind, parent_id, path, stages, updated_at)
        values (@Id, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @At)
        on conflict (id) do update
        set code = excluded.code, name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, path = excluded.path,
            stages = excluded.stages, updated_at = excluded.updated_at
        where organisations.updated_at <= excluded.updated_at
        """;

    public static Task UpsertAsync(UnitOfWork unitOfWork, Guid id, string code, string name, string kind, Guid? parentId, string path,
        IReadOnlyList<string> stages, DateTimeOffset at, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition(UpsertSql,
            new { Id = id, Code = code, Name = name, Kind = kind, ParentId = parentId, Path = path, Stages = stages.ToArray(), At = at },
            unitOfWork.Transaction, cancellationToken: cancellationToken));
}

/// <summary>An organisation as the catalog knows it.</summary>
public sealed record OrganisationRow
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Path { get; init; } = "";
    public string[] Stages { get; init; } = [];
}
