using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TrainingPlatform.Contract.Tests;

/// <summary>
/// Checks a JSON value against the part of JSON Schema 2020-12 (OpenAPI 3.1) the services' documents use:
/// <c>$ref</c>, <c>type</c> (also as a list such as <c>["null","string"]</c>), <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>enum</c>, <c>const</c>, <c>oneOf/anyOf/allOf</c>, lengths, ranges,
/// <c>pattern</c>, and the formats uuid, date, date-time and int32/int64 (loosely: what .NET writes must pass).
/// Unknown keywords are ignored, as JSON Schema says.
/// </summary>
public sealed class SchemaValidator(ApiDocument document)
{
    private const int MaxErrors = 5;

    /// <summary>Why <paramref name="value"/> does not match <paramref name="schema"/>; empty when it does.</summary>
    public IReadOnlyList<string> Validate(JsonElement schema, JsonElement value)
    {
        var errors = new List<string>();
        Check(schema, value, "$", errors, 0);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string at, List<string> errors, int depth)
    {
        if (errors.Count >= MaxErrors || depth > 64 || schema.ValueKind != JsonValueKind.Object)
        {
            return; // `true`/`false` schemas do not occur in these documents
        }
        if (schema.TryGetProperty("$ref", out _))
        {
            Check(document.Resolve(schema), value, at, errors, depth + 1);
        }
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var part in allOf.EnumerateArray())
            {
                Check(part, value, at, errors, depth + 1);
            }
        }
        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(part => Matches(part, value, depth)))
        {
            errors.Add($"{at}: matches none of anyOf ({Describe(value)})");
        }
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var matching = oneOf.EnumerateArray().Count(part => Matches(part, value, depth));
            if (matching != 1)
            {
                errors.Add($"{at}: matches {matching} of oneOf, not exactly one ({Describe(value)})");
            }
        }
        if (schema.TryGetProperty("type", out var type) && !TypeMatches(type, value))
        {
            errors.Add($"{at}: expected {type.GetRawText().Replace("\"", "", StringComparison.Ordinal)}, got {Describe(value)}");
            return;
        }
        if (schema.TryGetProperty("enum", out var choices) && !choices.EnumerateArray().Any(choice => JsonElement.DeepEquals(choice, value)))
        {
            errors.Add($"{at}: {Describe(value)} is not one of the enum {Shorten(choices.GetRawText(), 120)}");
        }
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            errors.Add($"{at}: {Describe(value)} is not the const {constant.GetRawText()}");
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                CheckObject(schema, value, at, errors, depth);
                break;
            case JsonValueKind.Array:
                CheckArray(schema, value, at, errors, depth);
                break;
            case JsonValueKind.String:
                CheckString(schema, value.GetString()!, at, errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(schema, value, at, errors);
                break;
        }
    }

    private bool Matches(JsonElement schema, JsonElement value, int depth)
    {
        var errors = new List<string>();
        Check(schema, value, "$", errors, depth + 1);
        return errors.Count == 0;
    }

    private void CheckObject(JsonElement schema, JsonElement value, string at, List<string> errors, int depth)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!value.TryGetProperty(name, out _))
                {
                    errors.Add($"{at}: required member '{name}' is missing");
                }
            }
        }
        var properties = schema.TryGetProperty("properties", out var declared) ? declared : default;
        var hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        foreach (var member in value.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(member.Name, out var propertySchema))
            {
                Check(propertySchema, member.Value, $"{at}.{member.Name}", errors, depth + 1);
            }
            else if (hasAdditional)
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    errors.Add($"{at}: member '{member.Name}' is not allowed (additionalProperties: false)");
                }
                else
                {
                    Check(additional, member.Value, $"{at}.{member.Name}", errors, depth + 1);
                }
            }
        }
    }

    private void CheckArray(JsonElement schema, JsonElement value, string at, List<string> errors, int depth)
    {
        var count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && count < min.GetInt32())
        {
            errors.Add($"{at}: {count} items, fewer than minItems {min.GetInt32()}");
        }
        if (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32())
        {
            errors.Add($"{at}: {count} items, more than maxItems {max.GetInt32()}");
        }
        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(items, item, $"{at}[{index++}]", errors, depth + 1);
                if (errors.Count >= MaxErrors)
                {
                    return;
                }
            }
        }
    }

    private static void CheckString(JsonElement schema, string text, string at, List<string> errors)
    {
        var length = new StringInfo(text).LengthInTextElements;
        if (schema.TryGetProperty("minLength", out var min) && length < min.GetInt32())
        {
            errors.Add($"{at}: length {length} below minLength {min.GetInt32()}");
        }
        if (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32())
        {
            errors.Add($"{at}: length {length} above maxLength {max.GetInt32()}");
        }
        if (schema.TryGetProperty("pattern", out var pattern) && !Regex.IsMatch(text, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            errors.Add($"{at}: \"{Shorten(text, 40)}\" does not match pattern {pattern.GetString()}");
        }
        if (schema.TryGetProperty("format", out var format) && !FormatMatches(format.GetString(), text))
        {
            errors.Add($"{at}: \"{Shorten(text, 40)}\" is not a {format.GetString()}");
        }
    }

    private static void CheckNumber(JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        var number = value.GetDouble();
        if (schema.TryGetProperty("minimum", out var min) && number < min.GetDouble())
        {
            errors.Add($"{at}: {value.GetRawText()} below minimum {min.GetRawText()}");
        }
        if (schema.TryGetProperty("maximum", out var max) && number > max.GetDouble())
        {
            errors.Add($"{at}: {value.GetRawText()} above maximum {max.GetRawText()}");
        }
        if (schema.TryGetProperty("exclusiveMinimum", out var exMin) && exMin.ValueKind == JsonValueKind.Number && number <= exMin.GetDouble())
        {
            errors.Add($"{at}: {value.GetRawText()} not above exclusiveMinimum {exMin.GetRawText()}");
        }
        if (schema.TryGetProperty("exclusiveMaximum", out var exMax) && exMax.ValueKind == JsonValueKind.Number && number >= exMax.GetDouble())
        {
            errors.Add($"{at}: {value.GetRawText()} not below exclusiveMaximum {exMax.GetRawText()}");
        }
        if (schema.TryGetProperty("format", out var format))
        {
            var fits = format.GetString() switch
            {
                "int32" => value.TryGetInt32(out _) || IsWhole(value) && number is >= int.MinValue and <= int.MaxValue,
                "int64" => value.TryGetInt64(out _) || IsWhole(value),
                _ => true,
            };
            if (!fits)
            {
                errors.Add($"{at}: {value.GetRawText()} is not an {format.GetString()}");
            }
        }
    }

    private static bool TypeMatches(JsonElement type, JsonElement value) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => IsOfType(t.GetString(), value))
        : IsOfType(type.GetString(), value);

    private static bool IsOfType(string? type, JsonElement value) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && IsWhole(value),
        _ => true,
    };

    private static bool IsWhole(JsonElement value) =>
        value.TryGetInt64(out _) || value.TryGetDecimal(out var d) && d == decimal.Truncate(d) || value.GetDouble() is var x && x == Math.Floor(x) && !double.IsInfinity(x);

    private static bool FormatMatches(string? format, string text) => format switch
    {
        "uuid" => Guid.TryParse(text, out _),
        "date" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "date-time" => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && text.Contains('T', StringComparison.Ordinal),
        _ => true,
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => Shorten(value.GetRawText(), 40),
    };

    public static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + $"…({text.Length} chars)";
}
