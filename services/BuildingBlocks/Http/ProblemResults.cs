using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// The shape of every error the platform answers with (RFC 9457 problem details, <c>application/problem+json</c>).
/// Never constructed: it is the schema the OpenAPI documents give for each error status, so a client knows which
/// members to read.
/// </summary>
[Description("错误说明（problem details）。按 rule 判断原因；detail 是给用户看的中文说明。")]
public sealed record PlatformProblem(
    [property: Description("问题类型的 URI")] string? Type,
    [property: Description("简短标题")] string Title,
    [property: Description("HTTP 状态码")] int Status,
    [property: Description("给用户看的中文说明")] string? Detail,
    [property: Description("出错的请求，如 POST /api/catalog/courses")] string? Instance,
    [property: Description("链路追踪编号，报告问题时请提供")] string? TraceId,
    [property: Description("被违反的规则，kebab-case，如 duplicate-code、out-of-range；客户端据此分支")] string? Rule,
    [property: Description("出错的字段（JSON 路径），仅在只有一个字段出错时给出")] string? Field,
    [property: Description("字段（JSON 路径）→ 中文说明（400 与部分 422）")] IReadOnlyDictionary<string, string[]>? Errors,
    [property: Description("字段（JSON 路径）→ 规则名（kebab-case），与 errors 对应")] IReadOnlyDictionary<string, string[]>? Rules);

/// <summary>
/// A problem with a fixed status, typed so that an endpoint returning <c>Results&lt;Ok&lt;T&gt;, NotFoundProblem&gt;</c>
/// tells its OpenAPI document every status it answers with, each described as <see cref="PlatformProblem"/>.
/// </summary>
public abstract class PlatformProblemResult(ProblemHttpResult inner) : IResult, IStatusCodeHttpResult, IValueHttpResult,
    IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
{
    public const string ContentType = "application/problem+json";

    public ProblemDetails ProblemDetails => inner.ProblemDetails;

    public int? StatusCode => inner.StatusCode;

    object? IValueHttpResult.Value => inner.ProblemDetails;

    ProblemDetails? IValueHttpResult<ProblemDetails>.Value => inner.ProblemDetails;

    string? IContentTypeHttpResult.ContentType => ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => inner.ExecuteAsync(httpContext);

    protected static void Describe(EndpointBuilder builder, int status) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(PlatformProblem), [ContentType]));

    internal static ProblemHttpResult Make(int status, string title, string detail, IDictionary<string, object?>? extensions) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
}

/// <summary>400: a field is missing or malformed; <c>errors</c> and <c>rules</c> name each field.</summary>
public sealed class ValidationFailed(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status400BadRequest);
}

/// <summary>401: who is calling could not be established (a wrong password at sign-in, a token no longer valid).</summary>
public sealed class UnauthorizedProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status401Unauthorized);
}

/// <summary>403: the role may do this, but not to something outside the caller's scope.</summary>
public sealed class ForbiddenProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status403Forbidden);
}

/// <summary>404: what the path names does not exist, or not where the caller may see it.</summary>
public sealed class NotFoundProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status404NotFound);
}

/// <summary>409: well-formed, but conflicts with the current state (a duplicate, a frozen year …).</summary>
public sealed class ConflictProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status409Conflict);
}

/// <summary>422: understood, but a domain rule refuses it.</summary>
public sealed class RuleProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status422UnprocessableEntity);
}

/// <summary>413: the upload is larger than the endpoint accepts.</summary>
public sealed class TooLargeProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status413PayloadTooLarge);
}

/// <summary>429: too many attempts; try again later.</summary>
public sealed class TooManyProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status429TooManyRequests);
}

/// <summary>503: a server the platform depends on is down; nothing was changed, try again later.</summary>
public sealed class UnavailableProblem(ProblemHttpResult inner) : PlatformProblemResult(inner), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(builder, StatusCodes.Status503ServiceUnavailable);
}
