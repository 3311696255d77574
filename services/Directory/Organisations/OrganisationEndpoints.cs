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
