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
using TrainingPlatform.BuildingBlocks.Spreadsheets;

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
    [property: Description("已归档（移出本表）的记录截至的序号；校验从其后一条开始，且该条的前一哈希须等于最后一次归档的最后哈希。未归档过时为空")] long? ArchivedThroughSeq,
    [property: Description("归档次数（每次一个文件，见 archives）")] int Archives,
    [property: Description("已提交但尚未链入哈希链的记录数：校验开始时已先把此前提交的记录全部链入，此数只含校验期间新提交的")] long Pending);


/// <summary>The archives of a service's trail, oldest first.</summary>
public sealed record AuditArchiveList(
    [property: Description("审计记录保留期（天）：更早的记录由每日任务归档到文件，不少于 180 天")] int RetentionDays,
    [property: Required] IReadOnlyList<AuditArchive> Archives);

/// <summary>
/// The audit trail of a service, the same under every service (<c>/api/&lt;service&gt;/operations/audit</c>): the
/// operator and the auditor search it and verify its chain; nobody writes through it.
/// </summary>
public static class AuditEndpoints
{
    public const int PageSize = 100;
    public const int MaxExported = 100_000;
    public const string ExportedAction = "audit-trail-exported";
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
        group.MapGet("/export", ExportAsync).WithName($"Export{service}AuditRecords")
            .Produces<Stream>(StatusCodes.Status200OK, XlsxSheet.ContentType)
            .WithSummary("导出审计记录（Excel）")
            .WithDescription($"与查询审计记录相同的筛选，按序号从新到旧导出为 Excel，最多 {MaxExported:N0} 条；超过时请缩小时间范围。导出本身也记入审计记录（{ExportedAction}）。");
        group.MapGet("/archives", ArchivesAsync).WithName($"List{service}AuditArchives")
            .WithSummary("审计记录归档")
            .WithDescription($"本服务（{serviceName}）超过保留期、已从表中移到归档文件的审计记录：每次归档的序号范围、最后一条的哈希、文件名与文件的 SHA-256。");
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
        if (Validate(actor, target, action, from, to, after) is { } invalid)
        {
            return invalid;
        }
        await sealer.SealPendingAsync(cancellationToken);
        var records = await AuditStore.SearchAsync(db, Query(actor, target, action, from, to, after, PageSize), cancellationToken);
        return TypedResults.Ok(new AuditPage(records.Select(Shown).ToList(), records.Count == PageSize ? records[^1].Seq : null));
    }

    private static async Task<Results<FileContentHttpResult, ValidationFailed, RuleProblem>> ExportAsync(
        [Description("操作人：登录名或账号编号"), MaxLength(MaxFilterLength)] string? actor,
        [Description("操作对象的编号（如政策代码、课程编号）"), MaxLength(MaxFilterLength)] string? target,
        [Description("操作（kebab-case，如 credit-policy-activated）"), MaxLength(MaxFilterLength)] string? action,
        [Description("起始时间（含）")] DateTimeOffset? from,
        [Description("截止时间（不含）")] DateTimeOffset? to,
        HttpContext http, NpgsqlDataSource db, AuditSealer sealer, CancellationToken cancellationToken)
    {
        if (Validate(actor, target, action, from, to, null) is { } invalid)
        {
            return invalid;
        }
        await sealer.SealPendingAsync(cancellationToken);
        var query = Query(actor, target, action, from, to, null, MaxExported + 1);
        var records = (await AuditStore.SearchAsync(db, query, cancellationToken)).Select(Shown).ToList();
        if (records.Count > MaxExported)
        {
            return Problems.RuleBroken($"符合条件的审计记录超过 {MaxExported:N0} 条，请缩小时间范围或增加筛选条件后分批导出", "export-too-large");
        }
        var service = http.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "audit";
        var filters = string.Join("，", new[] { ("操作人", actor), ("对象", target), ("操作", action), ("起", from?.ToString("O")), ("止", to?.ToString("O")) }
            .Where(f => !string.IsNullOrWhiteSpace(f.Item2)).Select(f => $"{f.Item1} {f.Item2!.Trim()}"));
        // Who took a copy of the trail is itself part of the trail.
        await AuditTrail.RecordAloneAsync(db, http, ExportedAction, "audit-trail", service,
            $"导出审计记录 {records.Count} 条{(filters.Length == 0 ? "（全部）" : $"（{filters}）")}", cancellationToken);
        var sheet = XlsxSheet.Write("审计记录",
            ["序号", "时间（UTC）", "操作人", "账号编号", "角色", "机构", "操作", "对象类型", "对象", "摘要", "来源地址", "追踪号", "前一哈希", "哈希"],
            records.Select(r => (IReadOnlyList<object?>)[r.Seq, r.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
                r.ActorLogin, r.ActorAccountId, r.ActorRole, r.ActorOrganisationPath, r.Action, r.TargetKind, r.TargetId,
                r.Summary, r.ClientAddress, r.TraceId, r.PrevHash, r.Hash]));
        return TypedResults.File(sheet, XlsxSheet.ContentType, $"audit-{service}-{DateTime.UtcNow:yyyyMMddHHmmss}.xlsx");
    }

    private static async Task<Ok<AuditVerification>> VerifyAsync(NpgsqlDataSource db, AuditSealer sealer, CancellationToken cancellationToken)
    {
        await sealer.SealPendingAsync(cancellationToken);
        var walker = await AuditStore.VerifyAsync(db, cancellationToken);
        var archives = await AuditStore.ArchivesAsync(db, cancellationToken);
        var pending = await AuditPendingStore.CountAsync(db, cancellationToken);
        return TypedResults.Ok(new AuditVerification(walker.Break is null, walker.Checked, walker.Break?.Seq, walker.Break?.Problem,
            archives.Count == 0 ? null : archives[^1].ToSeq, archives.Count, pending));
    }

    private static async Task<Ok<AuditArchiveList>> ArchivesAsync(AuditArchiver archiver, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        TypedResults.Ok(new AuditArchiveList((int)archiver.Retention.TotalDays, await AuditStore.ArchivesAsync(db, cancellationToken)));

    private static ValidationFailed? Validate(string? actor, string? target, string? action, DateTimeOffset? from, DateTimeOffset? to, long? after)
    {
        var validation = new Validation();
        foreach (var (field, value) in new[] { ("actor", actor), ("target", target), ("action", action) })
        {
            validation.Require(value is null || value.Length <= MaxFilterLength, field, $"筛选条件最长 {MaxFilterLength} 个字符", Validation.TooLong);
        }
        validation.Require(after is null or > 0, "after", "after 应为正整数（上一页的 nextAfter）", Validation.OutOfRange);
        validation.Require(from is null || to is null || from < to, "to", "截止时间应晚于起始时间", Validation.OutOfRange);
        return validation.IsValid ? null : validation.ToProblem();
    }

    // PostgreSQL's timestamptz takes UTC only; a caller may well give +08:00.
    private static AuditQuery Query(string? actor, string? target, string? action, DateTimeOffset? from, DateTimeOffset? to, long? after, int limit) =>
        new(Blank(actor), Blank(target), Blank(action), from?.ToUniversalTime(), to?.ToUniversalTime(), after, limit);

    /// <summary>
    /// A record as answered: a teacher's login is their ID number, and the trail is not a way round its masking, so
    /// ID-shaped logins and numbers in summaries are masked (the account id still finds the person). The stored
    /// record, which the hash covers, stays as it was; verification reads that.
    /// </summary>
    internal static AuditRecord Shown(AuditRecord record) =>
        record with { ActorLogin = PersonalData.ShownLogin(record.ActorLogin), Summary = PersonalData.MaskNationalIdsIn(record.Summary) };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
