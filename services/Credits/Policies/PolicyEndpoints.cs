using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.Services.Credits.Policies;

public sealed record PolicyRequest(
    [property: Required, MaxLength(PolicyEndpoints.MaxNameLength), Description("政策名称")] string? Name,
    [property: Required, Range(1, PolicyEndpoints.MaxCycleYears), Description("一个周期的年数")] int? CycleYears,
    [property: Required, Range(CreditCycles.EarliestYear, CreditCycles.LatestYear), Description("第一个周期的起始年份，此后周期依次相接")] int? FirstCycleYear,
    [property: Required, Length(1, PolicyEndpoints.MaxRules), Description("规则；教师须全部满足才算达标")] IReadOnlyList<CreditRule>? Rules);

/// <summary>A policy as the list shows it: which one is active, and its current version.</summary>
public sealed record PolicyView(string Code, string Name, int CycleYears, int FirstCycleYear, IReadOnlyList<CreditRule> Rules,
    [property: Description("是否为全省当前使用的政策")] bool Active, [property: Description("版本号，每次修改加一；证书记录发证时的版本")] int Version);

/// <summary>The policy now in force, and how many teachers' standing will be evaluated again under it.</summary>
public sealed record PolicyActivated([property: Description("当前使用的政策代码")] string Active,
    [property: Description("将在后台重新评估达标情况的教师人数")] int TeachersToReevaluate);

/// <summary>Credit policy as data: the seed presets, the operator's edits, and which one the province uses.</summary>
public static class PolicyEndpoints
{
    public const int MinCodeLength = 2;
    public const int MaxCodeLength = 30;
    public const int MaxNameLength = 200;
    public const int MaxCycleYears = 10;
    public const int MaxRules = 50;

    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits/policies").WithTags("Credit policies");
        group.MapGet("/", ListAsync)
            .WithName("ListCreditPolicies").WithSummary("学时政策列表")
            .WithDescription("预置政策与运营人员修改后的政策，注明哪一个正在使用。");
        group.MapPut("/{code}", SaveAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("SaveCreditPolicy").WithSummary("新建或修改学时政策")
            .WithDescription("按代码保存；每次保存为新版本，已发证书仍按发证时的版本判断。修改正在使用的政策会在后台重新评估所有教师。");
        group.MapPost("/{code}/activate", ActivateAsync).RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator))
            .WithName("ActivateCreditPolicy").WithSummary("启用学时政策")
            .WithDescription("全省改用此政策：所有教师在后台重新评估，新满足要求且尚无证书的教师获发证书；已发证书不变。");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<PolicyView>>> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<PolicyView>>([.. (await PolicyStore.ListAsync(connection, cancellationToken))
            .Select(p => new PolicyView(p.Policy.Code, p.Policy.Name, p.Policy.CycleYears, p.Policy.FirstCycleYear, p.Policy.Rules, p.Active, p.Version))]);
    }

    public static Validation Validate(string code, PolicyRequest r)
    {
        var v = new Validation()
            .Require(code.Length is >= MinCodeLength and <= MaxCodeLength, "code", $"政策代码 {MinCodeLength}–{MaxCodeLength} 个字符")
            .Require(!string.IsNullOrWhiteSpace(r.Name) && r.Name.Length <= MaxNameLength, "name", $"政策名称必填，不超过 {MaxNameLength} 字")
            .Require(r.CycleYears is >= 1 and <= MaxCycleYears, "cycleYears", $"周期年数应在 1–{MaxCycleYears} 之间")
            .Require(r.FirstCycleYear is not null, "firstCycleYear", "首个周期起始年份必填")
            .RequireSupportedYear(r.FirstCycleYear, "firstCycleYear", "首个周期起始年份")
            .Require((r.Rules ?? []).Count is > 0 and <= MaxRules, "rules", $"至少一条规则，最多 {MaxRules} 条");
        var rules = v.Elements(r.Rules, "rules");
        v.Require(rules.Select(x => x.Item.Key).Distinct().Count() == rules.Count, "rules", "规则的 key 不能重复");
        foreach (var (rule, at) in rules)
        {
            v.Require(!string.IsNullOrWhiteSpace(rule.Key) && !string.IsNullOrWhiteSpace(rule.Label), $"{at}.label", "每条规则需要 key 和名称");
            v.Require(rule.Period is not null && RulePeriods.Names.ContainsKey(rule.Period), $"{at}.period", "周期应为 cycle、year 或 first_year");
            v.Require(rule.MinHours > 0 && rule.MinHours <= CreditRule.MaxMinHours && decimal.Round(rule.MinHours, 1) == rule.MinHours, $"{at}.minHours",
                $"最低学时必须大于 0、不超过 {CreditRule.MaxMinHours}，最多一位小数");
            v.Require(rule.AppliesTo is not null && RuleSubjects.Names.ContainsKey(rule.AppliesTo), $"{at}.appliesTo",
                "适用对象应为 all、class_teachers、new_normal_school 或 new_other");
            var filter = rule.Counting();
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

    private static async Task<Results<Ok<CreditPolicy>, ValidationFailed>> SaveAsync(
        [StringLength(MaxCodeLength, MinimumLength = MinCodeLength), Description("政策代码")] string code, PolicyRequest request, HttpContext http, NpgsqlDataSource db, TimeProvider clock,
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
            [.. request.Rules!]);
        var existing = await PolicyStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken);
        policy = await PolicyStore.SaveAsync(unitOfWork.Connection, unitOfWork.Transaction, policy, $"{user.Name} ({user.AccountId})", clock.GetUtcNow(),
            cancellationToken);
        if (existing?.Active == true)
        {
            await PolicyStore.MarkEveryoneAsync(unitOfWork, cancellationToken);
        }
        await AuditTrail.RecordAsync(unitOfWork, http, existing is null ? "credit-policy-created" : "credit-policy-changed", "credit-policy", code,
            existing is null
                ? $"新建学分政策 {code}（{policy.Name}），周期 {policy.CycleYears} 年，自 {policy.FirstCycleYear} 年起，规则 {policy.Rules.Count} 条"
                : $"修改学分政策 {code}（{policy.Name}），改为第 {policy.Version} 版：周期 {policy.CycleYears} 年，自 {policy.FirstCycleYear} 年起，规则 {policy.Rules.Count} 条{(existing.Active ? "；该政策正在执行，全体教师将重新评估" : "")}",
            cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(policy);
    }

    /// <summary>
    /// The province switches policy: everyone's standing is evaluated again (in the background), and teachers not yet
    /// certified who meet the new policy are certified. Certificates already issued stay as they are.
    /// </summary>
    private static async Task<Results<Ok<PolicyActivated>, NotFoundProblem>> ActivateAsync([Description("政策代码")] string code, HttpContext http, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var unitOfWork = await UnitOfWork.BeginAsync(db, cancellationToken);
        if (await PolicyStore.FindAsync(unitOfWork.Connection, code, unitOfWork.Transaction, cancellationToken) is null)
        {
            return Problems.NotFound($"政策 {code} 不存在");
        }
        await PolicyStore.ActivateAsync(unitOfWork, code, cancellationToken);
        var marked = await PolicyStore.MarkEveryoneAsync(unitOfWork, cancellationToken);
        await AuditTrail.RecordAsync(unitOfWork, http, "credit-policy-activated", "credit-policy", code,
            $"启用学分政策 {code}，{marked} 名教师将按新政策重新评估", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return TypedResults.Ok(new PolicyActivated(code, marked));
    }
}
