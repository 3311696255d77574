using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.OpenApi;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// Each service's OpenAPI document, told the whole truth: the bearer scheme, which operations are anonymous and which
/// roles may call the others, every error as <see cref="PlatformProblem"/> in <c>application/problem+json</c>,
/// required meaning required, codes as enums, and the gateway as the server (callers never reach a service directly).
/// </summary>
public static class PlatformOpenApi
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string BearerScheme = "Bearer";
    private const string ProblemSchema = nameof(PlatformProblem);

    /// <summary>
    /// <c>OpenApi:ServerUrl</c>: the address callers use (the gateway's). Unset, the document says "/": the host it was
    /// read from, which through the gateway's reference is the gateway.
    /// </summary>
    public const string ServerUrlKey = "OpenApi:ServerUrl";

    public static IHostApplicationBuilder AddPlatformOpenApi(this IHostApplicationBuilder builder, string title, string description)
    {
        // Numbers are numbers: the web default also reads "12" as 12, which the document then has to describe as
        // integer-or-string. A client sending a string now gets a 400 naming the field (UnreadableRequest).
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        var serverUrl = builder.Configuration[ServerUrlKey] is { Length: > 0 } configured ? configured : "/";
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(async (document, context, cancellationToken) =>
            {
                document.Info = new OpenApiInfo { Title = title, Version = "v1", Description = description };
                document.Servers = [new OpenApiServer { Url = serverUrl, Description = "平台网关" }];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "目录服务签发的访问令牌：POST /api/directory/sign-in 取得，放在 Authorization: Bearer <token> 中。",
                };
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                if (!document.Components.Schemas.ContainsKey(ProblemSchema))
                {
                    document.Components.Schemas[ProblemSchema] = await context.GetOrCreateSchemaAsync(typeof(PlatformProblem), null, cancellationToken);
                }
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                DescribeAccess(operation, context);
                DescribeErrors(operation, context);
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                DescribeRequired(schema, context);
                DescribeCodes(schema, context);
                // Hours are decimals, never floats: say so, or a generated client rounds 0.1 + 0.2.
                if ((Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type) == typeof(decimal))
                {
                    schema.Format = "decimal";
                }
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>The document, readable by anyone: it is the contract, and holds no data.</summary>
    public static IEndpointConventionBuilder MapPlatformOpenApi(this IEndpointRouteBuilder app) =>
        app.MapOpenApi(DocumentPath).AllowAnonymous();

    /// <summary>Anonymous operations say so (<c>security: []</c>); the others name the roles that may call them and answer 401 and 403.</summary>
    private static void DescribeAccess(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [];
            operation.Description = Append(operation.Description, "匿名可调用，无需登录。");
            return;
        }
        var roles = RolesAllowed(metadata);
        operation.Description = Append(operation.Description, roles.Count == 0
            ? "需要登录；任何角色均可调用（数据范围按账号所属机构限定）。"
            : "需要登录；允许的角色：" + string.Join("、", roles.Select(r => Roles.Names.TryGetValue(r, out var name) ? $"{name}（{r}）" : r)) + "。");
        AddProblem(operation, context, StatusCodes.Status401Unauthorized, "未登录或令牌无效");
        AddProblem(operation, context, StatusCodes.Status403Forbidden, "角色或数据范围不允许此操作");
    }

    /// <summary>
    /// Every operation that reads input may answer 400 (the framework refuses what it cannot read, naming the field);
    /// every error response is problem details.
    /// </summary>
    private static void DescribeErrors(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        if (context.Description.ParameterDescriptions.Count > 0 || operation.RequestBody is not null)
        {
            AddProblem(operation, context, StatusCodes.Status400BadRequest, "请求无效：errors 与 rules 逐项列出出错的字段");
        }
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (int.TryParse(status, out var code) && code >= 400 && response is OpenApiResponse concrete)
            {
                concrete.Description = ErrorDescription(code, concrete.Description);
                if (concrete.Content is { } content && content.Remove("application/json", out var media))
                {
                    content[PlatformProblemResult.ContentType] = media;
                }
            }
        }
    }

    private static void AddProblem(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description)
    {
        operation.Responses ??= new OpenApiResponses();
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses.ContainsKey(key))
        {
            return;
        }
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [PlatformProblemResult.ContentType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
            },
        };
    }

    private static string ErrorDescription(int status, string? given) => given is { Length: > 0 } && given != "Bad Request" && !given.All(c => c < 128)
        ? given
        : status switch
        {
            400 => "请求无效：errors 与 rules 逐项列出出错的字段",
            401 => "未登录或令牌无效",
            403 => "角色或数据范围不允许此操作",
            404 => "未找到",
            409 => "与现有数据冲突；rule 说明原因",
            413 => "上传文件过大",
            422 => "不符合业务规则；rule 说明原因",
            429 => "尝试过于频繁，请按 Retry-After 稍后再试",
            503 => "依赖的服务器暂时不可用，未做任何修改，可稍后重试",
            _ => given ?? "错误",
        };

    private static List<string> RolesAllowed(IList<object> metadata)
    {
        // Each policy on the endpoint must pass (a group's and the endpoint's), so the roles allowed are those in all of them.
        IEnumerable<string>? allowed = null;
        foreach (var roles in metadata.OfType<AuthorizationPolicy>().SelectMany(p => p.Requirements.OfType<RolesAuthorizationRequirement>())
                     .Select(r => r.AllowedRoles)
                     .Concat(metadata.OfType<IAuthorizeData>().Where(a => !string.IsNullOrEmpty(a.Roles)).Select(a => a.Roles!.Split(',').Select(r => r.Trim()))))
        {
            allowed = allowed is null ? roles.ToList() : allowed.Intersect(roles).ToList();
        }
        return allowed?.ToList() ?? [];
    }

    /// <summary>
    /// Required means required: a property is required when it is marked <see cref="RequiredAttribute"/> (and then
    /// null is not accepted), or when it cannot hold null at all. A nullable property the rules may still refuse is
    /// optional in the document, and its 400 says why.
    /// </summary>
    private static void DescribeRequired(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        // Also when reached through a property (context.JsonPropertyInfo set): the schema is then that property's object type.
        if (context.JsonTypeInfo.Kind != System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object || schema.Properties is null)
        {
            return;
        }
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            var marked = property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), true) == true || property.IsRequired;
            var nullable = property.IsSetNullable || Nullable.GetUnderlyingType(property.PropertyType) is not null;
            if (marked || !nullable && property.AssociatedParameter is { HasDefaultValue: false })
            {
                required.Add(property.Name);
                if (marked && schema.Properties.TryGetValue(property.Name, out var propertySchema) && propertySchema is OpenApiSchema inline
                    && inline.Type is { } type && type.HasFlag(JsonSchemaType.Null))
                {
                    inline.Type = type & ~JsonSchemaType.Null;
                }
            }
        }
        schema.Required = required;
    }

    /// <summary>A string (or list of strings) marked <see cref="CodesAttribute"/> lists its codes as an enum, and their names.</summary>
    private static void DescribeCodes(OpenApiSchema schema, OpenApiSchemaTransformerContext context)
    {
        var attributes = context.JsonPropertyInfo?.AttributeProvider
            ?? (context.ParameterDescription?.ParameterDescriptor as IParameterInfoParameterDescriptor)?.ParameterInfo;
        if (attributes?.GetCustomAttributes(typeof(CodesAttribute), true).FirstOrDefault() is not CodesAttribute codes)
        {
            return;
        }
        var target = schema.Type is { } type && type.HasFlag(JsonSchemaType.Array) && schema.Items is OpenApiSchema items ? items : schema;
        List<JsonNode?> values = [.. codes.Names.Keys.Select(code => (JsonNode)JsonValue.Create(code)!)];
        if (target.Type is { } itemType && itemType.HasFlag(JsonSchemaType.Null))
        {
            values.Add(null); // a nullable code may be null: an enum without it would refuse what the field accepts
        }
        target.Enum = values!;
        schema.Description = Append(schema.Description, "取值：" + string.Join("；", codes.Names.Select(c => $"{c.Key}＝{c.Value}")) + "。");
    }

    private static string Append(string? text, string more) => string.IsNullOrEmpty(text) ? more : $"{text}\n\n{more}";
}
