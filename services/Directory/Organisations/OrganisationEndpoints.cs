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
        return app;
    }

    private const string FindParentSql = "select id, kind, path from organisations where code = @Code";

    private const string InsertSql = """
        insert into organisations (id, code, name, kind, parent_id, path, stages, created_at)
        values (@Id, @Code, @Name, @Kind, @ParentId, @Path, @Stages, @CreatedAt)
        on conflict (code) do nothing
        """;

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
        Guid? parentId = null;
        var path = request.Code!.Trim();
        if (OrganisationRules.AllowedParents(request.Kind!) is { } allowedParents)
        {
            var parent = await unitOfWork.Connection.QuerySingleOrDefaultAsync<ParentRow>(
                new CommandDefinition(FindParentSql, new { Code = request.ParentCode!.Trim() }, unitOfWork.Transaction,
                    cancellationToken: cancellationToken));
            if (parent is null)
            {
                return Problems.RuleBroken($"上级机构代码 {request.ParentCode} 不存在", "parentCode must name an existing organisation");
            }
            if (!allowedParents.Contains(parent.Kind))
            {
                return Problems.RuleBroken(
                    $"{request.Kind} 的上级机构必须是 {string.Join(" 或 ", allowedParents)}，而 {request.ParentCode} 是 {parent.Kind}",
                    "parentCode must be of an allowed parent kind");
            }
            parentId = parent.Id;
            path = $"{parent.Path}/{path}";
        }

        var registered = new OrganisationRegistered(Guid.CreateVersion7(), request.Code!.Trim(), request.Name!.Trim(), request.Kind!,
            parentId, request.Stages ?? [], clock.GetUtcNow(), path);
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
            return Problems.Conflict($"机构代码 {registered.Code} 已存在", "code");
        }

        await unitOfWork.PublishAsync(registered, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/directory/organisations/{registered.Code}", ToView(registered, request.ParentCode));
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

internal sealed record ParentRow(Guid Id, string Kind, string Path);

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
