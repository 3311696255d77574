using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Instrumentation.Http;

namespace TrainingPlatform.Gateway;

/// <summary>Settings under <c>Gateway:DownstreamHealth</c>.</summary>
public sealed class DownstreamHealthSettings
{
    public const string SectionName = "Gateway:DownstreamHealth";

    /// <summary>How long one replica's <c>/health</c> may take before it counts as unhealthy.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A report is reused for this long, so a burst of probes of the gateway (it is anonymous) does not fan out into
    /// a burst of probes of every replica. Concurrent callers always share one probe round.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    public string Path { get; set; } = "/health";
}

/// <summary>
/// The gateway's <c>/health</c>: the gateway's own checks plus, for each of the five services, the health of each
/// replica (its <c>/health</c> called directly, all in parallel, with a short timeout). Healthy (200) only when every
/// service has at least one healthy replica; otherwise 503.
/// </summary>
/// <example>
/// <code>{"status":"Healthy","services":{"enrollment":{"status":"Healthy","destinations":{"enrollment-0":"Healthy","enrollment-1":"Healthy"}}, ...},"checks":{"self":{"status":"Healthy"}}}</code>
/// </example>
public static class DownstreamHealth
{
    public static TBuilder AddDownstreamHealth<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<DownstreamHealthSettings>().BindConfiguration(DownstreamHealthSettings.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DownstreamHealthProbe>();

        // Health probes (ours and YARP's active checks, every few seconds per replica) would each start a trace of
        // their own and drown the real traffic, as ServiceDefaults already avoids for incoming probes.
        builder.Services.Configure<HttpClientTraceInstrumentationOptions>(options =>
        {
            var previous = options.FilterHttpRequestMessage;
            options.FilterHttpRequestMessage = request =>
                !IsProbe(request.RequestUri) && (previous?.Invoke(request) ?? true);
        });
        return builder;
    }

    /// <summary>
    /// Maps the gateway's <c>/health</c>. ServiceDefaults' <c>MapDefaultEndpoints</c> also maps <c>/health</c> (the
    /// gateway's own checks only); this endpoint has a lower order, so it wins the match and extends that report.
    /// </summary>
    public static IEndpointConventionBuilder MapDownstreamHealth(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map(TrainingPlatform.ServiceDefaults.Extensions.HealthEndpointPath, WriteReportAsync)
            .WithOrder(-1)
            .WithDisplayName("Gateway health (downstream services)")
            .AllowAnonymous()
            .DisableRateLimiting()
            .DisableHttpMetrics();

    private static async Task WriteReportAsync(HttpContext context, DownstreamHealthProbe probe, HealthCheckService ownChecks)
    {
        var started = Stopwatch.GetTimestamp();
        var ownTask = ownChecks.CheckHealthAsync(context.RequestAborted);
        var services = await probe.GetReportAsync(context.RequestAborted);
        var own = await ownTask;

        var status = Worst(own.Status, Worst(services.Values.Select(s => s.Status)));
        context.Response.StatusCode = status == HealthStatus.Unhealthy
            ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store, no-cache";

        var body = new
        {
            status = status.ToString(),
            totalMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            services = services.ToDictionary(
                s => s.Key,
                s => new
                {
                    status = s.Value.Status.ToString(),
                    destinations = s.Value.Destinations.ToDictionary(d => d.Key, d => d.Value.ToString()),
                }),
            checks = own.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description ?? e.Value.Exception?.Message }),
        };
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonOptions), context.RequestAborted);
    }

    internal static HealthStatus Worst(IEnumerable<HealthStatus> statuses) =>
        statuses.Aggregate(HealthStatus.Healthy, Worst);

    private static HealthStatus Worst(HealthStatus a, HealthStatus b) => a < b ? a : b;

    private static bool IsProbe(Uri? uri) =>
        uri?.AbsolutePath is TrainingPlatform.ServiceDefaults.Extensions.HealthEndpointPath
            or TrainingPlatform.ServiceDefaults.Extensions.AlivenessEndpointPath;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

public sealed record ServiceHealth(HealthStatus Status, IReadOnlyDictionary<string, HealthStatus> Destinations);

/// <summary>Calls every configured replica's <c>/health</c> in parallel; shares one round among concurrent callers.</summary>
public sealed partial class DownstreamHealthProbe : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IOptionsMonitor<DownstreamHealthSettings> _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<DownstreamHealthProbe> _logger;
    private readonly Lock _gate = new();

    // Not from IHttpClientFactory: ServiceDefaults gives those clients retries, and a health probe must report the
    // first failure, within its own short timeout.
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    private Task<IReadOnlyDictionary<string, ServiceHealth>>? _round;
    private long _roundStarted;

    public DownstreamHealthProbe(
        IConfiguration configuration, IOptionsMonitor<DownstreamHealthSettings> settings, ILogger<DownstreamHealthProbe> logger,
        TimeProvider time)
    {
        _configuration = configuration;
        _settings = settings;
        _logger = logger;
        _time = time;
    }

    public Task<IReadOnlyDictionary<string, ServiceHealth>> GetReportAsync(CancellationToken cancellationToken)
    {
        Task<IReadOnlyDictionary<string, ServiceHealth>> round;
        lock (_gate)
        {
            if (_round is null
                || (_round.IsCompleted && _time.GetElapsedTime(_roundStarted) >= _settings.CurrentValue.CacheDuration))
            {
                _roundStarted = _time.GetTimestamp();
                _round = ProbeAllAsync();
            }

            round = _round;
        }

        // The round runs on its own timeouts, not the caller's: another caller may be sharing it.
        return round.WaitAsync(cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    private async Task<IReadOnlyDictionary<string, ServiceHealth>> ProbeAllAsync()
    {
        var settings = _settings.CurrentValue;
        var services = await Task.WhenAll(ProxyConfiguration.ServiceNames.Select(async service =>
        {
            var destinations = ProxyConfiguration.ReadDestinations(_configuration, service);
            var results = await Task.WhenAll(destinations.Select(async d => (d.Id, Status: await ProbeAsync(d, settings))));
            var byId = results.ToDictionary(r => r.Id, r => r.Status);
            return (Service: service, Health: new ServiceHealth(Summarize(byId.Values), byId));
        }));
        return services.ToDictionary(s => s.Service, s => s.Health);
    }

    /// <summary>Healthy when every replica is; Degraded while at least one still serves; Unhealthy when none does (or none is configured).</summary>
    internal static HealthStatus Summarize(IReadOnlyCollection<HealthStatus> destinations)
    {
        if (destinations.Count == 0 || destinations.All(s => s == HealthStatus.Unhealthy))
        {
            return HealthStatus.Unhealthy;
        }

        return destinations.All(s => s == HealthStatus.Healthy) ? HealthStatus.Healthy : HealthStatus.Degraded;
    }

    private async Task<HealthStatus> ProbeAsync(ServiceDestination destination, DownstreamHealthSettings settings)
    {
        using var timeout = new CancellationTokenSource(settings.Timeout);
        try
        {
            var uri = new Uri(destination.Address.TrimEnd('/') + settings.Path);
            using var response = await _client.GetAsync(uri, HttpCompletionOption.ResponseContentRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogUnhealthy(_logger, destination.Id, $"HTTP {(int)response.StatusCode}");
                return HealthStatus.Unhealthy;
            }

            // The services answer with ServiceDefaults' HealthResponseWriter; a Degraded replica still answers 200.
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return ReportedStatus(body) ?? HealthStatus.Healthy;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or UriFormatException)
        {
            LogUnhealthy(_logger, destination.Id, e.Message);
            return HealthStatus.Unhealthy;
        }
    }

    private static HealthStatus? ReportedStatus(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty("status", out var status)
                   && Enum.TryParse<HealthStatus>(status.GetString(), ignoreCase: true, out var parsed)
                ? parsed
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Downstream {Destination} is unhealthy: {Reason}")]
    private static partial void LogUnhealthy(ILogger logger, string destination, string reason);
}
