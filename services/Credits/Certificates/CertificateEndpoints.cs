using System.ComponentModel;
using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Credits.Certificates;

public sealed record CertificateRow
{
    public Guid Id { get; init; }
    public string Number { get; init; } = "";
    public Guid TeacherId { get; init; }
    public string TeacherName { get; init; } = "";
    public string SchoolPath { get; init; } = "";
    public int CycleStart { get; init; }
    public int CycleEnd { get; init; }
    public decimal TotalHours { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string? RevokedReason { get; init; }
    /// <summary>The policy the certificate was issued under (none for one issued before policies were versioned).</summary>
    public string? PolicyCode { get; init; }
    public int? PolicyVersion { get; init; }
    public string? PolicyName { get; init; }
}

/// <summary>What anyone holding a certificate's number may learn of it: whether it is valid, and whose (name masked).</summary>
public sealed record CertificateVerification(
    string Number,
    [property: Description("持证人姓名（仅显示姓氏）")] string Holder,
    [property: Description("周期，如 2026–2030")] string Cycle,
    decimal TotalHours,
    DateTimeOffset IssuedAt,
    [property: Description("证书有效（未撤销）")] bool Valid,
    [property: Description("有效 或 已撤销")] string Status,
    [property: Description("撤销原因")] string? RevokedReason,
    [property: Description("发证所依据的政策名称")] string? PolicyName);

/// <summary>Certificates: a teacher's own, a printable page, and public verification by number.</summary>
public static class CertificateEndpoints
{
    public const string HtmlContentType = "text/html; charset=utf-8";

    public static IEndpointRouteBuilder MapCertificateEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Certificates");
        group.MapGet("/me/certificates", MineAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher))
            .WithName("ListMyCertificates").WithSummary("我的合格证书")
            .WithDescription("本人获得的继续教育合格证，含已撤销的（注明原因）。");
        // Anyone holding a certificate's number may check it (an employer, a promotion panel): no sign-in.
        group.MapGet("/certificates/{number}/verify", VerifyAsync).AllowAnonymous()
            .WithName("VerifyCertificate").WithSummary("按编号查验证书真伪")
            .WithDescription("任何人凭证书编号查询证书是否有效；持证人姓名只显示姓氏。");
        group.MapGet("/certificates/{number}/print", PrintAsync)
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .WithName("PrintCertificate").WithSummary("打印证书")
            .WithDescription("A4 横版的证书页面（HTML），供持证人及其上级管理员打印。");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<CertificateRow>>> MineAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await CertificateStore.OfTeacherAsync(connection, PlatformUser.From(http.User).TeacherId, cancellationToken));
    }

    private static async Task<Results<Ok<CertificateVerification>, NotFoundProblem>> VerifyAsync(
        [Description("证书编号，如 JXJY-2026-00000042（不区分大小写）")] string number, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var certificate = await CertificateStore.ByNumberAsync(connection, number.Trim().ToUpperInvariant(), cancellationToken);
        if (certificate is null)
        {
            return Problems.NotFound($"证书编号 {number} 不存在");
        }
        return TypedResults.Ok(new CertificateVerification(
            certificate.Number,
            CertificateRules.MaskName(certificate.TeacherName),
            $"{certificate.CycleStart}–{certificate.CycleEnd}",
            certificate.TotalHours,
            certificate.IssuedAt,
            certificate.RevokedAt is null,
            certificate.RevokedAt is null ? "有效" : "已撤销",
            certificate.RevokedReason,
            certificate.PolicyName));
    }

    /// <summary>A page to print (A4 landscape), for the holder and the admins above them.</summary>
    private static async Task<Results<ContentHttpResult, NotFoundProblem>> PrintAsync([Description("证书编号")] string number, HttpContext http,
        NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var c = await CertificateStore.ByNumberAsync(connection, number, cancellationToken);
        if (c is null || !user.CanSeeTeacher(c.TeacherId, c.SchoolPath))
        {
            return Problems.NotFound($"证书编号 {number} 不存在或不在你的管理范围内");
        }
        return TypedResults.Content(Page(c), HtmlContentType);
    }

    internal static string Page(CertificateRow c)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var revoked = c.RevokedAt is null ? "" : $"<p class=\"revoked\">本证书已于 {c.RevokedAt:yyyy-MM-dd} 撤销：{E(c.RevokedReason ?? "")}</p>";
        return $$"""
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>继续教育合格证 {{E(c.Number)}}</title>
            <style>
              @page { size: A4 landscape; margin: 20mm; }
              body { font-family: "Noto Serif CJK SC", "SimSun", serif; text-align: center; }
              .frame { border: 6px double #8b0000; padding: 40px; page-break-after: always; }
              h1 { font-size: 40px; letter-spacing: 12px; color: #8b0000; }
              p { font-size: 20px; line-height: 2; }
              .number { font-family: monospace; }
              .revoked { color: #c00; font-weight: bold; }
            </style></head>
            <body><div class="frame">
              <h1>继续教育合格证</h1>
              <p><strong>{{E(c.TeacherName)}}</strong> 同志在 {{c.CycleStart}}—{{c.CycleEnd}} 年继续教育周期内，</p>
              <p>累计完成继续教育 {{c.TotalHours:0.#}} 学时，经审核各项要求均已达标，特发此证。</p>
              <p class="number">证书编号：{{E(c.Number)}}　发证日期：{{c.IssuedAt:yyyy-MM-dd}}</p>
              <p>可凭证书编号在平台查询真伪</p>
              {{revoked}}
            </div></body></html>
            """;
    }
}
