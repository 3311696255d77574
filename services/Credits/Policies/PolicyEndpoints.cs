using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Credits.Policies;

public sealed record PolicyRequest(string? Name, int? CycleYears, int? FirstCycleYear, IReadOnlyList<CreditRule>? Rules);

/// <summary>Credit policy as data: the seed presets, the operator's edits, and which one the province uses.</summary>
public static class PolicyEndpoints
{
    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/policies").WithTags("Credit policies");
        group.MapGet("/", ListAsync);
        group.MapPut("/{code}", SaveAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapPost("/{code}/activate", ActivateAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        return app;
    }

    private static async Task<IResult> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok((await PolicyStore.ListAsync(connection, cancellationToken))
            .Select(p => new { p.Policy.Code, p.Policy.Name, p.Policy.CycleYears, p.Policy.FirstCycleYear, p.Policy.Rules, p.Active, p.Version }));
    }

    public static Validation Validate(string code, PolicyRequest r)
    {
        var v = new Validation()
            .Require(code.Length is >= 2 and <= 30, "code", "政策代码 2–30 个字符")
            .Require(!string.IsNullOrWhiteSpace(r.Name) && r.Name.Length <= 200, "name", "政策名称必填，不超过 200 字")
            .Require(r.CycleYears is >= 1 and <= 10, "cycleYears", "周期年数应在 1–10 之间")
            .Require(r.FirstCycleYear is not null, "firstCycleYear", "首个周期起始年份必填")
            .RequireSupportedYear(r.FirstCycleYear, "firstCycleYear", "首个周期起始年份")
            .Require((r.Rules ?? []).Count is > 0 and <= 50, "rules", "至少一条规则，最多 50 条");
        var rules = v.Elements(r.Rules, "rules");
        v.Require(rules.Select(x => x.Item.Key).Distinct().Count() == rules.Count, "rules", "规则的 key 不能重复");
        foreach (var (rule, at) in rules)
        {
            v.Require(!string.IsNullOrWhiteSpace(rule.Key) && !string.IsNullOrWhiteSpace(rule.Label), $"{at}.label", "每条规则需要 key 和名称");
            v.Require(RulePeriods.All.Contains(rule.Period), $"{at}.period", "周期应为 cycle、year 或 first_year");
            v.Require(rule.MinHours > 0 && rule.MinHours <= 2000 && decimal.Round(rule.MinHours, 1) == rule.MinHours, $"{at}.minHours",
                "最低学时必须大于 0、不超过 2000，最多一位小数");
            v.Require(RuleSubjects.Every.Contains(rule.AppliesTo), $"{at}.appliesTo", "适用对象应为 all、class_teachers、new_normal_school 或 new_other");
            var filter = rule.Filter ?? new RuleFilter();
            v.Require(v.Elements(filter.Categories, $"{at}.filter.categories").All(c => CourseCategories.Names.ContainsKey(c.Item)),
                $"{at}.filter.categories", "有未知的学时类别");
            v.Require(v.Elements(filter.Modes, $"{at}.filter.modes").All(m => DeliveryModes.Names.ContainsKey(m.Item)), $"{at}.filter.modes",
                "有未知的培训形式");
            v.Require(v.Elements(filter.Levels, $"{at}.filter.levels").All(l => TrainingLevels.Names.ContainsKey(l.Item)), $"{at}.filter.levels",
                "有未知的培训级别");
            v.Require(v.Elements(filter.Sources, $"{at}.filter.sources").All(x => CreditSources.Names.ContainsKey(x.Item)), $"{at}.filter.sources",
                "有未知的学时来源");
        }
        return v;
    }

    private static async Task<IResult> SaveAsync(string code, PolicyRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var validation = Validate(code, request);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        var user = PlatformUser.From(http.User);
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        var policy = new CreditPolicy(code, request.Name!.Trim(), request.CycleYears!.Value, request.FirstCycleYear!.Value,
            [.. request.Rules!.Select(r => r with { Filter = r.Filter ?? new RuleFilter() })]);
        var existing = await PolicyStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken);
        policy = await PolicyStore.SaveAsync(unitOfWork.Connection, unitOfWork.Transaction, policy, $"{user.Name} ({user.AccountId})", clock.GetUtcNow(),
            cancellationToken);
        if (existing?.Active == true)
        {
            await MarkEveryoneAsync(unitOfWork, cancellationToken);
        }
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(policy);
    }

    /// <summary>
    /// The province switches policy: everyone's standing is evaluated again (in the background), and teachers not yet
    /// certified who meet the new policy are certified. Certificates already issued stay as they are.
    /// </summary>
    private static async Task<IResult> ActivateAsync(string code, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        if (await PolicyStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken) is null)
        {
            return Problems.NotFound($"政策 {code} 不存在");
        }
        await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            update credit_policies set active = false where active and code <> @Code;
            update credit_policies set active = true where code = @Code;
            """, new { Code = code }, unitOfWork.Transaction, cancellationToken: cancellationToken));
        var marked = await MarkEveryoneAsync(unitOfWork, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new { active = code, teachersToReevaluate = marked });
    }

    private static Task<int> MarkEveryoneAsync(UnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into compliance_dirty (teacher_id, marked_at) select id, now() from teachers
            on conflict (teacher_id) do update set marked_at = excluded.marked_at
            """, transaction: unitOfWork.Transaction, cancellationToken: cancellationToken));
}
