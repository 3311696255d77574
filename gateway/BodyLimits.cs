using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace TrainingPlatform.Gateway;

/// <summary>
/// Settings under <c>Gateway:BodyLimits</c>: how large a request body the gateway lets through. The API takes JSON of
/// a few kilobytes; only a few routes take more (uploads, batches), each named by its route id.
/// </summary>
public sealed class BodyLimitSettings
{
    public const string SectionName = "Gateway:BodyLimits";

    /// <summary>Every route not listed in <see cref="Routes"/>, the gateway's own endpoints and the portal's.</summary>
    public long DefaultBytes { get; set; } = 1024 * 1024;

    /// <summary>Route id (a service, or one of <c>Gateway:Routes</c>) → its limit in bytes.</summary>
    public Dictionary<string, long> Routes { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Refuses an oversized body at the gateway, before a replica spends anything on it: a declared
/// <c>Content-Length</c> over the route's limit at once, a chunked body once it passes the limit (Kestrel stops reading
/// and the proxied request fails with 413). Either way the caller gets 413 problem details in words.
/// </summary>
public static class BodyLimits
{
    public const string Rule = "too-large";

    public static TBuilder AddBodyLimits<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<BodyLimitSettings>().BindConfiguration(BodyLimitSettings.SectionName);
        // A 413 the gateway did not write itself (a chunked body cut off while being proxied) is turned into problem
        // details by the status code pages; this says why in words (PostConfigure: after ServiceDefaults' customizer).
        builder.Services.PostConfigure<ProblemDetailsOptions>(options =>
        {
            var platform = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                platform?.Invoke(context);
                if (context.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge)
                {
                    // Overwritten: the proxy's words for a failed forward ("service unreachable") do not fit here.
                    context.ProblemDetails.Title = "请求过大 (request too large)";
                    context.ProblemDetails.Detail = LimitText(context.HttpContext.RequestServices
                        .GetRequiredService<IOptionsMonitor<BodyLimitSettings>>().CurrentValue, context.HttpContext);
                    context.ProblemDetails.Extensions.TryAdd("rule", Rule);
                }
            };
        });
        return builder;
    }

    /// <summary>After routing (the route decides the limit), before authentication and rate limiting read anything.</summary>
    public static WebApplication UseBodyLimits(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var settings = context.RequestServices.GetRequiredService<IOptionsMonitor<BodyLimitSettings>>().CurrentValue;
            var limit = LimitFor(settings, context);
            if (context.Request.ContentLength > limit)
            {
                await WriteTooLargeAsync(context, limit);
                return;
            }

            // Kestrel's own default (30 MB) is raised for an upload route or lowered for JSON; an upgraded connection
            // (the portal's WebSocket) has no body to limit.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            await next(context);
        });
        return app;
    }

    public static long LimitFor(BodyLimitSettings settings, HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId is { } route
        && settings.Routes.TryGetValue(route, out var bytes)
            ? bytes
            : settings.DefaultBytes;

    private static string LimitText(BodyLimitSettings settings, HttpContext context) =>
        $"请求内容超过此接口允许的 {Size(LimitFor(settings, context))}，未予处理。(The request body is larger than this endpoint accepts.)";

    private static string Size(long bytes) => bytes >= 1024 * 1024
        ? $"{(bytes / (1024d * 1024)).ToString("0.#", CultureInfo.InvariantCulture)} MB"
        : $"{(bytes / 1024d).ToString("0.#", CultureInfo.InvariantCulture)} KB";

    private static async Task WriteTooLargeAsync(HttpContext context, long limit)
    {
        // The body is not read: the connection cannot be reused for a next request, so Kestrel closes it after this.
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status413PayloadTooLarge,
            Title = "请求过大 (request too large)",
            Detail = $"请求内容超过此接口允许的 {Size(limit)}，未予处理。(The request body is larger than this endpoint accepts.)",
            Extensions = { ["rule"] = Rule, ["limitBytes"] = limit },
        };
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(problem.Detail, context.RequestAborted);
        }
    }
}
