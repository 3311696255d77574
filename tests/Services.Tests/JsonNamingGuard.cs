using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.Services.Tests;

/// <summary>
/// Every JSON response of every service under test is read for members named in snake_case, the mark of a database
/// row handed out as it came (a dynamic Dapper row) instead of a typed view. The API speaks camelCase throughout; a
/// response that does not is replaced by a 500 naming the members, so whichever test called the endpoint fails.
/// </summary>
internal sealed partial class JsonNamingGuard : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, proceed) =>
        {
            // OpenID discovery's names are fixed by its standard.
            if (context.Request.Path.StartsWithSegments("/.well-known"))
            {
                await proceed();
                return;
            }
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await proceed();
            }
            finally
            {
                context.Response.Body = original;
            }
            var offending = context.Response.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true && buffer.Length > 0
                ? SnakeCaseMembers(buffer.ToArray()).Distinct().ToList()
                : [];
            if (offending.Count > 0)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                context.Response.ContentType = "text/plain; charset=utf-8";
                context.Response.ContentLength = null;
                await context.Response.WriteAsync(
                    $"snake_case members in the response of {context.Request.Method} {context.Request.Path}: {string.Join(", ", offending)}");
                return;
            }
            buffer.Position = 0;
            await buffer.CopyToAsync(original);
        });
        next(app);
    };

    public static IEnumerable<string> SnakeCaseMembers(byte[] json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            yield break;
        }
        using (document)
        {
            foreach (var name in Members(document.RootElement).Where(n => SnakeCase().IsMatch(n) && !Codes.Contains(n)))
            {
                yield return name;
            }
        }
    }

    /// <summary>
    /// The platform's own codes (categories such as <c>school_based</c>, statuses, stages): a map keyed by them
    /// (<c>byCategory</c>) carries data in its keys, not members.
    /// </summary>
    private static readonly HashSet<string> Codes = [.. typeof(TrainingPlatform.Contracts.Reference.CreditCycles).Assembly.GetTypes()
        .Where(t => t.Namespace?.EndsWith(".Reference", StringComparison.Ordinal) == true)
        .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)];

    private static IEnumerable<string> Members(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Members(p.Value).Prepend(p.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Members),
        _ => [],
    };

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)+$")]
    private static partial Regex SnakeCase();
}
