using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace TrainingPlatform.ServiceDefaults;

/// <summary>
/// A request the framework could not read (malformed JSON, a value of the wrong type, a body over the size limit)
/// is the caller's mistake: its own 4xx with the reason, never a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = badRequest.StatusCode,
                Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "请求过大 (request too large)" : "请求格式错误 (malformed request)",
                // The framework's message names the parameter and what was wrong with it; it reveals nothing internal.
                Detail = $"无法读取请求内容：{(badRequest.InnerException ?? badRequest).Message}",
            },
        });
    }
}
