using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TrainingPlatform.Gateway.Tests.Support;

namespace TrainingPlatform.Gateway.Tests;

/// <summary>
/// The gateway's API reference: the five services' documents (stand-ins shaped like .NET's, with the clashes the real
/// ones have: a schema name two services use for different shapes, the parked-message operations in all five) merged
/// into one whose server is the gateway, and a page that loads nothing from anywhere else.
/// </summary>
public sealed partial class ApiReferenceTests
{
    private static readonly string[] Services = ["directory", "catalog", "enrollment", "credits", "mentoring"];

    [Fact]
    public async Task The_merged_document_has_every_service_one_bearer_scheme_the_gateway_as_server_and_unique_operation_ids()
    {
        await using var platform = await StartAsync();

        var document = await GetDocumentAsync(platform.Client);

        var paths = document["paths"]!.AsObject();
        foreach (var service in Services)
        {
            Assert.Contains($"/api/{service}/things/{{id}}", paths.Select(p => p.Key));
            Assert.Contains($"/api/{service}/operations/parked", paths.Select(p => p.Key));
        }
        Assert.True(paths.ContainsKey("/api/enrollment/progress"));
        // Paths the gateway does not route would only answer 404 when tried.
        Assert.DoesNotContain(paths, p => !p.Key.StartsWith("/api/", StringComparison.Ordinal));

        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("Bearer", Assert.Single(schemes).Key);
        Assert.Equal("bearer", schemes["Bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("Bearer", Assert.Single(document["security"]!.AsArray())!.AsObject().Single().Key);

        var server = Assert.Single(document["servers"]!.AsArray())!;
        Assert.Equal(platform.Client.BaseAddress!.GetLeftPart(UriPartial.Authority), server["url"]!.GetValue<string>());

        var operations = Operations(document).ToList();
        var ids = operations.Select(o => o["operationId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("CreditsListParkedMessages", ids);
        Assert.Contains("ReportProgress", ids);
        Assert.Equal(Services.Length * 3 + 1, ids.Count);

        // Every operation's tags are declared once; the same tag of two services stays two tags.
        var declared = document["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(declared.Count, declared.Distinct(StringComparer.Ordinal).Count());
        Assert.All(operations.SelectMany(o => o["tags"]!.AsArray()), tag => Assert.Contains(tag!.GetValue<string>(), declared));
        Assert.Contains("学时 · Parked messages", declared);
        Assert.Contains("课程目录 · Parked messages", declared);
        Assert.Contains("选课与学习", declared);

        Assert.Contains("中小学教师继续教育平台", document["info"]!["title"]!.GetValue<string>());
        Assert.DoesNotContain("暂缺", document["info"]!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_reference_resolves_inside_the_merged_document_and_clashing_schemas_keep_their_own_shape()
    {
        await using var platform = await StartAsync();

        var document = await GetDocumentAsync(platform.Client);

        var references = References(document).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, reference => Assert.True(Resolve(document, reference) is not null, $"{reference} does not resolve"));

        // Five services, five shapes of "ThingView": each service's operations point at its own.
        var schemas = document["components"]!["schemas"]!.AsObject();
        Assert.False(schemas.ContainsKey("ThingView"));
        foreach (var service in Services)
        {
            var response = document["paths"]![$"/api/{service}/things/{{id}}"]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
            var own = Resolve(document, response["$ref"]!.GetValue<string>())!;
            Assert.True(own["properties"]!.AsObject().ContainsKey($"{service}Name"));
        }
        // The same shape under the same name is one schema.
        Assert.True(schemas.ContainsKey("PlatformProblem"));
        Assert.True(schemas.ContainsKey("ParkedMessage"));
        Assert.True(schemas.ContainsKey("ProgressBatch"));
    }

    [Fact]
    public async Task A_configured_public_url_is_the_server()
    {
        await using var platform = await StartAsync(new Dictionary<string, string?> { ["Gateway:ApiReference:PublicUrl"] = "https://api.example.edu.cn/" });

        var document = await GetDocumentAsync(platform.Client);

        Assert.Equal("https://api.example.edu.cn", document["servers"]![0]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_service_that_cannot_be_reached_is_named_missing_and_the_others_are_served()
    {
        await using var platform = await StartAsync(new Dictionary<string, string?> { ["Gateway:ApiReference:FetchTimeout"] = "00:00:01" });
        await platform["credits"].StopAsync();

        var document = await GetDocumentAsync(platform.Client);

        Assert.DoesNotContain(document["paths"]!.AsObject(), p => p.Key.StartsWith("/api/credits/", StringComparison.Ordinal));
        Assert.True(document["paths"]!.AsObject().ContainsKey("/api/enrollment/progress"));
        var description = document["info"]!["description"]!.GetValue<string>();
        Assert.Contains("暂缺", description);
        Assert.Contains("学时", description);
        var ids = Operations(document).Select(o => o["operationId"]!.GetValue<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task The_reference_page_loads_only_from_the_gateway()
    {
        await using var platform = await StartAsync();
        var origin = platform.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        using var redirect = await platform.Client.GetAsync("/api-reference");
        if (redirect.StatusCode == HttpStatusCode.Found)
        {
            Assert.False(redirect.Headers.Location!.IsAbsoluteUri && redirect.Headers.Location.GetLeftPart(UriPartial.Authority) != origin);
        }
        using var response = await platform.Client.GetAsync("/api-reference/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();

        // No absolute URL to another host anywhere in the page: scripts, styles, fonts, icons, the document, config.
        var absolute = AbsoluteUrl().Matches(html).Select(m => m.Value).ToList();
        Assert.All(absolute, url => Assert.StartsWith(origin, url, StringComparison.Ordinal));
        Assert.DoesNotContain("scalar.com", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.DoesNotContain("proxyUrl", html, StringComparison.Ordinal);
        Assert.Contains("openapi/platform.json", html, StringComparison.Ordinal);
        Assert.Contains("\"preferredSecurityScheme\":[\"Bearer\"]", html, StringComparison.Ordinal);

        // Every script and link the page names is served by the gateway itself.
        var page = new Uri(platform.Client.BaseAddress!, "/api-reference/");
        var resources = Resource().Matches(html).Select(m => new Uri(page, m.Groups["url"].Value)).ToList();
        Assert.Contains(resources, r => r.AbsolutePath.EndsWith("/scalar.js", StringComparison.Ordinal));
        foreach (var resource in resources)
        {
            Assert.Equal(origin, resource.GetLeftPart(UriPartial.Authority));
            using var loaded = await platform.Client.GetAsync(resource);
            Assert.True(loaded.StatusCode == HttpStatusCode.OK, $"{resource} answered {(int)loaded.StatusCode}");
        }

        // And the browser is told so: whatever the script tried beyond the gateway would be refused.
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("font-src 'self' data:", policy, StringComparison.Ordinal);
        var nonce = Regex.Match(policy, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.All(Regex.Matches(html, "<script[^>]*>").Select(m => m.Value), tag => Assert.Contains($"nonce=\"{nonce}\"", tag, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_reference_is_the_gateways_own_not_the_portals_and_open_to_anyone()
    {
        await using var platform = await TestPlatform.StartAsync(Services.Select(s => (s, 1)).Append(("portal", 1)).ToArray());
        foreach (var service in Services)
        {
            platform[service].OpenApiDocument = StubDocument(service);
        }

        foreach (var path in new[] { "/openapi/platform.json", "/api-reference/", "/api-reference/scalar.js" })
        {
            using var anonymous = await platform.Client.GetAsync(path);
            Assert.True(anonymous.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)anonymous.StatusCode}");

            // An invalid token is no reason to refuse what anyone may read.
            using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "not-a-jwt") } };
            using var invalidToken = await platform.Client.SendAsync(request);
            Assert.True(invalidToken.StatusCode == HttpStatusCode.OK, $"{path} with an invalid token answered {(int)invalidToken.StatusCode}");
        }
        Assert.Empty(platform["portal"].Received);
    }

    private static async Task<TestPlatform> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var platform = await TestPlatform.StartAsync(Services.Select(s => (s, 1)), settings);
        foreach (var service in Services)
        {
            platform[service].OpenApiDocument = StubDocument(service);
        }

        return platform;
    }

    private static async Task<JsonObject> GetDocumentAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/openapi/platform.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static IEnumerable<JsonObject> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject())
            .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch")
            .Select(o => o.Value!.AsObject());

    private static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == "$ref" && p.Value is JsonValue v ? [v.GetValue<string>()] : References(p.Value)),
        JsonArray array => array.SelectMany(References),
        _ => [],
    };

    /// <summary>A local JSON pointer (<c>#/components/schemas/X/properties/y</c>) in <paramref name="document"/>, or null.</summary>
    private static JsonNode? Resolve(JsonObject document, string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        JsonNode? node = document;
        foreach (var token in reference[2..].Split('/').Select(t => Uri.UnescapeDataString(t).Replace("~1", "/").Replace("~0", "~")))
        {
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(token, out var child) ? child : null,
                JsonArray array when int.TryParse(token, out var index) && index < array.Count => array[index],
                _ => null,
            };
        }

        return node;
    }

    /// <summary>A service's document as .NET writes it, with what the real ones share and where they clash.</summary>
    private static string StubDocument(string service)
    {
        var pascal = char.ToUpperInvariant(service[0]) + service[1..];
        var progress = service != "enrollment" ? "" : """
            "/api/enrollment/progress": {
              "post": {
                "tags": [ "Progress" ], "summary": "上报学习进度", "operationId": "ReportProgress",
                "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ProgressBatch" } } }, "required": true },
                "responses": {
                  "200": { "description": "OK" },
                  "400": { "description": "请求无效", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/PlatformProblem" } } } }
                }
              }
            },
            """;
        var progressSchema = service != "enrollment" ? "" : """
            "ProgressBatch": { "type": "object", "properties": { "reports": { "type": "array", "items": { "type": "object" } } } },
            """;
        return $$"""
            {
              "openapi": "3.1.1",
              "info": { "title": "培训平台 · {{service}} API", "description": "{{service}} 的接口。", "version": "v1" },
              "servers": [ { "url": "/", "description": "平台网关" } ],
              "paths": {
                {{progress}}
                "/api/{{service}}/things/{id}": {
                  "get": {
                    "tags": [ "Things" ], "summary": "取一项", "operationId": "Get{{pascal}}Thing",
                    "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int32" } } ],
                    "responses": {
                      "200": { "description": "OK", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ThingView" } } } },
                      "404": { "description": "未找到", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/PlatformProblem" } } } }
                    }
                  }
                },
                "/api/{{service}}/operations/parked": {
                  "get": {
                    "tags": [ "Parked messages" ], "summary": "暂存消息", "operationId": "ListParkedMessages",
                    "responses": { "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/ParkedMessage" } } } } } }
                  }
                },
                "/api/{{service}}/ping": {
                  "get": { "operationId": "Ping{{pascal}}", "security": [ ], "responses": { "204": { "description": "No Content" } } }
                },
                "/.well-known/{{service}}.json": {
                  "get": { "operationId": "WellKnown{{pascal}}", "responses": { "200": { "description": "OK" } } }
                }
              },
              "components": {
                "schemas": {
                  {{progressSchema}}
                  "ThingView": {
                    "type": "object", "required": [ "{{service}}Name" ],
                    "properties": {
                      "{{service}}Name": { "type": "string" },
                      "alias": { "$ref": "#/components/schemas/ThingView/properties/{{service}}Name" }
                    }
                  },
                  "PlatformProblem": { "type": "object", "properties": { "title": { "type": [ "null", "string" ] }, "rule": { "type": [ "null", "string" ] } } },
                  "ParkedMessage": { "type": "object", "properties": { "queue": { "type": "string" } } }
                },
                "securitySchemes": { "Bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }
              },
              "security": [ { "Bearer": [ ] } ],
              "tags": [ { "name": "Things" }, { "name": "Parked messages", "description": "无法处理的消息" } ]
            }
            """;
    }

    [GeneratedRegex("""https?://[^\s"'<>)`]+""")]
    private static partial Regex AbsoluteUrl();

    [GeneratedRegex("""<(?:script|link)[^>]*?(?:src|href)="(?<url>[^"]+)""")]
    private static partial Regex Resource();
}
