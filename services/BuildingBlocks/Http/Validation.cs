using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// Collects field errors (field → rule, in Chinese first) and turns them into one RFC 7807 validation problem, so
/// a rejected request names every field and rule at once.
/// </summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    /// <summary>Field → the rules it breaks.</summary>
    public IEnumerable<(string Field, string Rule)> Errors => _errors.SelectMany(e => e.Value.Select(rule => (e.Key, rule)));

    public Validation Require(bool condition, string field, string rule)
    {
        if (!condition)
        {
            Add(field, rule);
        }
        return this;
    }

    public void Add(string field, string rule)
    {
        if (!_errors.TryGetValue(field, out var rules))
        {
            _errors[field] = rules = [];
        }
        rules.Add(rule);
    }

    public IResult ToProblem() =>
        TypedResults.ValidationProblem(
            _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            detail: "请求中有字段不符合规则，请按 errors 修改后重试。(One or more fields break a rule; see errors.)",
            title: "请求无效 (invalid request)");

    /// <summary>
    /// 422 with the same per-field errors: each field is well-formed but a domain rule (<paramref name="rule"/>)
    /// refuses it, e.g. progress for a course the teacher is not enrolled in.
    /// </summary>
    public IResult ToRuleProblem(string rule, string detail) =>
        TypedResults.Problem(new HttpValidationProblemDetails(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "不符合业务规则 (rule broken)",
            Detail = detail,
            Extensions = { ["rule"] = rule },
        });
}

public static class Problems
{
    /// <summary>
    /// 409: the request is well-formed but conflicts with the current state (duplicate, frozen …). <paramref name="rule"/>
    /// names what refused it, in kebab-case, for clients to branch on; <paramref name="detail"/> says it to the user.
    /// </summary>
    public static IResult Conflict(string detail, string rule, string? field = null)
    {
        var extensions = new Dictionary<string, object?> { ["rule"] = rule };
        if (field is not null)
        {
            extensions["field"] = field;
        }
        return TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: "与现有数据冲突 (conflict)",
            extensions: extensions);
    }

    /// <summary>403: the caller's role may do this, but not to something outside their scope.</summary>
    public static IResult Forbidden(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "无权访问 (forbidden)");

    public static IResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, title: "未找到 (not found)");

    /// <summary>422: understood, but a domain rule refuses it.</summary>
    public static IResult RuleBroken(string detail, string rule) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "不符合业务规则 (rule broken)",
            extensions: new Dictionary<string, object?> { ["rule"] = rule });
}
