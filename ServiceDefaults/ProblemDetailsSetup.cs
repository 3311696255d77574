using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TrainingPlatform.ServiceDefaults;

public static class ProblemDetailsSetup
{
    /// <summary>
    /// Every error leaves as RFC 7807 problem details carrying the trace id, so a user's report of an error
    /// can be found in the traces.
    /// </summary>
    public static TBuilder AddPlatformProblemDetails<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ctx =>
        {
            var traceId = Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier;
            ctx.ProblemDetails.Extensions.TryAdd("traceId", traceId);
            ctx.ProblemDetails.Instance ??= $"{ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}";
            if (ctx.ProblemDetails.Status == StatusCodes.Status401Unauthorized)
            {
                ctx.ProblemDetails.Detail ??= "需要登录：请求未携带有效的访问令牌。(Authentication required.)";
            }
            else if (ctx.ProblemDetails.Status == StatusCodes.Status403Forbidden)
            {
                ctx.ProblemDetails.Detail ??= "无权访问：当前账号的角色或范围不允许此操作。(Not allowed for this role or scope.)";
            }
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Outside Development the framework answers a body it cannot read with a bare 400 and no reason; thrown, the
        // handler above says which field and why, in every environment.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return builder;
    }
}
