using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.BuildingBlocks.Text;

namespace TrainingPlatform.BuildingBlocks.Auditing;

/// <summary>A page of the audit trail, newest first.</summary>
public sealed record AuditPage(
    [property: Required] IReadOnlyList<AuditRecord> Records,
    [property: Description("下一页的 after 参数（本页最后一条的序号）；没有更多记录时为空")] long? NextAfter);

/// <summary>The outcome of walking the whole chain.</summary>
public sealed record AuditVerification(
    [property: Description("整条链完好：序号连续、每条记录的哈希与内容一致、每条的前一哈希等于上一条的哈希")] bool Intact,
    [property: Description("检查通过的记录数")] long Checked,
    [property: Description("第一处断裂所在的序号；链完好时为空")] long? BrokenAtSeq,
    [property: Description("断裂处的问题；链完好时为空")] string? Problem,
    [property: Description("已提交但尚未链入哈希链的记录数：校验开始时已先把此前提交的记录全部链入，此数只含校验期间新提交的")] long Pending);

/// <summary>
/// The audit trail of a service, the same under every service (<c>/api/&lt;service&gt;/operations/audit</c>): the
/// operator and the auditor search it and verify its chain; nobody writes through it.
/// </summary>
public static class AuditEndpoints
{
    public const int PageSize = 100;
    private const int MaxFilterLength = 200;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app, string serviceName)
    {
        var group = app.MapGroup($"/api/{serviceName}/operations/audit").WithTags("Audit trail")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator, Roles.Auditor));
        // Every service maps these, so the operation ids carry the service's name to stay unique in the gateway's merged reference.
        var service = char.ToUpperInvariant(serviceName[0]) + serviceName[1..];
        group.MapGet("/", SearchAsync).WithName($"Search{service}AuditRecords")
            .WithSummary("查询审计记录")
            .WithDescription($"本服务（{serviceName}）的特权操作记录：谁（账号、角色、机构）在何时从何处对哪条数据做了什么。按序号从新到旧，每页最多 {PageSize} 条；下一页把 after 设为上一页的 nextAfter。");
        group.MapGet("/verify", VerifyAsync).WithName($"Verify{service}AuditTrail")
            .WithSummary("校验审计记录链")
            .WithDescription($"从第一条起逐条重算本服务（{serviceName}）审计记录的哈希链，报告第一处断裂（序号缺失、内容被改动或记录被替换）。");
        return app;
    }

    private static async Task<Results<Ok<AuditPage>, ValidationFailed>> SearchAsync(
        [Description("操作人：登录名或账号编号（教师的登录名即身份证号，答复中脱敏显示）"), MaxLength(MaxFilterLength)] string? actor,
        [Description("操作对象的编号（如政策代码、课程编号）"), MaxLength(MaxFilterLength)] string? target,
        [Description("操作（kebab-case，如 credit-policy-activated）"), MaxLength(MaxFilterLength)] string? action,
        [Description("起始时间（含）")] DateTimeOffset? from,
        [Description("截止时间（不含）")] DateTimeOffset? to,
        [Description("只列出序号小于此值的记录（上一页的 nextAfter）"), Range(1, long.MaxValue)] long? after,
        NpgsqlDataSource db, AuditSealer sealer, CancellationToken cancellationToken)
    {
        var validation = new Validation();
        foreach (var (field, value) in new[] { ("actor", actor), ("target", target), ("action", action) })
        {
            validation.Require(value is null || value.Length <= MaxFilterLength, field, $"筛选条件最长 {MaxFilterLength} 个字符", Validation.TooLong);
        }
        validation.Require(after is null or > 0, "after", "after 应为正整数（上一页的 nextAfter）", Validation.OutOfRange);
        validation.Require(from is null || to is null || from < to, "to", "截止时间应晚于起始时间", Validation.OutOfRange);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }
        await sealer.SealPendingAsync(cancellationToken);
        var records = await AuditStore.SearchAsync(db, new AuditQuery(Blank(actor), Blank(target), Blank(action),
            // PostgreSQL's timestamptz takes UTC only; a caller may well give +08:00.
            from?.ToUniversalTime(), to?.ToUniversalTime(), after, PageSize),
            cancellationToken);
        return TypedResults.Ok(new AuditPage(records.Select(Shown).ToList(), records.Count == PageSize ? records[^1].Seq : null));
    }

    /// <summary>
    /// A record as answered: a teacher's login is their ID number, and the trail is not a way round its masking, so
    /// ID-shaped logins and numbers in summaries are masked (the account id still finds the person). The stored
    /// record, which the hash covers, stays as it was; verification reads that.
    /// </summary>
    internal static AuditRecord Shown(AuditRecord record) =>
        record with { ActorLogin = PersonalData.ShownLogin(record.ActorLogin), Summary = PersonalData.MaskNationalIdsIn(record.Summary) };

    private static async Task<Ok<AuditVerification>> VerifyAsync(NpgsqlDataSource db, AuditSealer sealer, CancellationToken cancellationToken)
    {
        await sealer.SealPendingAsync(cancellationToken);
        var walker = await AuditStore.VerifyAsync(db, cancellationToken);
        var pending = await AuditPendingStore.CountAsync(db, cancellationToken);
        return TypedResults.Ok(new AuditVerification(walker.Break is null, walker.Checked, walker.Break?.Seq, walker.Break?.Problem, pending));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
