using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Organisations;

/// <summary>The SQL of organisations: adding one under its parent and announcing it (the endpoint, the school import, the demo data), reading the tree.</summary>
public static class OrganisationStore
{
    private const string FindParentSql = "select id, kind, path from organisations where code = @Code";

    private const string InsertSql = """
        insert into organisations (id, code, name, kind, parent_id, path, stages, created_at)
        values (@Id, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @CreatedAt)
        on conflict (code) do nothing
        """;

    /// <summary>Expects a request that passed <see cref="OrganisationRules.Validate"/>; the problem is for the caller to return.</summary>
    public static async Task<(OrganisationRegistered? Registered, PlatformProblemResult? Problem)> RegisterAsync(UnitOfWork unitOfWork,
        RegisterOrganisation request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Guid? parentId = null;
        var path = request.Code!.Trim();
        if (OrganisationRules.AllowedParents(request.Kind!) is { } allowedParents)
        {
            var parent = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ParentRow>(
                new CommandDefinition(FindParentSql, new { Code = request.ParentCode!.Trim() }, unitOfWork.Transaction,
                    cancellationToken: cancellationToken));
            if (parent is null)
            {
                return (null, Problems.RuleBroken($"上级机构代码 {request.ParentCode} 不存在", "unknown-parent", "parentCode"));
            }
            if (!allowedParents.Contains(parent.Kind))
            {
                return (null, Problems.RuleBroken(
                    $"{OrganisationKinds.Name(request.Kind!)}的上级机构必须是{string.Join("或", allowedParents.Select(OrganisationKinds.Name))}，而 {request.ParentCode} 是{OrganisationKinds.Name(parent.Kind)}",
                    "parent-kind-not-allowed", "parentCode"));
            }
            parentId = parent.Id;
            path = $"{parent.Path}/{path}";
        }

        var registered = new OrganisationRegistered(Guid.CreateVersion7(), request.Code!.Trim(), request.Name!.Trim(), request.Kind!,
            parentId, request.Stages ?? [], now, path);
        var inserted = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            Id = registered.OrganisationId,
            registered.Code,
            registered.Name,
            registered.Kind,
            registered.ParentId,
            registered.Path,
            Stages = registered.Stages.ToArray(),
            CreatedAt = registered.RegisteredAt,
        }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return (null, Problems.Conflict($"机构代码 {registered.Code} 已存在", "duplicate-code", "code"));
        }

        await unitOfWork.PublishAsync(registered, cancellationToken);
        return (registered, null);
    }

    private const string ChangeSql = """
        update organisations set name = @Name, stages = @Stages where code = @Code
        returning id, kind, parent_id, path
        """;

    /// <summary>
    /// Renames an organisation or changes a school's stages, keeping its place in the tree, and announces it.
    /// Expects values that passed <see cref="OrganisationRules.Validate"/>; null when no organisation has the code.
    /// </summary>
    public static async Task<OrganisationChanged?> ChangeAsync(UnitOfWork unitOfWork, string code, string name,
        IReadOnlyList<string> stages, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ChangedRow>(new CommandDefinition(ChangeSql,
            new { Code = code, Name = name.Trim(), Stages = stages.ToArray() }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }
        var changed = new OrganisationChanged(row.Id, code, name.Trim(), row.Kind, row.ParentId, stages, row.Path, now);
        await unitOfWork.PublishAsync(changed, cancellationToken);
        return changed;
    }

    private const string SelectViewSql = """
        select o.id, o.code, o.name, o.kind, p.code as parent_code, o.path, o.stages, o.created_at
        from organisations o left join organisations p on p.id = o.parent_id
        """;

    public static async Task<OrganisationView?> FindAsync(NpgsqlDataSource db, string code, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<OrganisationView>(
            new CommandDefinition(SelectViewSql + " where o.code = @Code", new { Code = code }, cancellationToken: cancellationToken));
    }

    public static Task<OrganisationView?> FindForUpdateAsync(UnitOfWork unitOfWork, string code, CancellationToken cancellationToken) =>
        unitOfWork.Connection.QuerySingleOrDefaultAsync<OrganisationView>(new CommandDefinition(
            SelectViewSql + " where o.code = @Code for update of o", new { Code = code }, unitOfWork.Transaction, cancellationToken: cancellationToken));

    /// <summary>The path of the organisation with <paramref name="code"/>; null when there is none.</summary>
    public static Task<string?> PathOfAsync(NpgsqlConnection connection, string code, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<string?>(new CommandDefinition("select path from organisations where code = @Code",
            new { Code = code }, cancellationToken: cancellationToken));

    /// <summary>The organisations at and below <paramref name="root"/> ("" for all), optionally of one kind, in tree order.</summary>
    public static Task<IEnumerable<OrganisationView>> ListUnderAsync(NpgsqlConnection connection, string root, string? kind,
        CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("Kind", kind, System.Data.DbType.String);
        return connection.QueryAsync<OrganisationView>(new CommandDefinition($"""
            {SelectViewSql}
            where {PlatformUser.ScopeSql("o.path")} and (@Kind is null or o.kind = @Kind)
            order by o.path
            """, parameters, cancellationToken: cancellationToken));
    }

    private sealed record ParentRow(Guid Id, string Kind, string Path);

    private sealed class ChangedRow
    {
        public Guid Id { get; init; }
        public string Kind { get; init; } = "";
        public Guid? ParentId { get; init; }
        public string Path { get; init; } = "";
    }
}
