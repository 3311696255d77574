using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>
/// A request the framework could not read (malformed JSON, a value of the wrong type, a null where a list of ids
/// expects an id, a body over the size limit) is the caller's mistake: its own 4xx in the shape of every other field
/// error — <c>errors</c> and <c>rules</c> naming the field, a top-level <c>rule</c> and <c>field</c> — in Chinese,
/// never a 500 and never the framework's English naming .NET types (<see cref="UnreadableRequest"/>).
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }
        var bodyType = httpContext.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var fault = UnreadableRequest.Describe(badRequest, bodyType, json);
        httpContext.Response.StatusCode = fault.Status;
        var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [fault.Field] = [fault.Words] })
        {
            Status = fault.Status,
            Title = fault.Status == StatusCodes.Status413PayloadTooLarge ? "请求过大 (request too large)" : "请求格式错误 (malformed request)",
            Detail = fault.Rule switch
            {
                UnreadableRequest.InvalidJson => "请求内容不是有效的 JSON，请按 errors 修改后重试。",
                UnreadableRequest.WrongType => "请求中有字段的类型不对，请按 errors 修改后重试。",
                UnreadableRequest.Required => "请求中缺少必填的内容，请按 errors 修改后重试。",
                _ => $"请求无法读取：{fault.Words}。",
            },
        };
        problem.Extensions["rules"] = new Dictionary<string, string[]> { [fault.Field] = [fault.Rule] };
        problem.Extensions["rule"] = fault.Rule;
        problem.Extensions["field"] = fault.Field;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, Exception = exception, ProblemDetails = problem });
    }
}
