using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TrainingPlatform.BuildingBlocks.Auditing;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Directory.Accounts;

/// <summary>The operator's view of the token signing keys and the command to rotate them now.</summary>
public static class SigningKeyEndpoints
{
    public static IEndpointRouteBuilder MapSigningKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/directory/operations/signing-keys").WithTags("Signing keys")
            .RequireAuthorization(p => p.RequireRole(Roles.PlatformOperator));
        group.MapGet("/", ListAsync).WithName("ListSigningKeys").WithSummary("查看令牌签名密钥")
            .WithDescription("已公布的签名密钥：下一把、当前一把和尚未到期的已退役密钥，各自的编号（kid）、状态和时间；不含任何私钥内容。");
        group.MapPost("/rotate", RotateAsync).WithName("RotateSigningKeys").WithSummary("立即轮换令牌签名密钥")
            .WithDescription("下一把密钥开始签发，并生成新的下一把；原来的当前密钥退役，继续公布到它签发的最后一个令牌过期后再移除，"
                + "所以已签发的令牌照常可用。各服务早已取得下一把公钥，轮换后新签发的令牌立即处处有效。平时按计划自动轮换，"
                + "怀疑私钥泄露时由运营立即执行。返回轮换后的密钥列表。");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<SigningKeyView>>> ListAsync(KeyRotation rotation, CancellationToken cancellationToken) =>
        TypedResults.Ok(View(await rotation.ListAsync(cancellationToken)));

    private static async Task<Ok<IReadOnlyList<SigningKeyView>>> RotateAsync(KeyRotation rotation, HttpContext http, CancellationToken cancellationToken) =>
        TypedResults.Ok(View(await rotation.RotateNowAsync(AuditActor.From(http), cancellationToken)));

    private static IReadOnlyList<SigningKeyView> View(IReadOnlyList<SigningKeyRow> rows) =>
        [.. rows.Select(r => new SigningKeyView(r.KeyId, r.State, r.CreatedAt, r.ActivatedAt, r.RetiredAt, r.ExpiresAt))];
}

public sealed record SigningKeyView(
    [property: Description("密钥编号，与令牌头部和 JWKS 中的 kid 对应")] string Kid,
    [property: Codes(typeof(SigningKeyStates)), Description("状态：next 已公布待启用，current 正在签发，retired 已退役仅供校验")] string State,
    [property: Description("生成时间")] DateTimeOffset CreatedAt,
    [property: Description("开始签发的时间；下一把尚无")] DateTimeOffset? ActivatedAt,
    [property: Description("退役时间；仅已退役的密钥有")] DateTimeOffset? RetiredAt,
    [property: Description("从公钥集（JWKS）中移除的时间，此后它签发的令牌都已过期；仅已退役的密钥有")] DateTimeOffset? ExpiresAt);
