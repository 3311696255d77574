using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace TrainingPlatform.Gateway;

/// <summary>Settings under <c>Gateway:ApiReference</c>.</summary>
public sealed class ApiReferenceSettings
{
    public const string SectionName = "Gateway:ApiReference";

    /// <summary>
    /// The address callers use to reach the gateway (e.g. <c>https://api.example.edu.cn</c>), named as the document's
    /// server. Unset, the document names the address the caller used (scheme, host and path base of the request).
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>A complete merged document is reused this long before the services are asked again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A document missing a service is reused only this long, so a service that comes back shows up soon.</summary>
    public TimeSpan IncompleteCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one replica may take to hand over its document before the next replica is asked.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// One API reference for the whole platform: <c>GET /openapi/platform.json</c> merges the five services' OpenAPI
/// documents into one whose server is the gateway, and <c>GET /api-reference</c> renders it (Scalar) so a learning
/// platform's developer can read the API, paste a token and try it. Both are anonymous: the document is the contract
/// and holds no data; every call tried from the page goes through the gateway to the services, which decide.
/// </summary>
public static class ApiReference
{
    public const string DocumentPath = "/openapi/platform.json";
    public const string PagePath = "/api-reference";

    /// <summary>Where each service publishes its own document (BuildingBlocks' PlatformOpenApi.DocumentPath).</summary>
    public const string ServiceDocumentPath = "/openapi/v1.json";

    internal const string HttpClientName = "api-reference";

    public static TBuilder AddApiReference<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ApiReferenceSettings>().BindConfiguration(ApiReferenceSettings.SectionName);
        builder.Services.AddHttpClient(HttpClientName);
        builder.Services.AddSingleton<PlatformDocumentSource>();
        return builder;
    }

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapGet(DocumentPath, WriteDocumentAsync)
            .WithDisplayName("Gateway: merged OpenAPI document")
            .ExcludeFromDescription()
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.PerUserPolicy);

        app.MapScalarApiReference(PagePath, ConfigurePage)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimiting.PerUserPolicy);
        return app;
    }

    private static async Task WriteDocumentAsync(HttpContext context, PlatformDocumentSource source, IOptionsMonitor<ApiReferenceSettings> settings)
    {
        var document = await source.GetAsync(context.RequestAborted);
        var server = settings.CurrentValue.PublicUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

        context.Response.ContentType = "application/json; charset=utf-8";
        // The services' documents change with a deployment, and a partial one should not linger in a browser.
        context.Response.Headers.CacheControl = "no-cache";
        // Chinese stays readable in the raw document (it is JSON served as JSON, never inlined into a page).
        await using var writer = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        PlatformDocumentMerger.WriteWithServer(writer, document, server);
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// The page loads nothing from anywhere but the gateway: Scalar's script is the copy bundled in the package and
    /// served under <see cref="PagePath"/>, its default fonts (from its vendor's CDN), telemetry, AI agent and MCP
    /// links are off, and no request proxy is set, so "try it" calls go from the browser straight to the gateway.
    /// A Content-Security-Policy says the same to the browser, so that whatever the bundled script might try later is
    /// refused there too.
    /// </summary>
    private static void ConfigurePage(ScalarOptions options, HttpContext context)
    {
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
        options.Nonce = nonce;
        options.Title = "中小学教师继续教育平台 · API 参考";
        options.AddDocument("platform", $"{PlatformDocumentMerger.Platform} API", DocumentPath);
        options.DefaultFonts = false;
        options.Telemetry = false;
        options.Agent = new ScalarAgentOptions { Disabled = true };
        options.Mcp = new ScalarMcpOptions { Disabled = true };
        options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
        options.ProxyUrl = null;
        options.HideClientButton = true;
        options.Localization = new ScalarLocalizationOptions { Locale = "zh-CN" };
        options.AddPreferredSecuritySchemes(PlatformDocumentMerger.BearerScheme);
        options.AddHttpAuthentication(PlatformDocumentMerger.BearerScheme, _ => { });

        var publicUrl = context.RequestServices.GetRequiredService<IOptionsMonitor<ApiReferenceSettings>>().CurrentValue.PublicUrl;
        var connect = publicUrl is { Length: > 0 } && Uri.TryCreate(publicUrl, UriKind.Absolute, out var gateway)
            ? $"'self' {gateway.GetLeftPart(UriPartial.Authority)}"
            : "'self'";
        context.Response.Headers.ContentSecurityPolicy =
            $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
            + $"img-src 'self' data: blob:; font-src 'self' data:; connect-src {connect}; worker-src 'self' blob:; "
            + "frame-src 'none'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";
    }
}

/// <summary>A service's own document as fetched, or why it could not be.</summary>
public sealed record ServiceDocument(string Service, JsonObject? Document, string? Problem);

/// <summary>
/// Fetches every service's document (each replica in turn until one answers) and merges them; a merge is shared by
/// concurrent callers and reused for <see cref="ApiReferenceSettings.CacheDuration"/>.
/// </summary>
public sealed partial class PlatformDocumentSource(
    IHttpClientFactory clients, IConfiguration configuration, IOptionsMonitor<ApiReferenceSettings> settings, TimeProvider time,
    ILogger<PlatformDocumentSource> logger)
{
    private readonly Lock _gate = new();
    private Task<(JsonObject Document, bool Complete)>? _merge;
    private long _mergedAt;

    public async Task<JsonObject> GetAsync(CancellationToken cancellationToken)
    {
        Task<(JsonObject Document, bool Complete)> merge;
        lock (_gate)
        {
            if (_merge is null || _merge.IsCompleted && IsStale(_merge))
            {
                _mergedAt = time.GetTimestamp();
                _merge = MergeAsync();
            }

            merge = _merge;
        }

        // The merge runs on its own timeouts, not the caller's: other callers may be waiting for it too.
        return (await merge.WaitAsync(cancellationToken)).Document;
    }

    private bool IsStale(Task<(JsonObject Document, bool Complete)> merge)
    {
        var current = settings.CurrentValue;
        var keep = merge.IsCompletedSuccessfully && merge.Result.Complete ? current.CacheDuration : current.IncompleteCacheDuration;
        return time.GetElapsedTime(_mergedAt) >= keep;
    }

    private async Task<(JsonObject Document, bool Complete)> MergeAsync()
    {
        var documents = await Task.WhenAll(ProxyConfiguration.ServiceNames.Select(FetchAsync));
        return (PlatformDocumentMerger.Merge(documents), documents.All(d => d.Document is not null));
    }

    private async Task<ServiceDocument> FetchAsync(string service)
    {
        var destinations = ProxyConfiguration.ReadDestinations(configuration, service);
        if (destinations.Count == 0)
        {
            return new ServiceDocument(service, null, "网关未配置此服务");
        }

        var client = clients.CreateClient(ApiReference.HttpClientName);
        var problem = "";
        foreach (var destination in destinations)
        {
            using var timeout = new CancellationTokenSource(settings.CurrentValue.FetchTimeout);
            try
            {
                using var response = await client.GetAsync(
                    new Uri(destination.Address.TrimEnd('/') + ApiReference.ServiceDocumentPath), HttpCompletionOption.ResponseContentRead, timeout.Token);
                if (!response.IsSuccessStatusCode)
                {
                    problem = $"HTTP {(int)response.StatusCode}";
                }
                else if (await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token)
                         is JsonObject document && document["paths"] is JsonObject)
                {
                    return new ServiceDocument(service, document, null);
                }
                else
                {
                    problem = "返回的不是 OpenAPI 文档";
                }
            }
            // Whatever goes wrong with one replica (refused, timed out, circuit open, not JSON), the next may answer,
            // and the reference is served without this service rather than not at all.
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problem = timeout.IsCancellationRequested ? "响应超时" : "无法连接";
                LogFetchFailed(logger, destination.Id, e);
            }
        }

        LogServiceMissing(logger, service, problem);
        return new ServiceDocument(service, null, problem);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "API reference: fetching the OpenAPI document of {Destination} failed")]
    private static partial void LogFetchFailed(ILogger logger, string destination, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API reference: no OpenAPI document from {Service} ({Problem}); serving the others")]
    private static partial void LogServiceMissing(ILogger logger, string service, string problem);
}

/// <summary>
/// Merges the services' OpenAPI 3.1 documents (as JSON, so nothing the services wrote is lost in a round trip through
/// an object model): paths under <c>/api/&lt;service&gt;</c>, components (a name two services use for different shapes
/// gets each service's prefix, and that service's <c>$ref</c>s follow), operationIds (one two services share gets each
/// service's prefix), tags (prefixed with the service's Chinese name, so "Parked messages" of Credits and of Catalog
/// stay apart), the bearer scheme once, and an <c>info</c> for the platform naming any service that is missing.
/// </summary>
public static class PlatformDocumentMerger
{
    public const string BearerScheme = "Bearer";

    /// <summary>The services' names as a learning platform's developer would know them (from their documents' titles).</summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceTitles = new Dictionary<string, string>
    {
        ["directory"] = "机构与人员",
        ["catalog"] = "课程目录",
        ["enrollment"] = "选课与学习",
        ["credits"] = "学时",
        ["mentoring"] = "研修指导",
    };

    public const string Platform = "中小学教师继续教育平台";

    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    public static JsonObject Merge(IReadOnlyList<ServiceDocument> fetched)
    {
        // Work on copies: the merge rewrites names and references in place.
        var documents = fetched.Where(d => d.Document is not null)
            .Select(d => (d.Service, Document: (JsonObject)d.Document!.DeepClone()))
            .ToList();

        RenameClashingComponents(documents);
        RenameSharedOperationIds(documents);

        var paths = new JsonObject();
        var tags = new JsonArray();
        var components = new JsonObject();
        var security = new JsonArray();
        foreach (var (service, document) in documents)
        {
            var title = TitleOf(service);
            var declared = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tag in (document["tags"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (Text(tag["name"]) is { } name && declared.Add(name))
                {
                    var merged = (JsonObject)tag.DeepClone();
                    merged["name"] = $"{title} · {name}";
                    tags.Add(merged);
                }
            }

            var untagged = false;
            foreach (var (path, item) in document["paths"] as JsonObject ?? [])
            {
                // Only what the gateway routes: anything else would answer 404 when tried.
                if (item is not JsonObject || !IsUnder(path, $"/api/{service}") || paths.ContainsKey(path))
                {
                    continue;
                }

                foreach (var operation in Methods.Select(m => item[m]).OfType<JsonObject>())
                {
                    var own = (operation["tags"] as JsonArray)?.Select(Text).OfType<string>().ToList() ?? [];
                    foreach (var name in own.Where(declared.Add))
                    {
                        tags.Add(new JsonObject { ["name"] = $"{title} · {name}" });
                    }

                    untagged |= own.Count == 0;
                    operation["tags"] = own.Count == 0
                        ? new JsonArray(title)
                        : new JsonArray(own.Select(name => (JsonNode)JsonValue.Create($"{title} · {name}")!).ToArray());
                }

                paths[path] = item.DeepClone();
            }

            if (untagged)
            {
                tags.Add(new JsonObject { ["name"] = title });
            }

            foreach (var (kind, entries) in document["components"] as JsonObject ?? [])
            {
                if (entries is not JsonObject)
                {
                    continue;
                }

                var target = components[kind] as JsonObject ?? (JsonObject)(components[kind] = new JsonObject());
                foreach (var (name, value) in entries.AsObject())
                {
                    // After renaming, a name left shared means the same content: the first copy serves everyone.
                    if (!target.ContainsKey(name))
                    {
                        target[name] = value?.DeepClone();
                    }
                }
            }

            foreach (var requirement in document["security"] as JsonArray ?? [])
            {
                if (requirement is not null && !security.Any(r => JsonNode.DeepEquals(r, requirement)))
                {
                    security.Add(requirement.DeepClone());
                }
            }
        }

        var platform = new JsonObject
        {
            ["openapi"] = documents.Select(d => Text(d.Document["openapi"])).FirstOrDefault(v => v is not null) ?? "3.1.1",
            ["info"] = new JsonObject
            {
                ["title"] = $"{Platform} API",
                ["version"] = "v1",
                ["description"] = Describe(fetched),
            },
            ["paths"] = paths,
            ["components"] = components,
        };
        if (security.Count > 0)
        {
            platform["security"] = security;
        }

        platform["tags"] = tags;
        return platform;
    }

    /// <summary>Writes <paramref name="document"/> with <c>servers</c> naming <paramref name="server"/>, right after <c>info</c>.</summary>
    public static void WriteWithServer(Utf8JsonWriter writer, JsonObject document, string server)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in document)
        {
            writer.WritePropertyName(name);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer);
            }

            if (name == "info")
            {
                writer.WritePropertyName("servers");
                writer.WriteStartArray();
                writer.WriteStartObject();
                writer.WriteString("url", server);
                writer.WriteString("description", "平台网关");
                writer.WriteEndObject();
                writer.WriteEndArray();
            }
        }

        writer.WriteEndObject();
    }

    private static string Describe(IReadOnlyList<ServiceDocument> fetched)
    {
        var text = new StringBuilder();
        text.Append($"{Platform}五个服务的全部接口，合并为一份文档；所有调用都经平台网关（见 servers）。\n\n");
        text.Append("**登录**：`POST /api/directory/sign-in`（匿名）以账号和密码换取 `accessToken`，之后每个请求带 ")
            .Append("`Authorization: Bearer <accessToken>`。学习平台用其机器账号登录后，以 `POST /api/enrollment/progress` 分批上报学习进度。")
            .Append("每个接口的说明列出允许调用的角色；错误均为 `application/problem+json`。\n\n");
        foreach (var service in fetched)
        {
            var about = Text(service.Document?["info"]?["description"]);
            text.Append($"- **{TitleOf(service.Service)}**（`/api/{service.Service}`）");
            text.Append(service.Document is null
                ? $"：**本文档暂缺此服务的接口**（{service.Problem}），稍后刷新再看。\n"
                : about is { Length: > 0 } ? $"：{about}\n" : "\n");
        }

        var missing = fetched.Where(d => d.Document is null).Select(d => TitleOf(d.Service)).ToList();
        if (missing.Count > 0)
        {
            text.Append($"\n**暂缺**：{string.Join("、", missing)}的文档暂时取不到，其余服务的接口照常列出。\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// A component name used by two or more services for different content becomes <c>&lt;Service&gt;&lt;Name&gt;</c> in
    /// each of them, and every <c>$ref</c> to it in that service's document (deeper pointers included) follows.
    /// </summary>
    private static void RenameClashingComponents(List<(string Service, JsonObject Document)> documents)
    {
        var renames = documents.ToDictionary(d => d.Service, _ => new Dictionary<string, string>(StringComparer.Ordinal));
        var byPointer = new Dictionary<string, List<(string Service, JsonNode? Value)>>(StringComparer.Ordinal);
        foreach (var (service, document) in documents)
        {
            foreach (var (kind, entries) in document["components"] as JsonObject ?? [])
            {
                // Security schemes are named, not referenced: the same name means the same scheme (the platform's bearer).
                if (kind == "securitySchemes" || entries is not JsonObject)
                {
                    continue;
                }

                foreach (var (name, value) in entries.AsObject())
                {
                    var pointer = $"#/components/{kind}/{name}";
                    if (!byPointer.TryGetValue(pointer, out var users))
                    {
                        byPointer[pointer] = users = [];
                    }

                    users.Add((service, value));
                }
            }
        }

        foreach (var (pointer, users) in byPointer)
        {
            if (users.Count < 2 || users.Skip(1).All(u => JsonNode.DeepEquals(u.Value, users[0].Value)))
            {
                continue;
            }

            var cut = pointer.LastIndexOf('/');
            var (prefix, name) = (pointer[..(cut + 1)], pointer[(cut + 1)..]);
            foreach (var (service, _) in users)
            {
                var renamed = Pascal(service) + name;
                while (byPointer.ContainsKey(prefix + renamed))
                {
                    renamed = Pascal(service) + "_" + renamed;
                }

                renames[service][pointer] = prefix + renamed;
                var entries = documents.First(d => d.Service == service).Document["components"]![pointer.Split('/')[2]]!.AsObject();
                var value = entries[name];
                entries.Remove(name);
                entries[renamed] = value;
            }
        }

        foreach (var (service, document) in documents)
        {
            if (renames[service].Count > 0)
            {
                RewriteReferences(document, renames[service]);
            }
        }
    }

    private static void RewriteReferences(JsonNode? node, Dictionary<string, string> renames)
    {
        switch (node)
        {
            case JsonObject obj:
                if (Text(obj["$ref"]) is { } target && target.StartsWith("#/components/", StringComparison.Ordinal))
                {
                    // #/components/<kind>/<name>, then possibly a deeper pointer into that component.
                    var kindEnd = target.IndexOf('/', "#/components/".Length);
                    var nameEnd = kindEnd < 0 ? -1 : target.IndexOf('/', kindEnd + 1);
                    var head = nameEnd < 0 ? target : target[..nameEnd];
                    if (renames.TryGetValue(head, out var renamed))
                    {
                        obj["$ref"] = renamed + target[head.Length..];
                    }
                }

                foreach (var (_, child) in obj.ToList())
                {
                    RewriteReferences(child, renames);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    RewriteReferences(child, renames);
                }

                break;
        }
    }

    /// <summary>An operationId two services both use (the parked-message operations every service has) gets each service's prefix.</summary>
    private static void RenameSharedOperationIds(List<(string Service, JsonObject Document)> documents)
    {
        var operations = documents
            .SelectMany(d => (d.Document["paths"] as JsonObject ?? []).Select(p => p.Value).OfType<JsonObject>()
                .SelectMany(item => Methods.Select(m => item[m]).OfType<JsonObject>())
                .Select(operation => (d.Service, Operation: operation, Id: Text(operation["operationId"]))))
            .Where(o => o.Id is not null)
            .ToList();
        foreach (var shared in operations.GroupBy(o => o.Id!, StringComparer.Ordinal).Where(g => g.Select(o => o.Service).Distinct().Count() > 1))
        {
            foreach (var (service, operation, id) in shared)
            {
                operation["operationId"] = Pascal(service) + id;
            }
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool IsUnder(string path, string prefix) =>
        path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);

    private static string TitleOf(string service) => ServiceTitles.TryGetValue(service, out var title) ? title : service;

    private static string Pascal(string service) => char.ToUpperInvariant(service[0]) + service[1..];
}
