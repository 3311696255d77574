using System.Net;
using Dapper;
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

/// <summary>Certificates: a teacher's own, a printable page, and public verification by number.</summary>
public static class CertificateEndpoints
{
    private const string SelectSql = """
        select c.id, c.number, c.teacher_id, c.teacher_name, c.school_path, c.cycle_start, c.cycle_end, c.total_hours, c.issued_at, c.revoked_at,
               c.revoked_reason, c.policy_code, c.policy_version, v.name as policy_name
        from certificates c left join credit_policy_versions v on v.code = c.policy_code and v.version = c.policy_version
        """;

    public static IEndpointRouteBuilder MapCertificateEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/credits").WithTags("Certificates");
        group.MapGet("/me/certificates", MineAsync).RequireAuthorization(p => p.RequireRole(Roles.Teacher));
        // Anyone holding a certificate's number may check it (an employer, a promotion panel): no sign-in.
        group.MapGet("/certificates/{number}/verify", VerifyAsync).AllowAnonymous();
        group.MapGet("/certificates/{number}/print", PrintAsync);
        return app;
    }

    private static async Task<IResult> MineAsync(HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return TypedResults.Ok(await connection.QueryAsync<CertificateRow>(new CommandDefinition(SelectSql + " where teacher_id = @Id order by issued_at desc",
            new { Id = PlatformUser.From(http.User).TeacherId }, cancellationToken: cancellationToken)));
    }

    private static async Task<IResult> VerifyAsync(string number, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var certificate = await connection.QuerySingleOrDefaultAsync<CertificateRow>(new CommandDefinition(SelectSql + " where number = @Number",
            new { Number = number.Trim().ToUpperInvariant() }, cancellationToken: cancellationToken));
        if (certificate is null)
        {
            return Problems.NotFound($"证书编号 {number} 不存在");
        }
        return TypedResults.Ok(new
        {
            certificate.Number,
            holder = CertificateBook.MaskName(certificate.TeacherName),
            cycle = $"{certificate.CycleStart}–{certificate.CycleEnd}",
            certificate.TotalHours,
            certificate.IssuedAt,
            valid = certificate.RevokedAt is null,
            status = certificate.RevokedAt is null ? "有效" : "已撤销",
            certificate.RevokedReason,
            certificate.PolicyName,
        });
    }

    /// <summary>A page to print (A4 landscape), for the holder and the admins above them.</summary>
    private static async Task<IResult> PrintAsync(string number, HttpContext http, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var user = PlatformUser.From(http.User);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var c = await connection.QuerySingleOrDefaultAsync<CertificateRow>(new CommandDefinition(SelectSql + " where number = @Number",
            new { Number = number }, cancellationToken: cancellationToken));
        if (c is null || !user.CanSeeTeacher(c.TeacherId, c.SchoolPath))
        {
            return Problems.NotFound($"证书编号 {number} 不存在或不在你的管理范围内");
        }
        return TypedResults.Content(Page(c), "text/html; charset=utf-8");
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
