using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace TrainingPlatform.Contract.Tests;

/// <summary>What a request is for: "valid", "boundary" or "malformed", with what was done to it.</summary>
/// <param name="Tolerated">
/// A status the document need not list for this request, because the request is not an instance of the operation
/// at all: 404 when a path value breaks its schema (<c>/teachers/not-a-uuid</c> names no route), 415 for a body of a
/// media type the operation does not take. It must still be problem details.
/// </param>
/// <param name="Breaks">
/// Which documented constraint the request breaks, when the generator knows for certain that it breaks one (a value
/// outside a declared range, longer than a declared maxLength, not in a declared enum, a required member missing, a
/// wrong type, a null the schema does not allow …): such a request must be refused, never answered 2xx. Null for a
/// request the document allows, however odd (an out-of-range number where no range is declared).
/// </param>
public sealed record ContractRequest(string Category, string What, string Method, string Url, RequestBody? Body, int? Tolerated = null,
    string? Breaks = null)
{
    /// <summary>e.g. <c>malformed:null-in-array</c>: the category and the kind of change, without where it was made.</summary>
    public string Kind => Category + (What.Length == 0 ? "" : ":" + What.Split(' ')[0]);

    public string Display => $"{Method} {SchemaValidator.Shorten(Url, 160)}" + (Body is null ? "" : " " + Body.Display);
}

/// <summary>A request body: made afresh for each send (HttpContent is single-use), and shown shortened in reports.</summary>
public sealed record RequestBody(Func<HttpContent> Create, string Display);

/// <summary>
/// Turns an operation of the document into requests: valid ones and boundary ones drawn from its schemas, and
/// malformed ones made by changing one thing in a valid request (a null inside a list, a wrong type, a number out
/// of any sensible range, a huge string, an unknown code, a missing required member, a broken or empty body, …).
/// All randomness comes from the <see cref="PCG"/> passed in, so a fixed seed gives the same requests.
/// </summary>
public sealed class RequestFactory(SchemaGen gen)
{
    public const int HugeStringLength = 100_000;

    /// <summary>Chinese as itself, in the bodies sent and in the report.</summary>
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private const int HugeParameterLength = 5_000;
    private static readonly long[] OutOfRange = [0, -5, 9999, int.MaxValue];
    private const string SmallCsv = "身份证号,姓名,学校代码\r\n110101199003074514,张三,S1\r\n";

    public ContractRequest Valid(ApiOperation operation, PCG pcg, Shape shape, string category)
    {
        var parameters = Parameters(operation, pcg, shape);
        return Build(operation, category, shape switch { Shape.Minimal => "minimal", Shape.Maximal => "maximal", _ => "" },
            parameters, BodyOf(operation, pcg, shape));
    }

    /// <summary>
    /// The malformed requests for an operation, most telling first: a broken or empty body, a null inside each list,
    /// each integer parameter at 0, -5, 9999 and 2147483647 and each integer member at one of those; then, shuffled
    /// with <paramref name="pcg"/>, the other changes, up to <paramref name="limit"/> in all (the first group is
    /// always sent whole, up to <paramref name="firstLimit"/>).
    /// </summary>
    /// <param name="breaking">How many more requests that break the document to add from those not chosen.</param>
    public IReadOnlyList<ContractRequest> Malformed(ApiOperation operation, PCG pcg, int limit, int firstLimit, int breaking = 0)
    {
        var parameters = Parameters(operation, pcg, Shape.Valid);
        var first = new List<ContractRequest>();
        var rest = new List<ContractRequest>();
        var media = MediaOf(operation);

        // The body as a whole.
        if (media is { } json && json.Kind == BodyKind.Json)
        {
            var body = Draw(gen.For(json.Schema, Shape.Full), pcg);
            var bodyText = body?.ToJsonString(Json) ?? "null";
            // Only a base the document accepts makes "this one change breaks it" certain.
            var baseValid = Violations(json.Schema, body) is null;
            first.Add(Build(operation, "malformed", "invalid-json", parameters, Raw("{\"a\":", json.MediaType))
                with { Breaks = "the body is not JSON" });
            first.Add(Build(operation, "malformed", "empty-body", parameters, Raw("", json.MediaType))
                with { Breaks = operation.Body!.Required ? "the body is required" : null });
            rest.Add(Build(operation, "malformed", "null-body", parameters, Raw("null", json.MediaType))
                with { Breaks = Violations(json.Schema, null) });
            var wrongRoot = gen.PrimaryType(json.Schema) == "array" ? "{\"unexpected\":true}" : "[1,2]";
            rest.Add(Build(operation, "malformed", "wrong-root", parameters, Raw(wrongRoot, json.MediaType))
                with { Breaks = Violations(json.Schema, JsonNode.Parse(wrongRoot)) });
            rest.Add(Build(operation, "malformed", "wrong-content-type", parameters, Raw(bodyText, "text/plain")) with { Tolerated = 415 });
            foreach (var (path, display, schema, required) in Slots(json.Schema, body, [], "$", 0))
            {
                foreach (var (priority, what, change) in Changes(schema, required, pcg))
                {
                    var changed = Apply(body, path, change);
                    var request = Build(operation, "malformed", $"{what} {display}", parameters, Raw(changed?.ToJsonString(Json) ?? "null", json.MediaType))
                        with { Breaks = baseValid ? Violations(json.Schema, changed) : null };
                    (priority == 0 ? first : rest).Add(request);
                }
            }
        }
        else if (media is { } form && form.Kind == BodyKind.Multipart)
        {
            var (_, requiredParts, _) = gen.Members(form.Schema);
            var partsRequired = requiredParts.Count > 0 ? $"the form's members {string.Join(", ", requiredParts)} are required" : null;
            first.Add(Build(operation, "malformed", "empty-form", parameters, Multipart(form.Schema, pcg, FormFault.NoParts))
                with { Breaks = partsRequired });
            first.Add(Build(operation, "malformed", "json-instead-of-form", parameters, Raw("{\"file\":null}", "application/json")) with { Tolerated = 415 });
            rest.Add(Build(operation, "malformed", "empty-file", parameters, Multipart(form.Schema, pcg, FormFault.EmptyFile)));
            rest.Add(Build(operation, "malformed", "garbage-file", parameters, Multipart(form.Schema, pcg, FormFault.Garbage)));
            rest.Add(Build(operation, "malformed", "huge-file", parameters, Multipart(form.Schema, pcg, FormFault.Huge)));
            rest.Add(Build(operation, "malformed", "wrong-part-name", parameters, Multipart(form.Schema, pcg, FormFault.WrongName))
                with { Breaks = partsRequired });
            rest.Add(Build(operation, "malformed", "empty-body", parameters, Raw("", "multipart/form-data; boundary=x")));
        }
        var body0 = BodyOf(operation, pcg, Shape.Valid);

        // Parameters, one at a time.
        foreach (var parameter in operation.Parameters)
        {
            foreach (var (priority, what, value, offSchema) in ParameterChanges(parameter))
            {
                var changed = new Dictionary<(string, string), string?>(parameters) { [(parameter.In, parameter.Name)] = value };
                var request = Build(operation, "malformed", $"{what} {parameter.In}:{parameter.Name}", changed, body0)
                    with
                    {
                        Tolerated = offSchema && parameter.In == "path" ? 404 : null,
                        Breaks = offSchema ? $"{parameter.In} parameter {parameter.Name} ({what}) against its schema {SchemaValidator.Shorten(JsonSerializer.Serialize(parameter.Schema), 160)}" : null,
                    };
                (priority == 0 ? first : rest).Add(request);
            }
        }

        var chosen = first.Take(firstLimit).ToList();
        var room = Math.Max(0, limit - chosen.Count);
        chosen.AddRange(Shuffle(rest, pcg).Take(room));
        // Drawn after the others, so the requests above stay as they were for a given seed.
        var unsent = first.Concat(rest).Where(r => r.Breaks is not null && !chosen.Contains(r)).ToList();
        chosen.AddRange(Shuffle(unsent, pcg).Take(breaking));
        return chosen;
    }

    private Dictionary<(string In, string Name), string?> Parameters(ApiOperation operation, PCG pcg, Shape shape)
    {
        var values = new Dictionary<(string, string), string?>();
        foreach (var parameter in operation.Parameters)
        {
            // Path values stay ordinary (an empty segment only finds no route); query values take the shape asked for.
            var include = parameter.Required || shape switch
            {
                Shape.Minimal => false,
                Shape.Maximal or Shape.Full => true,
                _ => Draw(Gen.Bool, pcg),
            };
            if (!include)
            {
                continue;
            }
            var value = Draw(gen.For(parameter.Schema, parameter.In == "path" ? Shape.Valid : shape, parameter.Name), pcg);
            values[(parameter.In, parameter.Name)] = Text(value);
        }
        return values;
    }

    /// <summary>Changes to one parameter; OffSchema: the new value breaks the parameter's schema (not just good sense).</summary>
    private IEnumerable<(int Priority, string What, string? Value, bool OffSchema)> ParameterChanges(ApiParameter parameter)
    {
        var type = gen.PrimaryType(parameter.Schema);
        var format = gen.Format(parameter.Schema);
        switch (type)
        {
            case "integer":
                foreach (var number in OutOfRange)
                {
                    yield return (0, $"out-of-range={number}", number.ToString(CultureInfo.InvariantCulture), Breaks(parameter.Schema, number));
                }
                yield return (1, "wrong-type", "abc", true);
                yield return (1, "overflow", "2147483648", format != "int64");
                yield return (1, "fraction", "1.5", true);
                break;
            case "number":
                yield return (1, "wrong-type", "abc", true);
                yield return (1, "out-of-range=-5", "-5", Breaks(parameter.Schema, -5));
                break;
            case "boolean":
                yield return (1, "wrong-type", "maybe", true);
                break;
            default:
                if (format == "uuid")
                {
                    yield return (1, "bad-format", "not-a-uuid", true);
                }
                else if (format is "date" or "date-time")
                {
                    yield return (1, "bad-format", "2025-02-30", true);
                }
                var huge = new string('x', HugeParameterLength);
                yield return (1, "huge-string", huge, Breaks(parameter.Schema, huge));
                if (gen.HasEnum(parameter.Schema))
                {
                    yield return (1, "unknown-enum", "no-such-code", true);
                }
                break;
        }
        if (parameter.In == "query" && parameter.Required)
        {
            yield return (1, "missing-required", null, true);
        }
    }

    private bool Breaks<T>(JsonElement schema, T value) =>
        gen.Validator.Validate(schema, JsonSerializer.SerializeToElement(value)).Count > 0;

    /// <summary>What of the schema a body breaks, in the validator's words; null when the document allows it.</summary>
    private string? Violations(JsonElement schema, JsonNode? value)
    {
        var errors = gen.Validator.Validate(schema, JsonSerializer.SerializeToElement(value));
        return errors.Count == 0 ? null : SchemaValidator.Shorten(string.Join("; ", errors), 300);
    }

    /// <summary>Every member of the body (at any depth, through the first item of each list), with its schema.</summary>
    private IEnumerable<(IReadOnlyList<object> Path, string Display, JsonElement Schema, bool Required)> Slots(
        JsonElement schema, JsonNode? value, IReadOnlyList<object> path, string display, int depth)
    {
        if (depth > 6)
        {
            yield break;
        }
        switch (gen.PrimaryType(schema))
        {
            case "object" when value is JsonObject node:
                var (properties, required, _) = gen.Members(schema);
                foreach (var (name, propertySchema) in properties)
                {
                    IReadOnlyList<object> at = [.. path, name];
                    yield return (at, $"{display}.{name}", propertySchema, required.Contains(name));
                    foreach (var inner in Slots(propertySchema, node[name], at, $"{display}.{name}", depth + 1))
                    {
                        yield return inner;
                    }
                }
                break;
            case "array" when value is JsonArray list && list.Count > 0 && gen.Items(schema) is { } items:
                IReadOnlyList<object> first = [.. path, 0];
                if (gen.PrimaryType(items) is not ("object" or "array"))
                {
                    yield return (first, $"{display}[0]", items, false);
                }
                foreach (var inner in Slots(items, list[0], first, $"{display}[0]", depth + 1))
                {
                    yield return inner;
                }
                break;
        }
    }

    /// <summary>Sentinel: take the member out instead of setting it.</summary>
    private static readonly JsonNode Remove = JsonValue.Create("\u0000remove")!;

    private IEnumerable<(int Priority, string What, Func<JsonNode?> Value)> Changes(JsonElement schema, bool required, PCG pcg)
    {
        var type = gen.PrimaryType(schema);
        var nullable = gen.AllowsNull(schema);
        switch (type)
        {
            case "array":
                yield return (0, "null-in-array", () => new JsonArray((JsonNode?)null));
                yield return (1, "wrong-type", () => new JsonObject { ["unexpected"] = true });
                if (gen.Items(schema) is { } items && gen.HasEnum(items))
                {
                    yield return (1, "unknown-enum", () => new JsonArray("no-such-code"));
                }
                break;
            case "integer":
                var pick = (int)(pcg.Next() % (uint)OutOfRange.Length);
                for (var i = 0; i < OutOfRange.Length; i++)
                {
                    var number = OutOfRange[i];
                    yield return (i == pick ? 0 : 1, $"out-of-range={number}", () => JsonValue.Create(number));
                }
                yield return (1, "wrong-type", () => JsonValue.Create("12"));
                yield return (1, "overflow", () => JsonNode.Parse("2147483648"));
                yield return (1, "fraction", () => JsonValue.Create(1.5m));
                break;
            case "number":
                yield return (1, "out-of-range=-5", () => JsonValue.Create(-5));
                yield return (1, "out-of-range=1e9", () => JsonValue.Create(1_000_000_000));
                yield return (1, "wrong-type", () => JsonValue.Create("1.5"));
                break;
            case "boolean":
                yield return (1, "wrong-type", () => JsonValue.Create("yes"));
                break;
            case "object":
                yield return (1, "wrong-type", () => JsonValue.Create("x"));
                break;
            default:
                yield return (1, "huge-string", () => JsonValue.Create(new string('x', HugeStringLength)));
                yield return (1, "wrong-type", () => JsonValue.Create(12345));
                if (gen.HasEnum(schema))
                {
                    yield return (1, "unknown-enum", () => JsonValue.Create("no-such-code"));
                }
                switch (gen.Format(schema))
                {
                    case "uuid":
                        yield return (1, "bad-format", () => JsonValue.Create("not-a-uuid"));
                        break;
                    case "date" or "date-time":
                        yield return (1, "bad-format", () => JsonValue.Create("2025-02-30"));
                        break;
                }
                break;
        }
        if (required)
        {
            yield return (1, "missing-required", () => Remove);
        }
        if (!nullable)
        {
            yield return (1, required ? "null-required" : "null-not-allowed", () => null);
        }
    }

    private static JsonNode? Apply(JsonNode? body, IReadOnlyList<object> path, Func<JsonNode?> change)
    {
        var copy = body?.DeepClone();
        if (copy is null || path.Count == 0)
        {
            return copy;
        }
        var parent = copy;
        foreach (var step in path.Take(path.Count - 1))
        {
            var next = step is int index ? (parent as JsonArray)?[index] : (parent as JsonObject)?[(string)step];
            if (next is null)
            {
                return copy; // the base has nothing there (an optional member left null): nothing to change
            }
            parent = next;
        }
        var value = change();
        switch (path[^1], parent)
        {
            case (int index, JsonArray array) when index < array.Count:
                if (ReferenceEquals(value, Remove))
                {
                    array.RemoveAt(index);
                }
                else
                {
                    array[index] = value;
                }
                break;
            case (string name, JsonObject obj):
                if (ReferenceEquals(value, Remove))
                {
                    obj.Remove(name);
                }
                else
                {
                    obj[name] = value;
                }
                break;
        }
        return copy;
    }

    private enum BodyKind { Json, Multipart, Other }

    private sealed record Media(BodyKind Kind, string MediaType, JsonElement Schema);

    private static readonly JsonElement AnySchema = JsonDocument.Parse("{}").RootElement.Clone();

    private static Media? MediaOf(ApiOperation operation)
    {
        if (operation.Body is null || operation.Body.Content.Count == 0)
        {
            return null;
        }
        var (type, schema) = operation.Body.Content.OrderBy(c => c.Key.Contains("json", StringComparison.OrdinalIgnoreCase) ? 0 : 1).First();
        var kind = type.Contains("json", StringComparison.OrdinalIgnoreCase) ? BodyKind.Json
            : type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) ? BodyKind.Multipart
            : BodyKind.Other;
        return new Media(kind, type, schema ?? AnySchema);
    }

    private RequestBody? BodyOf(ApiOperation operation, PCG pcg, Shape shape) => MediaOf(operation) switch
    {
        null => null,
        { Kind: BodyKind.Json } json => Raw(Draw(gen.For(json.Schema, shape), pcg)?.ToJsonString(Json) ?? "null", json.MediaType),
        { Kind: BodyKind.Multipart } form => Multipart(form.Schema, pcg, FormFault.None),
        var other => Raw(Text(Draw(gen.For(other.Schema, shape), pcg)) ?? "", other.MediaType),
    };

    private enum FormFault { None, NoParts, EmptyFile, Garbage, Huge, WrongName }

    /// <summary>A form as the document describes it: each binary member a small CSV file, the others text fields.</summary>
    private RequestBody Multipart(JsonElement schema, PCG pcg, FormFault fault)
    {
        var (properties, _, _) = gen.Members(schema);
        var fields = new List<(string Name, bool File, string Text)>();
        foreach (var (name, propertySchema) in properties)
        {
            var isFile = gen.Format(propertySchema) == "binary" || gen.Items(propertySchema) is { } items && gen.Format(items) == "binary";
            fields.Add((name, isFile, isFile ? "" : Text(Draw(gen.For(propertySchema, Shape.Valid, name), pcg)) ?? ""));
        }
        if (fields.Count == 0)
        {
            fields.Add(("file", true, ""));
        }
        var garbage = new byte[2048];
        for (var i = 0; i < garbage.Length; i++)
        {
            garbage[i] = (byte)(pcg.Next() & 0xFF);
        }
        var file = fault switch
        {
            FormFault.EmptyFile => [],
            FormFault.Garbage => garbage,
            FormFault.Huge => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("x,y,z\r\n", 300_000))),
            _ => Encoding.UTF8.GetBytes(SmallCsv),
        };
        var display = fault == FormFault.NoParts
            ? "multipart: no parts"
            : "multipart: " + string.Join(", ", fields.Select(f => f.File ? $"{Rename(f.Name)}=file.csv ({file.Length} bytes)" : $"{f.Name}={SchemaValidator.Shorten(f.Text, 30)}"));
        return new RequestBody(() =>
        {
            var content = new MultipartFormDataContent();
            if (fault != FormFault.NoParts)
            {
                foreach (var (name, isFile, text) in fields)
                {
                    if (isFile)
                    {
                        var part = new ByteArrayContent(file);
                        part.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
                        content.Add(part, Rename(name), "file.csv");
                    }
                    else
                    {
                        content.Add(new StringContent(text), name);
                    }
                }
            }
            return content;
        }, display);

        string Rename(string name) => fault == FormFault.WrongName ? name + "-unexpected" : name;
    }

    private static RequestBody Raw(string text, string mediaType) => new(
        () => new StringContent(text, Encoding.UTF8, MediaTypeHeaderValue.Parse(mediaType.Contains('/', StringComparison.Ordinal) ? mediaType : "application/json")),
        text.Length == 0 ? "(empty body)" : SchemaValidator.Shorten(text, 240));

    private static ContractRequest Build(ApiOperation operation, string category, string what,
        IReadOnlyDictionary<(string In, string Name), string?> parameters, RequestBody? body)
    {
        var path = operation.Path;
        var query = new StringBuilder();
        foreach (var ((place, name), value) in parameters)
        {
            if (place == "path")
            {
                path = path.Replace("{" + name + "}", Uri.EscapeDataString(value ?? ""), StringComparison.Ordinal);
            }
            else if (value is not null)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
        return new ContractRequest(category, what, operation.Method, path + query, body);
    }

    private static string? Text(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(Json),
        _ => value.ToJsonString(Json),
    };

    private static T Draw<T>(Gen<T> generator, PCG pcg) => generator.Generate(pcg, null!, out _);

    private static List<T> Shuffle<T>(List<T> items, PCG pcg)
    {
        var copy = new List<T>(items);
        for (var i = copy.Count - 1; i > 0; i--)
        {
            var j = (int)(pcg.Next() % (uint)(i + 1));
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy;
    }
}
