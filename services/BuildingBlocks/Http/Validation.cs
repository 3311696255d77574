using Microsoft.AspNetCore.Http;
using TrainingPlatform.BuildingBlocks.Text;
using TrainingPlatform.Contracts.Reference;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// Collects field errors (field → rule, in Chinese first) and turns them into one RFC 7807 validation problem, so
/// a rejected request names every field and rule at once.
/// </summary>
public sealed class Validation
{
    /// <summary>A value (or an element of a list) is missing.</summary>
    public const string Required = "required";

    /// <summary>A number or date lies outside what the platform can hold, e.g. a year no cycle is in.</summary>
    public const string OutOfRange = "out-of-range";

    /// <summary>A value that is not one of those the field allows (a status filter, a kind).</summary>
    public const string NotAllowed = "not-allowed";

    /// <summary>A text is longer than its field holds.</summary>
    public const string TooLong = "too-long";

    /// <summary>A date of something that has happened (training, hiring, an activity) lies after today.</summary>
    public const string FutureDate = "future-date";

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _names = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    /// <summary>Field → the rules it breaks.</summary>
    public IEnumerable<(string Field, string Rule)> Errors => _errors.SelectMany(e => e.Value.Select(rule => (e.Key, rule)));

    /// <summary>Field → the stable kebab-case names of the rules it breaks, for the rules that have one.</summary>
    public IEnumerable<(string Field, string Name)> Names => _names.SelectMany(e => e.Value.Select(name => (e.Key, name)));

    public Validation Require(bool condition, string field, string rule)
    {
        if (!condition)
        {
            Add(field, rule);
        }
        return this;
    }

    /// <summary>As <see cref="Require(bool, string, string)"/>, with the rule's kebab-case <paramref name="name"/> for clients to branch on.</summary>
    public Validation Require(bool condition, string field, string rule, string name)
    {
        if (!condition)
        {
            Add(field, rule, name);
        }
        return this;
    }

    /// <summary>
    /// A filter or field holding a platform code: absent, or one of <paramref name="names"/> (the same <c>Names</c>
    /// map the document's enum comes from), so an unknown code is refused instead of quietly matching nothing.
    /// </summary>
    public Validation RequireKnownCode(string? code, IReadOnlyDictionary<string, string> names, string field, string what) =>
        Require(code is null || names.ContainsKey(code), field,
            $"{what}应为 {string.Join("、", names.Select(n => $"{n.Key}（{n.Value}）"))} 之一", NotAllowed);

    /// <summary>
    /// A year the platform holds records for (<see cref="CreditCycles.IsSupported"/>): of a cycle asked for, or of a
    /// date that becomes a credit's or a window's year. A missing year is left to the other checks.
    /// </summary>
    public Validation RequireSupportedYear(int? year, string field, string what) =>
        Require(year is not { } y || CreditCycles.IsSupported(y), field,
            $"{what}应在 {CreditCycles.EarliestYear}–{CreditCycles.LatestYear} 年之间", OutOfRange);

    /// <summary>
    /// The date of something that has already happened (a training, a hiring): given, not after
    /// <paramref name="today"/> (the province's day, <see cref="Time.ProvinceCalendar.Today"/>) and, when it dates a
    /// credit (<paramref name="creditYear"/>), in a year the platform holds records for; a hire date may be older.
    /// </summary>
    public Validation RequirePastDate(DateOnly? date, DateOnly today, string field, string what, bool creditYear = true)
    {
        if (date is not { } day)
        {
            Add(field, $"{what}必填", Required);
        }
        else if (day > today)
        {
            Add(field, $"{what} {day:yyyy-MM-dd} 晚于今天（{today:yyyy-MM-dd}）：只能填写已经发生的日期", FutureDate);
        }
        else if (creditYear)
        {
            RequireSupportedYear(day.Year, field, what);
        }
        return this;
    }

    /// <summary>A person's name as it goes onto a certificate: given, at most <paramref name="maxLength"/> characters, and only what <see cref="TextRules.WhyNotPersonName"/> accepts.</summary>
    public Validation RequirePersonName(string? name, string field, int maxLength = 50)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            Add(field, "姓名必填", Required);
        }
        else if (TextRules.WhyNotPersonName(name) is { } why)
        {
            Add(field, why, TextRules.InvalidCharacters);
        }
        else if (name.Trim().EnumerateRunes().Count() > maxLength)
        {
            Add(field, $"姓名最多 {maxLength} 个字", TooLong);
        }
        return this;
    }

    /// <summary>
    /// One line of text people read (a title, a display name): given unless <paramref name="required"/> is false, at
    /// most <paramref name="maxLength"/> characters, and only what <see cref="TextRules.WhyNotTitle"/> accepts.
    /// </summary>
    public Validation RequireTitle(string? text, string field, string what, int maxLength, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                Add(field, $"{what}必填，不超过 {maxLength} 字", Required);
            }
        }
        else if (TextRules.WhyNotTitle(text) is { } why)
        {
            Add(field, $"{what}{why}", TextRules.InvalidCharacters);
        }
        else if (text.Trim().Length > maxLength)
        {
            Add(field, $"{what}不超过 {maxLength} 字", TooLong);
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

    public void Add(string field, string rule, string name)
    {
        Add(field, rule);
        if (!_names.TryGetValue(field, out var names))
        {
            _names[field] = names = [];
        }
        names.Add(name);
    }

    /// <summary>The refusal of a null where a list expects an element: <c>sessions[0]</c> is required.</summary>
    public void AddNullElement(string path) => Add(path, "列表中的这一项为空（null），请删除或填写完整", Required);

    /// <summary>
    /// The elements of a request's list with their paths (<c>field[i]</c>), for checking each; a null element is
    /// refused here, so the checks never meet one. A missing list has no elements.
    /// </summary>
    public IReadOnlyList<(T Item, string Path)> Elements<T>(IReadOnlyList<T?>? items, string field)
        where T : class
    {
        var elements = new List<(T, string)>(items?.Count ?? 0);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var path = $"{field}[{i}]";
            if (items![i] is { } item)
            {
                elements.Add((item, path));
            }
            else
            {
                AddNullElement(path);
            }
        }
        return elements;
    }

    public ValidationFailed ToProblem()
    {
        var problem = new HttpValidationProblemDetails(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "请求无效 (invalid request)",
            Detail = "请求中有字段不符合规则，请按 errors 修改后重试。",
        };
        foreach (var (key, value) in NameExtensions())
        {
            problem.Extensions[key] = value;
        }
        return new(TypedResults.Problem(problem));
    }

    /// <summary>
    /// 422 with the same per-field errors: each field is well-formed but a domain rule (<paramref name="rule"/>)
    /// refuses it, e.g. progress for a course the teacher is not enrolled in.
    /// </summary>
    public RuleProblem ToRuleProblem(string rule, string detail)
    {
        var problem = new HttpValidationProblemDetails(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()))
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "不符合业务规则 (rule broken)",
            Detail = detail,
        };
        foreach (var (key, value) in NameExtensions())
        {
            problem.Extensions[key] = value;
        }
        problem.Extensions["rule"] = rule;
        return new(TypedResults.Problem(problem));
    }

    /// <summary>
    /// <c>rules</c>: field → kebab-case names, beside <c>errors</c>' words. A problem of one named rule on one field
    /// also carries <c>rule</c> and <c>field</c>, the shape of every 409 and 422.
    /// </summary>
    private Dictionary<string, object?> NameExtensions()
    {
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (_names.Count == 0)
        {
            return extensions;
        }
        extensions["rules"] = _names.ToDictionary(e => e.Key, e => e.Value.ToArray());
        if (_errors.Count == 1 && _names.Count == 1 && _errors.Single().Value.Count == 1 && _names.Single().Value.Count == 1)
        {
            extensions["rule"] = _names.Single().Value[0];
            extensions["field"] = _names.Single().Key;
        }
        return extensions;
    }
}

public static class Problems
{
    /// <summary>
    /// 409: the request is well-formed but conflicts with the current state (duplicate, frozen …). <paramref name="rule"/>
    /// names what refused it, in kebab-case, for clients to branch on; <paramref name="detail"/> says it to the user.
    /// <paramref name="more"/> adds members a client can act on (a waiting list's address …).
    /// </summary>
    public static ConflictProblem Conflict(string detail, string rule, string? field = null, string title = "与现有数据冲突 (conflict)",
        IEnumerable<KeyValuePair<string, object?>>? more = null) =>
        new(PlatformProblemResult.Make(StatusCodes.Status409Conflict, title, detail, Extensions(rule, field, more)));

    /// <summary>401: the caller could not be identified (sign-in refused); <paramref name="rule"/> says why.</summary>
    public static UnauthorizedProblem Unauthorized(string title, string detail, string rule) =>
        new(PlatformProblemResult.Make(StatusCodes.Status401Unauthorized, title, detail, Extensions(rule, null, null)));

    /// <summary>403: the caller's role may do this, but not to something outside their scope.</summary>
    public static ForbiddenProblem Forbidden(string detail) =>
        new(PlatformProblemResult.Make(StatusCodes.Status403Forbidden, "无权访问 (forbidden)", detail, null));

    /// <summary>404; <paramref name="rule"/> names what was not found where a client may branch on it.</summary>
    public static NotFoundProblem NotFound(string detail, string? rule = null) =>
        new(PlatformProblemResult.Make(StatusCodes.Status404NotFound, "未找到 (not found)", detail, rule is null ? null : Extensions(rule, null, null)));

    /// <summary>422: understood, but a domain rule refuses it; <paramref name="field"/> names the field at fault, where one is.</summary>
    public static RuleProblem RuleBroken(string detail, string rule, string? field = null) =>
        new(PlatformProblemResult.Make(StatusCodes.Status422UnprocessableEntity, "不符合业务规则 (rule broken)", detail, Extensions(rule, field, null)));

    /// <summary>413: an upload over <paramref name="detail"/>'s limit.</summary>
    public static TooLargeProblem TooLarge(string detail, string field) =>
        new(PlatformProblemResult.Make(StatusCodes.Status413PayloadTooLarge, "文件过大 (upload too large)", detail, Extensions("too-large", field, null)));

    /// <summary>429: too many attempts; <paramref name="retryAfter"/> also goes out as the Retry-After header.</summary>
    public static TooManyProblem TooMany(HttpContext http, string title, string detail, string rule, TimeSpan retryAfter)
    {
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new(PlatformProblemResult.Make(StatusCodes.Status429TooManyRequests, title, detail,
            Extensions(rule, null, [new("retryAfterSeconds", seconds)])));
    }

    /// <summary>503: a server the platform depends on is down and nothing was changed; the caller may retry.</summary>
    public static UnavailableProblem Unavailable(string detail, string rule) =>
        new(PlatformProblemResult.Make(StatusCodes.Status503ServiceUnavailable, "暂时无法处理 (service unavailable)", detail, Extensions(rule, null, null)));

    private static Dictionary<string, object?> Extensions(string rule, string? field, IEnumerable<KeyValuePair<string, object?>>? more)
    {
        var extensions = new Dictionary<string, object?> { ["rule"] = rule };
        if (field is not null)
        {
            extensions["field"] = field;
        }
        foreach (var (key, value) in more ?? [])
        {
            extensions[key] = value;
        }
        return extensions;
    }
}
