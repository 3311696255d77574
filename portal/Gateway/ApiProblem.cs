using System.Net;
using System.Text.Json;

namespace TrainingPlatform.Portal.Gateway;

/// <summary>
/// What went wrong with an API call, in words a user can read: the service's own Chinese message (its RFC 7807
/// <c>detail</c>, or the title), and each field's broken rules (<c>errors</c>). Never a bare status code.
/// </summary>
public sealed record ApiProblem(int Status, string Message, IReadOnlyDictionary<string, string[]> FieldErrors)
{
    private static readonly IReadOnlyDictionary<string, string[]> NoFields = new Dictionary<string, string[]>();

    /// <summary>The portal could not reach the platform at all.</summary>
    public static ApiProblem Unreachable { get; } = new(0, "暂时无法连接到平台服务，请稍后再试。", NoFields);

    /// <summary>A read got no answer in time.</summary>
    public static ApiProblem TimedOut { get; } = new(504, "平台服务响应超时，请稍后再试。", NoFields);

    /// <summary>A change got no answer in time: it may still be carried out.</summary>
    public static ApiProblem TimedOutWhileChanging { get; } =
        new(504, "平台服务响应超时：操作可能仍在进行，请稍后刷新页面确认结果，再决定是否重试。", NoFields);

    public bool IsSignedOut => Status == (int)HttpStatusCode.Unauthorized;

    /// <summary>The rules <paramref name="field"/> breaks (also <c>field[3]</c> and <c>field.part</c>), or none.</summary>
    public IEnumerable<string> ErrorsFor(string field) => FieldErrors
        .Where(e => Matches(e.Key, field))
        .SelectMany(e => e.Value);

    /// <summary>The rules broken by fields the page does not show next to an input of its own.</summary>
    public IEnumerable<string> ErrorsExcept(IReadOnlyCollection<string> shownFields) => FieldErrors
        .Where(e => !shownFields.Any(f => Matches(e.Key, f)))
        .SelectMany(e => e.Value);

    private static bool Matches(string key, string field) =>
        key.Equals(field, StringComparison.OrdinalIgnoreCase)
        || (key.StartsWith(field, StringComparison.OrdinalIgnoreCase) && key.Length > field.Length && key[field.Length] is '[' or '.');

    public static ApiProblem From(HttpStatusCode status, string? body)
    {
        string? title = null, detail = null;
        var fields = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                var root = json.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    title = Text(root, "title");
                    detail = Text(root, "detail");
                    if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var field in errors.EnumerateObject())
                        {
                            fields[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                                ? [.. field.Value.EnumerateArray().Select(r => ChineseOnly(r.GetString() ?? ""))]
                                : [ChineseOnly(field.Value.ToString())];
                        }
                    }
                    // Some 409s name the field they concern.
                    if (Text(root, "field") is { } named && detail is not null && fields.Count == 0)
                    {
                        fields[named] = [ChineseOnly(detail)];
                    }
                }
            }
            catch (JsonException)
            {
                // Not a problem document (a proxy's page, say): the status decides the words below.
            }
        }

        // With field errors the generic "see errors" detail says nothing the fields do not.
        var message = fields.Count > 0 ? "请按提示修改后再提交。" : ChineseOnly(detail ?? title ?? "");
        return new ApiProblem((int)status, message.Length > 0 ? message : ByStatus(status), fields);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string ByStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "登录已失效，请重新登录。",
        HttpStatusCode.Forbidden => "当前账号无权进行此操作。",
        HttpStatusCode.NotFound => "要找的内容不存在，或不在你的管理范围内。",
        HttpStatusCode.Conflict => "操作与当前数据冲突，请刷新后再试。",
        HttpStatusCode.TooManyRequests => "请求过于频繁，请稍后再试。",
        HttpStatusCode.RequestEntityTooLarge => "文件过大。",
        HttpStatusCode.GatewayTimeout => "平台服务响应超时，请稍后再试。",
        >= HttpStatusCode.InternalServerError => "平台服务暂时不可用，请稍后再试。",
        _ => "请求未被接受，请检查后再试。",
    };

    /// <summary>
    /// The services write "中文说明 (English gloss)"; users see the Chinese. A trailing parenthesis without any CJK
    /// character is the gloss.
    /// </summary>
    internal static string ChineseOnly(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith(')'))
        {
            var open = trimmed.LastIndexOf('(');
            if (open > 0 && !trimmed[open..].Any(IsCjk))
            {
                return trimmed[..open].TrimEnd();
            }
        }
        return trimmed;
    }

    private static bool IsCjk(char c) => c is >= '\u3000' and <= '\u9fff' or >= '\uff00' and <= '\uffef';
}

/// <summary>An API call's answer: the value, or the problem to show.</summary>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem)
{
    public bool Ok => Problem is null;
}
