using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;

namespace TrainingPlatform.Contract.Tests;

/// <summary>How a generated value sits in the space its schema allows.</summary>
public enum Shape
{
    /// <summary>Required members always, optional ones often, values anywhere in range.</summary>
    Valid,

    /// <summary>Every member present and not null, lists with at least one item: the base the malformed requests mutate.</summary>
    Full,

    /// <summary>Required members only; shortest strings, smallest numbers, empty lists.</summary>
    Minimal,

    /// <summary>Every member; longest strings, largest numbers, longest lists.</summary>
    Maximal,
}

/// <summary>
/// CsCheck generators of JSON values from the schemas in a service's document (JSON Schema 2020-12 as OpenAPI 3.1
/// writes it). Values the document calls valid: enums' values, uuid/date/date-time formats, strings within their
/// lengths, numbers within their ranges; for a string or id named like something a response already contained, often
/// that real value (<see cref="ValuePool"/>), so requests reach past "not found".
/// </summary>
public sealed partial class SchemaGen(ApiDocument document, ValuePool pool)
{
    private const int MaxDepth = 8;

    public SchemaValidator Validator { get; } = new(document);
    private const string Letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    private const string Chinese = "张王李赵刘陈杨黄周吴语文数学英物理化生小学初中高幼儿园教师培训研修课程";
    private static readonly DateOnly Epoch = new(2024, 1, 1);

    public Gen<JsonNode?> For(JsonElement schema, Shape shape, string name = "", int depth = 0)
    {
        if (depth > MaxDepth || schema.ValueKind != JsonValueKind.Object)
        {
            return Nothing;
        }
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("const", out var constant))
        {
            return Fresh(constant.GetRawText());
        }
        if (schema.TryGetProperty("enum", out var choices) && choices.GetArrayLength() > 0)
        {
            var raw = choices.EnumerateArray().Where(c => c.ValueKind != JsonValueKind.Null).Select(c => c.GetRawText()).ToArray();
            return shape switch
            {
                Shape.Minimal => Fresh(raw[0]),
                Shape.Maximal => Fresh(raw[^1]),
                _ => Gen.OneOf(raw).Select(text => JsonNode.Parse(text)),
            };
        }
        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(keyword, out var branches))
            {
                var concrete = branches.EnumerateArray().Where(b => !IsNullOnly(b)).Select(b => For(b, shape, name, depth + 1)).ToArray();
                return concrete.Length == 0 ? Nothing : Gen.OneOf(concrete);
            }
        }
        return PrimaryType(schema) switch
        {
            "object" => ObjectGen(schema, shape, depth),
            "array" => ArrayGen(schema, shape, name, depth),
            "integer" => IntegerGen(schema, shape, name),
            "number" => NumberGen(schema, shape),
            "boolean" => shape switch
            {
                Shape.Minimal => Gen.Const<JsonNode?>(() => JsonValue.Create(false)),
                Shape.Maximal => Gen.Const<JsonNode?>(() => JsonValue.Create(true)),
                _ => Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            },
            "null" => Nothing,
            _ => StringGen(schema, shape, name),
        };
    }

    /// <summary>The schema's type other than null; inferred from its keywords when not given.</summary>
    public string PrimaryType(JsonElement schema)
    {
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            return types.FirstOrDefault(t => t != "null") ?? "null";
        }
        if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("additionalProperties", out _) || schema.TryGetProperty("allOf", out _))
        {
            return "object";
        }
        if (schema.TryGetProperty("items", out _))
        {
            return "array";
        }
        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(keyword, out var branches))
            {
                return branches.EnumerateArray().Where(b => !IsNullOnly(b)).Select(PrimaryType).FirstOrDefault() ?? "null";
            }
        }
        return schema.TryGetProperty("enum", out var choices) && choices.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.Number)
            ? "number"
            : "string";
    }

    /// <summary>Whether null is a value the schema allows.</summary>
    public bool AllowsNull(JsonElement schema)
    {
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("type", out var type))
        {
            return type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Any(t => t.GetString() == "null") : type.GetString() == "null";
        }
        return new[] { "oneOf", "anyOf" }.Any(k => schema.TryGetProperty(k, out var branches) && branches.EnumerateArray().Any(IsNullOnly));
    }

    /// <summary>The schema with its references, nullable wrappers and allOf parts taken apart: an object's members.</summary>
    public (IReadOnlyList<(string Name, JsonElement Schema)> Properties, IReadOnlySet<string> Required, JsonElement? Additional) Members(JsonElement schema)
    {
        var properties = new List<(string, JsonElement)>();
        var required = new HashSet<string>(StringComparer.Ordinal);
        JsonElement? additional = null;
        void Collect(JsonElement part, int depth)
        {
            part = document.Resolve(part);
            if (depth > MaxDepth || part.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            if (part.TryGetProperty("properties", out var declared))
            {
                properties.AddRange(declared.EnumerateObject().Where(p => properties.All(q => q.Item1 != p.Name)).Select(p => (p.Name, p.Value)));
            }
            if (part.TryGetProperty("required", out var names))
            {
                required.UnionWith(names.EnumerateArray().Select(n => n.GetString()!));
            }
            if (part.TryGetProperty("additionalProperties", out var more) && more.ValueKind == JsonValueKind.Object)
            {
                additional = more;
            }
            foreach (var keyword in new[] { "allOf", "oneOf", "anyOf" })
            {
                if (part.TryGetProperty(keyword, out var parts))
                {
                    // oneOf/anyOf: the first concrete branch, as the generator takes it
                    foreach (var branch in keyword == "allOf" ? parts.EnumerateArray() : parts.EnumerateArray().Where(b => !IsNullOnly(b)).Take(1))
                    {
                        Collect(branch, depth + 1);
                    }
                }
            }
        }
        Collect(schema, 0);
        return (properties, required, additional);
    }

    /// <summary>The item schema of an array schema (through references and nullable wrappers), if any.</summary>
    public JsonElement? Items(JsonElement schema)
    {
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("items", out var items))
        {
            return items;
        }
        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(keyword, out var branches))
            {
                return branches.EnumerateArray().Where(b => !IsNullOnly(b)).Select(Items).FirstOrDefault(i => i is not null);
            }
        }
        return null;
    }

    /// <summary>The enum values of a schema (through references and nullable wrappers), if it has one.</summary>
    public bool HasEnum(JsonElement schema)
    {
        schema = document.Resolve(schema);
        return schema.TryGetProperty("enum", out _)
               || new[] { "oneOf", "anyOf" }.Any(k => schema.TryGetProperty(k, out var branches) && branches.EnumerateArray().Any(b => !IsNullOnly(b) && HasEnum(b)));
    }

    public string? Format(JsonElement schema)
    {
        schema = document.Resolve(schema);
        if (schema.TryGetProperty("format", out var format))
        {
            return format.GetString();
        }
        foreach (var keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(keyword, out var branches))
            {
                return branches.EnumerateArray().Where(b => !IsNullOnly(b)).Select(Format).FirstOrDefault(f => f is not null);
            }
        }
        return null;
    }

    private bool IsNullOnly(JsonElement schema)
    {
        schema = document.Resolve(schema);
        return schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "null";
    }

    private Gen<JsonNode?> ObjectGen(JsonElement schema, Shape shape, int depth)
    {
        var (properties, required, additional) = Members(schema);
        var members = new List<Gen<(string Name, bool Present, JsonNode? Value)>>();
        foreach (var (name, propertySchema) in properties)
        {
            var value = For(propertySchema, shape, name, depth + 1);
            var isRequired = required.Contains(name);
            members.Add(shape switch
            {
                Shape.Minimal when !isRequired => Gen.Const((name, false, (JsonNode?)null)),
                Shape.Valid when !isRequired => Gen.Int[0, 9].SelectMany(roll => roll switch
                {
                    < 6 => value.Select(v => (name, true, v)),
                    6 when AllowsNull(propertySchema) => Gen.Const((name, true, (JsonNode?)null)),
                    _ => Gen.Const((name, false, (JsonNode?)null)),
                }),
                _ => value.Select(v => (name, true, v)),
            });
        }
        if (properties.Count == 0 && additional is { } map)
        {
            // A dictionary: a few entries keyed by short codes.
            var (min, max) = shape switch { Shape.Minimal => (0, 0), Shape.Maximal => (3, 3), _ => (1, 2) };
            var key = Gen.Char[Letters].Array[2, 8].Select(chars => new string(chars));
            return Gen.Select(key, For(map, shape, "", depth + 1), (k, v) => (k, v)).Array[min, max].Select(entries =>
            {
                var result = new JsonObject();
                foreach (var (k, v) in entries)
                {
                    result[k] = v;
                }
                return (JsonNode?)result;
            });
        }
        return Sequence(members).Select(values =>
        {
            var result = new JsonObject();
            foreach (var (name, present, value) in values)
            {
                if (present)
                {
                    result[name] = value;
                }
            }
            return (JsonNode?)result;
        });
    }

    private Gen<JsonNode?> ArrayGen(JsonElement schema, Shape shape, string name, int depth)
    {
        var resolved = document.Resolve(schema);
        var minItems = resolved.TryGetProperty("minItems", out var min) ? min.GetInt32() : 0;
        var maxItems = resolved.TryGetProperty("maxItems", out var max) ? max.GetInt32() : int.MaxValue;
        var (low, high) = shape switch
        {
            Shape.Minimal => (minItems, minItems),
            Shape.Maximal => (Math.Min(maxItems, Math.Max(minItems, 20)), Math.Min(maxItems, Math.Max(minItems, 20))),
            Shape.Full => (Math.Max(minItems, 1), Math.Max(minItems, Math.Min(maxItems, 2))),
            _ => (Math.Max(minItems, 1), Math.Max(Math.Max(minItems, 1), Math.Min(maxItems, 3))),
        };
        var items = Items(schema) is { } itemSchema ? For(itemSchema, shape, Singular(name), depth + 1) : Gen.Const<JsonNode?>(() => "x");
        return items.Array[low, high].Select(values => (JsonNode?)new JsonArray(values));
    }

    private Gen<JsonNode?> IntegerGen(JsonElement schema, Shape shape, string name)
    {
        var resolved = document.Resolve(schema);
        var format = Format(schema);
        var typeMin = format == "int64" ? long.MinValue : int.MinValue;
        var typeMax = format == "int64" ? long.MaxValue : int.MaxValue;
        long? minimum = resolved.TryGetProperty("minimum", out var min) ? (long)Math.Ceiling(min.GetDouble()) : null;
        long? maximum = resolved.TryGetProperty("maximum", out var max) ? (long)Math.Floor(max.GetDouble()) : null;
        if (resolved.TryGetProperty("exclusiveMinimum", out var exMin) && exMin.ValueKind == JsonValueKind.Number)
        {
            minimum = (long)Math.Floor(exMin.GetDouble()) + 1;
        }
        if (resolved.TryGetProperty("exclusiveMaximum", out var exMax) && exMax.ValueKind == JsonValueKind.Number)
        {
            maximum = (long)Math.Ceiling(exMax.GetDouble()) - 1;
        }
        if (shape == Shape.Minimal)
        {
            return Number(minimum ?? 0);
        }
        if (shape == Shape.Maximal)
        {
            return Number(maximum ?? typeMax);
        }
        var real = pool.Numbers(name);
        // Unbounded: small counts and years, the numbers an API like this meets.
        var low = minimum ?? Math.Max(typeMin, Math.Min(0, maximum ?? 0));
        var high = maximum ?? Math.Min(typeMax, Math.Max(low + 100, 2030));
        var drawn = Gen.Long[low, Math.Max(low, high)];
        var typical = minimum is null && maximum is null
            ? Gen.OneOf(Gen.Long[1, 100], Gen.Long[DateTime.UtcNow.Year - 3, DateTime.UtcNow.Year + 1])
            : drawn;
        var gen = real.Count > 0 ? Gen.OneOf(typical, Gen.OneOf(real.ToArray())) : typical;
        return gen.Select(v => (JsonNode?)JsonValue.Create(v));

        static Gen<JsonNode?> Number(long value) => Gen.Const<JsonNode?>(() => JsonValue.Create(value));
    }

    private Gen<JsonNode?> NumberGen(JsonElement schema, Shape shape)
    {
        var resolved = document.Resolve(schema);
        double? minimum = resolved.TryGetProperty("minimum", out var min) ? min.GetDouble() : null;
        double? maximum = resolved.TryGetProperty("maximum", out var max) ? max.GetDouble() : null;
        return shape switch
        {
            Shape.Minimal => Gen.Const<JsonNode?>(() => JsonValue.Create((decimal)(minimum ?? 0))),
            Shape.Maximal => Gen.Const<JsonNode?>(() => JsonValue.Create((decimal)(maximum ?? 1_000_000))),
            // Tenths, as hours are written.
            _ => Gen.Int[(int)Math.Ceiling((minimum ?? 0) * 10), (int)Math.Floor(Math.Min(maximum ?? 100, 1_000_000) * 10)]
                .Select(tenths => (JsonNode?)JsonValue.Create(tenths / 10m)),
        };
    }

    private Gen<JsonNode?> StringGen(JsonElement schema, Shape shape, string name)
    {
        var resolved = document.Resolve(schema);
        var format = Format(schema);
        var real = pool.Strings(name, format);
        Gen<string> gen;
        switch (format)
        {
            case "uuid":
                gen = Gen.Guid.Select(g => g.ToString());
                break;
            case "date":
                gen = Gen.Int[0, 3 * 365].Select(days => Epoch.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case "date-time":
                gen = Gen.Int[0, 3 * 365 * 24].Select(hours => new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(8)).AddHours(hours)
                    .ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
                break;
            case "binary" or "byte":
                gen = Gen.Const("dGVzdA==");
                break;
            default:
                var minLength = resolved.TryGetProperty("minLength", out var min) ? min.GetInt32() : 0;
                int? maxLength = resolved.TryGetProperty("maxLength", out var max) ? max.GetInt32() : null;
                if (resolved.TryGetProperty("pattern", out var pattern) && Alternatives(pattern.GetString()!) is { Length: > 0 } words)
                {
                    gen = shape switch { Shape.Minimal => Gen.Const(words[0]), Shape.Maximal => Gen.Const(words[^1]), _ => Gen.OneOf(words) };
                    break;
                }
                var (low, high) = shape switch
                {
                    Shape.Minimal => (minLength, minLength),
                    Shape.Maximal => (maxLength ?? Math.Max(minLength, 256), maxLength ?? Math.Max(minLength, 256)),
                    _ => (Math.Max(minLength, 1), Math.Max(Math.Max(minLength, 1), Math.Min(maxLength ?? 16, 16))),
                };
                var chars = Gen.Frequency((4, Gen.Char[Letters]), (1, Gen.Char[Chinese]));
                gen = chars.Array[low, high].Select(a => new string(a));
                break;
        }
        if (shape is Shape.Valid or Shape.Full && real.Count > 0)
        {
            gen = Gen.Frequency((1, gen), (1, Gen.OneOf(real.ToArray())));
        }
        return gen.Select(s => (JsonNode?)JsonValue.Create(s));
    }

    /// <summary>The words of a pattern like <c>^(teachers|schools)$</c>; nothing for any other pattern.</summary>
    private static string[] Alternatives(string pattern) =>
        AlternativesPattern().Match(pattern) is { Success: true } match ? match.Groups[1].Value.Split('|') : [];

    private static string Singular(string name) => name.EndsWith("ies", StringComparison.Ordinal) ? name[..^3] + "y"
        : name.EndsWith('s') ? name[..^1] : name;

    private static readonly Gen<JsonNode?> Nothing = Gen.Const<JsonNode?>(() => null);

    // Each draw a new node: a node belongs to one parent.
    private static Gen<JsonNode?> Fresh(string rawJson) => Gen.Const(() => JsonNode.Parse(rawJson));

    private static Gen<T[]> Sequence<T>(IReadOnlyList<Gen<T>> gens) =>
        gens.Aggregate(Gen.Const(() => Array.Empty<T>()), (acc, gen) => acc.SelectMany(list => gen.Select(v => (T[])[.. list, v])));

    [GeneratedRegex(@"^\^\(?([\w-]+(?:\|[\w-]+)*)\)?\$$")]
    private static partial Regex AlternativesPattern();
}
