using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace TrainingPlatform.Gateway;

/// <summary>A token bucket: bursts of up to <see cref="TokenLimit"/>, sustained <see cref="TokensPerPeriod"/> per <see cref="ReplenishmentPeriod"/>.</summary>
public sealed class TokenBucketSettings
{
    public int TokenLimit { get; set; }

    public int TokensPerPeriod { get; set; }

    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests held waiting for a token instead of being refused at once (0: refuse at once).</summary>
    public int QueueLimit { get; set; }

    internal TokenBucketRateLimiterOptions ToOptions() => new()
    {
        TokenLimit = TokenLimit,
        TokensPerPeriod = TokensPerPeriod,
        ReplenishmentPeriod = ReplenishmentPeriod,
        QueueLimit = QueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    };
}

/// <summary>The safety net over everything the gateway serves: requests in flight at once, all callers together.</summary>
public sealed class GlobalLimitSettings
{
    public int ConcurrentRequests { get; set; } = 2000;

    public int QueueLimit { get; set; }
}

/// <summary>
/// Settings under <c>Gateway:RateLimiting</c>. The defaults protect the services from a runaway script without getting
/// in the way of real use or of a load test: a load test should sign in many users (as real students do), and even a
/// single-IP anonymous test only meets the anonymous bucket at 1000 requests/s.
/// </summary>
public sealed class RateLimitingSettings
{
    public const string SectionName = "Gateway:RateLimiting";

    /// <summary>"per-user" for a signed-in caller, by the token's <c>sub</c>: 100 requests/s sustained, bursts of 200.</summary>
    public TokenBucketSettings PerUser { get; set; } = new() { TokenLimit = 200, TokensPerPeriod = 100 };

    /// <summary>
    /// "per-user" for a caller without a valid token, by client IP: 1000 requests/s, bursts of 2000. Generous because a
    /// whole campus can sit behind one NAT address at sign-in time.
    /// </summary>
    public TokenBucketSettings Anonymous { get; set; } = new() { TokenLimit = 2000, TokensPerPeriod = 1000 };

    /// <summary>"course-selection" (enrollment writes), per user (else per IP): 5 requests/s sustained, bursts of 10.</summary>
    public TokenBucketSettings CourseSelection { get; set; } = new() { TokenLimit = 10, TokensPerPeriod = 5 };

    public GlobalLimitSettings Global { get; set; } = new();
}

/// <summary>
/// ASP.NET Core rate limiting with named policies that routes opt into (<c>Gateway:RateLimits:&lt;routeId&gt;=&lt;policy&gt;</c>,
/// default <see cref="PerUserPolicy"/> on every route), plus a global concurrency limit as a safety net. A refusal
/// answers 429 with problem details and <c>Retry-After</c>.
/// </summary>
public static class RateLimiting
{
    public const string PerUserPolicy = "per-user";
    public const string CourseSelectionPolicy = "course-selection";

    /// <summary><c>Gateway:RateLimits:&lt;routeId&gt;</c> names the policy of a proxy route.</summary>
    public const string RouteMappingSection = "Gateway:RateLimits";

    public const string DefaultRoutePolicy = PerUserPolicy;

    public static string PolicyForRoute(IConfiguration configuration, string routeId)
    {
        var configured = configuration[$"{RouteMappingSection}:{routeId}"];
        return string.IsNullOrWhiteSpace(configured) ? DefaultRoutePolicy : configured;
    }

    public static TBuilder AddPlatformRateLimiting<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RateLimitingSettings>().BindConfiguration(RateLimitingSettings.SectionName);
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<RateLimitingSettings>>((options, settings) => Configure(options, settings.Value));
        return builder;
    }

    private static void Configure(RateLimiterOptions options, RateLimitingSettings settings)
    {
        options.AddPolicy(PerUserPolicy, context => PerCaller(context, settings.PerUser, settings.Anonymous));
        options.AddPolicy(CourseSelectionPolicy, context => PerCaller(context, settings.CourseSelection, settings.CourseSelection));

        var global = new ConcurrencyLimiterOptions
        {
            PermitLimit = settings.Global.ConcurrentRequests,
            QueueLimit = settings.Global.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        };
        // A portal page keeps one WebSocket open for as long as it is shown: counted as a request in flight, a few
        // thousand open pages would take every permit. The connection was admitted by its per-user bucket; what it
        // carries then is the portal's own work.
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            IsProbe(context.Request.Path) ? RateLimitPartition.GetNoLimiter("probes")
            : context.WebSockets.IsWebSocketRequest ? RateLimitPartition.GetNoLimiter("websockets")
            : RateLimitPartition.GetConcurrencyLimiter("all", _ => global));

        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = WriteRejectionAsync;
    }

    /// <summary>A signed-in caller by the token's <c>sub</c>; anyone else by client IP.</summary>
    private static RateLimitPartition<string> PerCaller(HttpContext context, TokenBucketSettings user, TokenBucketSettings anonymous)
    {
        var subject = context.User.Identity?.IsAuthenticated == true ? context.User.FindFirst("sub")?.Value : null;
        if (!string.IsNullOrEmpty(subject))
        {
            return RateLimitPartition.GetTokenBucketLimiter($"user:{subject}", _ => user.ToOptions());
        }

        return RateLimitPartition.GetTokenBucketLimiter($"ip:{ClientAddress(context)}", _ => anonymous.ToOptions());
    }

    private static string ClientAddress(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    // Orchestrators and the AppHost probe these every few seconds; they must never be refused.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(TrainingPlatform.ServiceDefaults.Extensions.HealthEndpointPath)
        || path.StartsWithSegments(TrainingPlatform.ServiceDefaults.Extensions.AlivenessEndpointPath);

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);

        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "请求过于频繁，请稍后再试",
            Detail = $"请求过于频繁，请在 {seconds} 秒后再试。(Too many requests; retry after {seconds} s.)",
            Extensions = { ["retryAfterSeconds"] = seconds },
        };

        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(problem.Detail, cancellationToken);
        }
    }
}
