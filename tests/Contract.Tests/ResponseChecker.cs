using System.Text;
using System.Text.Json;

namespace TrainingPlatform.Contract.Tests;

/// <summary>What one response broke of the contract: a kind (for counting) and why, in words.</summary>
public sealed record Breach(string Kind, string Why);

/// <summary>
/// Holds a response to its operation's documented responses: no 5xx; a status the document lists; errors in
/// <c>application/problem+json</c>; a body where (and only where) the document describes one, of a documented media
/// type, matching the documented schema; and no 2xx to a request that breaks the documented request schema.
/// </summary>
public sealed class ResponseChecker(ApiDocument document)
{
    public const string ServerError = "server-error";
    public const string UndocumentedStatus = "undocumented-status";
    public const string NotProblemJson = "error-not-problem-json";
    public const string UndocumentedBody = "undocumented-body";
    public const string UndocumentedContentType = "undocumented-content-type";
    public const string MissingBody = "missing-body";
    public const string SchemaMismatch = "schema-mismatch";
    public const string Timeout = "timeout";
    public const string Exception = "exception";

    /// <summary>A 2xx to a request that breaks the operation's documented schema: the document and the rules disagree.</summary>
    public const string AcceptedMalformed = "accepted-malformed";

    /// <summary>Most serious first: the order findings are listed in.</summary>
    public static readonly string[] Severity =
        [ServerError, Exception, Timeout, UndocumentedStatus, AcceptedMalformed, SchemaMismatch, NotProblemJson, UndocumentedContentType, MissingBody, UndocumentedBody];

    private readonly SchemaValidator _validator = new(document);

    /// <param name="breaks">What documented constraint the request breaks, if it breaks one: then a 2xx is a breach.</param>
    public IEnumerable<Breach> Check(ApiOperation operation, int status, string? mediaType, byte[] body, int? tolerated = null, string? breaks = null)
    {
        if (status >= 500)
        {
            yield return new Breach(ServerError, $"{status}: {Gist(body)}");
            yield break;
        }
        if (status is >= 200 and < 300 && breaks is not null)
        {
            yield return new Breach(AcceptedMalformed, $"{status} to a request the document rules out: {breaks}");
        }
        var documented = Lookup(operation.Responses, status);
        if (documented is null && status != tolerated)
        {
            yield return new Breach(UndocumentedStatus, $"{status} is not among the documented {string.Join("/", operation.Responses.Keys)}");
        }
        if (status >= 400 && !string.Equals(mediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            yield return new Breach(NotProblemJson, $"{status} answered with {(body.Length == 0 ? "no body" : mediaType ?? "a body without Content-Type")}");
            yield break;
        }
        if (documented is null)
        {
            yield break;
        }
        if (body.Length == 0)
        {
            if (documented.Content.Count > 0 && status < 400 && status != 204)
            {
                yield return new Breach(MissingBody, $"{status} has no body; the document describes {string.Join(", ", documented.Content.Keys)}");
            }
            yield break;
        }
        if (documented.Content.Count == 0)
        {
            yield return new Breach(UndocumentedBody, $"{status} answered {mediaType ?? "?"} ({body.Length} bytes); the document describes no body");
            yield break;
        }
        var match = documented.Content.FirstOrDefault(c => MediaMatches(c.Key, mediaType));
        if (match.Key is null)
        {
            yield return new Breach(UndocumentedContentType, $"{status} answered {mediaType ?? "no Content-Type"}; documented: {string.Join(", ", documented.Content.Keys)}");
            yield break;
        }
        if (match.Value is not { } schema || mediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            yield break; // a file, or JSON without a schema: the media type is all there is to check
        }
        if (TryParse(body) is not { } parsed)
        {
            yield return new Breach(SchemaMismatch, $"{status} {mediaType} body is not JSON: {FirstLine(body)}");
            yield break;
        }
        using (parsed)
        {
            var errors = _validator.Validate(schema, parsed.RootElement);
            if (errors.Count > 0)
            {
                yield return new Breach(SchemaMismatch, $"{status} {mediaType}: {string.Join("; ", errors)}");
            }
        }
    }

    private static JsonDocument? TryParse(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The documented response for a status: exact, then its range (<c>4XX</c>), then <c>default</c>.</summary>
    public static ApiResponse? Lookup(IReadOnlyDictionary<string, ApiResponse> responses, int status)
    {
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return responses.TryGetValue(code, out var exact) ? exact
            : responses.TryGetValue($"{code[0]}XX", out var range) ? range
            : responses.TryGetValue("default", out var fallback) ? fallback
            : null;
    }

    private static bool MediaMatches(string documented, string? actual)
    {
        if (actual is null)
        {
            return false;
        }
        if (documented is "*/*")
        {
            return true;
        }
        return documented.EndsWith("/*", StringComparison.Ordinal)
            ? actual.StartsWith(documented[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(documented.Split(';')[0].Trim(), actual, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// What a body says, briefly: a problem's members other than its type, instance and trace id (all the same or
    /// unique per request), or else the first line (an exception's type and message on the developer error page).
    /// </summary>
    public static string Gist(byte[] body)
    {
        if (TryParse(body) is { } parsed)
        {
            using (parsed)
            {
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var members = parsed.RootElement.EnumerateObject()
                        .Where(m => m.Name is not ("type" or "instance" or "traceId" or "status"))
                        .Select(m => $"{m.Name}: {(m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString() : m.Value.GetRawText())}");
                    return SchemaValidator.Shorten(string.Join("; ", members), 300);
                }
            }
        }
        return FirstLine(body);
    }

    /// <summary>The first line of a body (an exception's type and message on the developer error page), shortened.</summary>
    public static string FirstLine(byte[] body)
    {
        if (body.Length == 0)
        {
            return "(no body)";
        }
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 4096));
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return SchemaValidator.Shorten(line, 200);
    }
}
