using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>
/// What was wrong with a request the framework could not read, said for people: the field (the JSON path as the
/// client spelled it, <c>teacherIds[0]</c>, or a query parameter's name), a kebab-case rule, and Chinese words. The
/// framework's own messages name .NET types and are English; none of that reaches a caller.
/// </summary>
public static partial class UnreadableRequest
{
    /// <summary>The JSON is not JSON at all (a syntax error, a truncated body).</summary>
    public const string InvalidJson = "invalid-json";

    /// <summary>A value of the wrong JSON type: a number where a date belongs, an object where a list does.</summary>
    public const string WrongType = "wrong-type";

    public const string Required = "required";

    /// <summary>The field of a fault in the body as a whole.</summary>
    public const string Body = "body";

    public sealed record Fault(int Status, string Field, string Rule, string Words);

    /// <summary>
    /// The fault of <paramref name="exception"/>; with the type the endpoint reads its body as (<paramref name="bodyType"/>)
    /// and the serializer's <paramref name="json"/> options, the words say what type the field at fault should be.
    /// </summary>
    public static Fault Describe(BadHttpRequestException exception, Type? bodyType = null, JsonSerializerOptions? json = null)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(exception.StatusCode, Body, "too-large", "请求内容过大");
        }
        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return new(exception.StatusCode, Body, "unsupported-media-type", "请求内容应为 JSON（Content-Type: application/json）");
        }
        if (exception.InnerException is JsonException reading)
        {
            return Describe(reading, bodyType, json);
        }
        var message = exception.Message;
        if (BindFailure().Match(message) is { Success: true } bind)
        {
            return new(StatusCodes.Status400BadRequest, bind.Groups["name"].Value, WrongType, $"应为{Expected(bind.Groups["type"].Value)}");
        }
        if (MissingParameter().Match(message) is { Success: true } missing)
        {
            return missing.Groups["source"].Value.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? new(StatusCodes.Status400BadRequest, Body, Required, "请求内容为空：应为一个 JSON 对象")
                : new(StatusCodes.Status400BadRequest, missing.Groups["name"].Value, Required, "必填");
        }
        if (message.Contains("no body was provided", StringComparison.OrdinalIgnoreCase))
        {
            return new(StatusCodes.Status400BadRequest, Body, Required, "请求内容为空：应为一个 JSON 对象");
        }
        return new(exception.StatusCode, Body, "bad-request", "请求无法读取，请检查请求内容和参数");
    }

    public static Fault Describe(JsonException exception, Type? bodyType = null, JsonSerializerOptions? json = null)
    {
        var field = Field(exception.Path);
        var line = (exception.LineNumber ?? 0) + 1;
        var position = (exception.BytePositionInLine ?? 0) + 1;
        // A syntax error comes from the reader; a value of the wrong type from a converter, which names the type it wanted.
        if (exception.GetType().Name == "JsonReaderException" || exception.InnerException?.GetType().Name == "JsonReaderException" || ConvertedTo().Match(exception.Message) is not { Success: true } converted)
        {
            return new(StatusCodes.Status400BadRequest, field, InvalidJson,
                exception.Message.Contains("does not contain any JSON tokens", StringComparison.Ordinal)
                    ? "请求内容为空：应为一个 JSON 对象"
                    : $"请求内容不是有效的 JSON（第 {line} 行第 {position} 个字节附近有语法错误）");
        }
        // The message names the type being built, which for a record's property is the record: the path says which value it was.
        var expected = bodyType is not null && json is not null && TypeAt(bodyType, exception.Path, json) is { } type
            ? Expected(type)
            : Expected(converted.Groups["type"].Value);
        var got = exception.InnerException is { } inner && TokenType().Match(inner.Message) is { Success: true } token ? token.Groups["token"].Value : null;
        if (got == "Null")
        {
            return new(StatusCodes.Status400BadRequest, field, Required, field.EndsWith(']')
                ? "列表中的这一项为空（null），请删除或填写完整"
                : $"不能为空（null）：应为{expected}");
        }
        return new(StatusCodes.Status400BadRequest, field, WrongType,
            got is not null && Token(got) is { } actual ? $"类型不对：应为{expected}，收到的是{actual}" : $"类型或格式不对：应为{expected}");
    }

    /// <summary>The JSON path without its root: <c>$.reports[2].percent</c> → <c>reports[2].percent</c>; the root itself is the body.</summary>
    public static string Field(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return Body;
        }
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>The declared type of the value at <paramref name="path"/> (<c>$.reports[0].percent</c>) inside <paramref name="root"/>, if it can be followed.</summary>
    public static Type? TypeAt(Type root, string? path, JsonSerializerOptions json)
    {
        var type = root;
        foreach (Match segment in PathSegment().Matches(path ?? "$"))
        {
            JsonTypeInfo info;
            try
            {
                info = json.GetTypeInfo(type);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
            {
                return null;
            }
            if (segment.Groups["index"].Success)
            {
                type = info.ElementType;
            }
            else
            {
                var name = segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Value;
                type = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name,
                    json.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))?.PropertyType;
            }
            if (type is null)
            {
                return null;
            }
        }
        return type;
    }

    private static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t != typeof(string) && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)))
        {
            return "对象（{ … }）";
        }
        if (t != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
        {
            return "列表（[ … ]）";
        }
        return Expected(t.FullName ?? t.Name);
    }

    /// <summary>What a .NET type (as the framework names it) is called for people.</summary>
    private static string Expected(string type)
    {
        var t = NullableOf().Match(type) is { Success: true } nullable ? nullable.Groups["inner"].Value : type.TrimEnd('?');
        return t switch
        {
            "System.Guid" or "Guid" => "编号（GUID，形如 3f2504e0-4f89-11d3-9a0c-0305e82c3301）",
            "System.DateOnly" or "DateOnly" => "日期（yyyy-MM-dd，如 2024-09-01）",
            "System.DateTime" or "System.DateTimeOffset" or "DateTime" or "DateTimeOffset" => "时间（ISO 8601，如 2024-09-01T08:00:00+08:00）",
            "System.TimeOnly" or "TimeOnly" => "时刻（HH:mm，如 08:30）",
            "System.Int16" or "System.Int32" or "System.Int64" or "System.Byte" or "int" or "long" or "short" or "byte" => "整数",
            "System.Decimal" or "System.Double" or "System.Single" or "decimal" or "double" or "float" => "数字",
            "System.Boolean" or "bool" => "true 或 false",
            "System.String" or "string" => "文本（用双引号括起）",
            _ when t.EndsWith("[]", StringComparison.Ordinal) || t.Contains("List`", StringComparison.Ordinal)
                || t.Contains("Collection`", StringComparison.Ordinal) || t.Contains("Enumerable`", StringComparison.Ordinal) => "列表（[ … ]）",
            _ when t.Contains("Dictionary`", StringComparison.Ordinal) => "对象（{ … }）",
            _ => "对象（{ … }）",
        };
    }

    private static string? Token(string token) => token switch
    {
        "String" or "PropertyName" => "文本",
        "Number" => "数字",
        "True" or "False" => "true/false",
        "StartObject" => "对象",
        "StartArray" => "列表",
        _ => null,
    };

    [GeneratedRegex(@"converted to (?<type>\S+?)\.? Path:", RegexOptions.CultureInvariant)]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^']|'')*)'\]|\[(?<index>\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex PathSegment();

    [GeneratedRegex(@"token type '(?<token>\w+)'", RegexOptions.CultureInvariant)]
    private static partial Regex TokenType();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<inner>.+)\]$", RegexOptions.CultureInvariant)]
    private static partial Regex NullableOf();

    [GeneratedRegex("""Failed to bind parameter "(?<type>.+) (?<name>[^ "]+)" from""", RegexOptions.CultureInvariant)]
    private static partial Regex BindFailure();

    [GeneratedRegex("""Required parameter "(?<type>.+) (?<name>[^ "]+)" was not provided from (?<source>.+?)\.?$""", RegexOptions.CultureInvariant)]
    private static partial Regex MissingParameter();
}
