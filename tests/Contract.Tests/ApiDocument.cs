using System.Text.Json;

namespace TrainingPlatform.Contract.Tests;

/// <summary>One operation of a service's OpenAPI document, as the contract test reads it.</summary>
public sealed record ApiOperation(
    string Method,
    string Path,
    string? OperationId,
    IReadOnlyList<ApiParameter> Parameters,
    ApiBody? Body,
    IReadOnlyDictionary<string, ApiResponse> Responses,
    bool Anonymous)
{
    public string Name => $"{Method} {Path}";

    public override string ToString() => Name;
}

public sealed record ApiParameter(string Name, string In, bool Required, JsonElement Schema);

/// <summary>The request body: media type → schema (none for a media type described without one).</summary>
public sealed record ApiBody(bool Required, IReadOnlyDictionary<string, JsonElement?> Content);

/// <summary>A documented response: media type → schema; no media types means "no body".</summary>
public sealed record ApiResponse(IReadOnlyDictionary<string, JsonElement?> Content);

/// <summary>
/// A service's OpenAPI 3.1 document read with System.Text.Json: its operations, and the schemas they point at
/// (<c>$ref</c> into <c>#/components/schemas</c>).
/// </summary>
public sealed class ApiDocument
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private readonly JsonElement _root;

    public ApiDocument(string json)
    {
        _root = JsonDocument.Parse(json).RootElement.Clone();
        Operations = ReadOperations().ToList();
    }

    public IReadOnlyList<ApiOperation> Operations { get; }

    /// <summary>The schema a <c>$ref</c> points at (followed until it is not a bare reference).</summary>
    public JsonElement Resolve(JsonElement schema)
    {
        for (var depth = 0; depth < 32 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference); depth++)
        {
            var target = Pointer(reference.GetString() ?? "");
            // 3.1 allows keywords beside $ref (a description, most often); the target carries the validation.
            schema = target;
        }
        return schema;
    }

    private JsonElement Pointer(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Only local references are supported, not {reference}");
        }
        var node = _root;
        foreach (var segment in reference[2..].Split('/'))
        {
            var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (!node.TryGetProperty(name, out node))
            {
                throw new InvalidOperationException($"Unresolvable reference {reference}");
            }
        }
        return node;
    }

    private IEnumerable<ApiOperation> ReadOperations()
    {
        if (!_root.TryGetProperty("paths", out var paths))
        {
            yield break;
        }
        var documentSecurity = _root.TryGetProperty("security", out var security) && security.GetArrayLength() > 0;
        foreach (var path in paths.EnumerateObject())
        {
            var shared = path.Value.TryGetProperty("parameters", out var common) ? ReadParameters(common).ToList() : [];
            foreach (var method in Methods)
            {
                if (!path.Value.TryGetProperty(method, out var operation))
                {
                    continue;
                }
                var own = operation.TryGetProperty("parameters", out var parameters) ? ReadParameters(parameters).ToList() : [];
                var merged = own.Concat(shared.Where(s => !own.Any(o => o.Name == s.Name && o.In == s.In))).ToList();
                var anonymous = operation.TryGetProperty("security", out var operationSecurity)
                    ? operationSecurity.GetArrayLength() == 0 || operationSecurity.EnumerateArray().Any(r => !r.EnumerateObject().Any())
                    : !documentSecurity;
                yield return new ApiOperation(
                    method.ToUpperInvariant(),
                    path.Name,
                    operation.TryGetProperty("operationId", out var id) ? id.GetString() : null,
                    merged,
                    operation.TryGetProperty("requestBody", out var body) ? ReadBody(Resolve(body)) : null,
                    operation.TryGetProperty("responses", out var responses)
                        ? responses.EnumerateObject().ToDictionary(r => r.Name, r => new ApiResponse(Content(Resolve(r.Value))))
                        : new Dictionary<string, ApiResponse>(),
                    anonymous);
            }
        }
    }

    private IEnumerable<ApiParameter> ReadParameters(JsonElement parameters)
    {
        foreach (var raw in parameters.EnumerateArray())
        {
            var parameter = Resolve(raw);
            var place = parameter.GetProperty("in").GetString()!;
            if (place is not ("path" or "query"))
            {
                continue; // headers and cookies: none in these documents
            }
            yield return new ApiParameter(
                parameter.GetProperty("name").GetString()!,
                place,
                place == "path" || parameter.TryGetProperty("required", out var required) && required.GetBoolean(),
                parameter.TryGetProperty("schema", out var schema) ? schema : EmptySchema);
        }
    }

    private static ApiBody ReadBody(JsonElement body) =>
        new(body.TryGetProperty("required", out var required) && required.GetBoolean(), Content(body));

    private static Dictionary<string, JsonElement?> Content(JsonElement holder) =>
        holder.TryGetProperty("content", out var content)
            ? content.EnumerateObject().ToDictionary(
                c => c.Name,
                c => c.Value.TryGetProperty("schema", out var schema) ? schema : (JsonElement?)null,
                StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, JsonElement?>(StringComparer.OrdinalIgnoreCase);

    private static readonly JsonElement EmptySchema = JsonDocument.Parse("{}").RootElement.Clone();
}
