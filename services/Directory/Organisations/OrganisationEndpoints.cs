using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;

namespace TrainingPlatform.Services.Directory.Organisations;

public static class OrganisationEndpoints
{
    public static IEndpointRouteBuilder MapOrganisationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/organisations").WithTags("Organisations");
        group.MapPost("/", RegisterAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/{code}", GetAsync);
        group.MapPut("/{code}", ChangeAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin));
        return app;
    }

    private const string GetSql = """
        select o.id, o.code, o.name, o.kind, p.code as parent_code, o.path, o.stages, o.created_at
        from organisations o left join organisations p on p.id = o.parent_id
        where o.code = @Code
        """;

    private static async Task<IResult> RegisterAsync(RegisterOrganisation request, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = OrganisationRules.Validate(request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (registered, problem) = await OrganisationStore.RegisterAsync(unitOfWork, request, clock.GetUtcNow(), cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/directory/organisations/{registered!.Code}", ToView(registered, request.ParentCode));
    }
    /// <summary>Renames an organisation or changes a school's stages; its place in the tree stays.</summary>
    private static async Task<IResult> ChangeAsync(string code, ChangeOrganisation request, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var current = await unitOfWork.Connection.QuerySingleOrDefaultAsync<OrganisationView>(new CommandDefinition(
            GetSql + " for update of o", new { Code = code }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (current is null)
        {
            return Problems.NotFound($"机构代码 {code} 不存在");
        }
        var validation = OrganisationRules.Validate(new RegisterOrganisation(current.Code, request.Name, current.Kind, current.ParentCode, request.Stages));
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var changed = await OrganisationStore.ChangeAsync(unitOfWork, current.Code, request.Name!, request.Stages ?? [], clock.GetUtcNow(),
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(current with { Name = changed!.Name, Stages = [.. changed.Stages] });
    }

    /// <summary>The organisations at and below <paramref name="under"/> (default: the caller's own), within scope.</summary>
    private static async Task<IResult> ListAsync(string? under, string? kind, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var root = under is null
            ? user.IsOperator ? "" : user.OrganisationPath
            : await connection.ExecuteScalarAsync<string?>(new CommandDefinition("select path from organisations where code = @Code",
                new { Code = under }, cancellationToken: cancellationToken));
        if (root is null || (root.Length > 0 && !user.CanSeeOrganisation(root)))
        {
            return Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内");
        }
        var parameters = new DynamicParameters(PlatformUser.ScopeParametersFor(root));
        parameters.Add("Kind", kind, System.Data.DbType.String);
        var rows = await connection.QueryAsync<OrganisationView>(new CommandDefinition($"""
            select o.id, o.code, o.name, o.kind, p.code as parent_code, o.path, o.stages, o.created_at
            from organisations o left join organisations p on p.id = o.parent_id
            where {PlatformUser.ScopeSql("o.path")} and (@Kind is null or o.kind = @Kind)
            order by o.path
            """, parameters, cancellationToken: cancellationToken));
        return TypedResults.Ok(rows);
    }

    private static async Task<IResult> GetAsync(string code, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<OrganisationView>(
            new CommandDefinition(GetSql, new { Code = code }, cancellationToken: cancellationToken));
        return row is null ? Problems.NotFound($"机构代码 {code} 不存在") : TypedResults.Ok(row);
    }

    private static OrganisationView ToView(OrganisationRegistered o, string? parentCode) => new()
    {
        Id = o.OrganisationId,
        Code = o.Code,
        Name = o.Name,
        Kind = o.Kind,
        ParentCode = parentCode,
        Path = o.Path,
        Stages = [.. o.Stages],
        CreatedAt = o.RegisteredAt,
    };
}

public sealed record ChangeOrganisation(string? Name, IReadOnlyList<string>? Stages);

public sealed record OrganisationView
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? ParentCode { get; init; }
    public string Path { get; init; } = "";
    public string[] Stages { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
}
