using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Directory.Organisations;

public static class OrganisationEndpoints
{
    public static IEndpointRouteBuilder MapOrganisationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/organisations").WithTags("Organisations");
        group.MapPost("/", RegisterAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("RegisterOrganisation").WithSummary("登记机构（省、设区市、县区、乡镇、学校）")
            .WithDescription("机构按 省 → 设区市 → 县区 → 乡镇 → 学校 挂在上级之下（学校可直属县区）；只有学校有学段。登记后通知其他服务。");
        group.MapGet("/{code}", GetAsync)
            .WithName("GetOrganisation").WithSummary("按代码查看机构");
        group.MapPut("/{code}", ChangeAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("ChangeOrganisation").WithSummary("修改机构名称或学校学段")
            .WithDescription("机构在树中的位置（代码、类型、上级）不变。");
        group.MapGet("/", ListAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.DistrictAdmin, Roles.SchoolAdmin))
            .WithName("ListOrganisations").WithSummary("列出辖区内的机构")
            .WithDescription("列出 under 所指机构（默认为本人所属机构；平台运营默认为全省）及其下级，按树的顺序；可按类型筛选。");
        return app;
    }

    private static async Task<Results<Created<OrganisationView>, ValidationFailed, RuleProblem, ConflictProblem>> RegisterAsync(
        RegisterOrganisation request, HttpContext http, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var validation = OrganisationRules.Validate(request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var (registered, problem) = await OrganisationStore.RegisterAsync(unitOfWork, request, clock.GetUtcNow(), cancellationToken);
        switch (problem)
        {
            case RuleProblem rule:
                return rule;
            case ConflictProblem conflict:
                return conflict;
        }
        await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.OrganisationRegistered, DirectoryAudit.Organisation, registered!.Code,
            $"登记{OrganisationKinds.Name(registered.Kind)}「{registered.Name}」（代码 {registered.Code}"
            + (request.ParentCode is null ? "" : $"，上级 {request.ParentCode}")
            + (registered.Stages.Count == 0 ? "" : $"，学段 {string.Join("、", registered.Stages.Select(DirectoryAudit.StageName))}") + "）",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/directory/organisations/{registered!.Code}", ToView(registered, request.ParentCode));
    }

    /// <summary>Renames an organisation or changes a school's stages; its place in the tree stays.</summary>
    private static async Task<Results<Ok<OrganisationView>, ValidationFailed, NotFoundProblem>> ChangeAsync(
        [Description("机构代码")] string code, ChangeOrganisation request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var current = await OrganisationStore.FindForUpdateAsync(unitOfWork, code, cancellationToken);
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
        var changes = new List<string>();
        if (changed!.Name != current.Name)
        {
            changes.Add($"名称：{current.Name} → {changed.Name}");
        }
        if (!changed.Stages.Order().SequenceEqual(current.Stages.Order()))
        {
            changes.Add($"学段：{string.Join("、", current.Stages.Select(DirectoryAudit.StageName))} → {string.Join("、", changed.Stages.Select(DirectoryAudit.StageName))}");
        }
        // Saving the same name and stages again changes nothing, and records nothing.
        if (changes.Count > 0)
        {
            await AuditTrail.RecordAsync(unitOfWork, http, DirectoryAudit.OrganisationChanged, DirectoryAudit.Organisation, current.Code,
                $"修改{OrganisationKinds.Name(current.Kind)}「{current.Name}」（代码 {current.Code}）：{string.Join("；", changes)}", cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(current with { Name = changed!.Name, Stages = [.. changed.Stages] });
    }

    /// <summary>The organisations at and below <paramref name="under"/> (default: the caller's own), within scope.</summary>
    private static async Task<Results<Ok<IEnumerable<OrganisationView>>, ValidationFailed, NotFoundProblem>> ListAsync(
        [Description("从哪个机构往下列（机构代码）；不填为本人所属机构，平台运营为全省")] string? under,
        [Codes(typeof(OrganisationKinds)), Description("只列这一类型的机构")] string? kind,
        HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        // The document lists the kinds: an unknown one is a mistake to say, not a filter that matches nothing.
        if (new Validation().RequireKnownCode(kind, OrganisationKinds.Names, "kind", "机构类型") is { IsValid: false } refused)
        {
            return refused.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var root = under is null
            ? user.IsOperator ? "" : user.OrganisationPath
            : await OrganisationStore.PathOfAsync(connection, under, cancellationToken);
        if (root is null || (root.Length > 0 && !user.CanSeeOrganisation(root)))
        {
            return Problems.NotFound($"机构代码 {under} 不存在或不在你的管理范围内");
        }
        return TypedResults.Ok(await OrganisationStore.ListUnderAsync(connection, root, kind, cancellationToken));
    }

    private static async Task<Results<Ok<OrganisationView>, NotFoundProblem>> GetAsync([Description("机构代码")] string code, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        var row = await OrganisationStore.FindAsync(db, code, cancellationToken);
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

public sealed record ChangeOrganisation(
    [property: Required, MaxLength(OrganisationRules.MaxNameLength), Description("机构名称")] string? Name,
    [property: Codes(typeof(StageNames)), Description("学校的学段（至少一个，不重复）；其他机构不填")] IReadOnlyList<string>? Stages);

public sealed record OrganisationView
{
    public Guid Id { get; init; }
    public string Code { get; init; } = "";
    public string Name { get; init; } = "";
    [Codes(typeof(OrganisationKinds))]
    public string Kind { get; init; } = "";
    public string? ParentCode { get; init; }
    [Description("机构在树中的路径：从省起各级代码，以 / 分隔")]
    public string Path { get; init; } = "";
    [Codes(typeof(StageNames))]
    public string[] Stages { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
}
