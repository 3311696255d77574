using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace TrainingPlatform.Gateway;

/// <summary>Settings under <c>Gateway:Proxy</c>: how the gateway spreads traffic and notices a dead replica.</summary>
public sealed class ProxySettings
{
    public const string SectionName = "Gateway:Proxy";

    /// <summary>YARP load-balancing policy across a service's replicas: PowerOfTwoChoices, RoundRobin, LeastRequests, Random.</summary>
    public string LoadBalancingPolicy { get; set; } = "PowerOfTwoChoices";

    /// <summary>
    /// HealthyOrPanic: only healthy replicas get traffic, but when every replica of a service looks unhealthy the
    /// gateway still tries them all rather than failing every request of that service (a /health that times out
    /// under load should not take a whole service offline). HealthyAndUnknown answers 503 instead.
    /// </summary>
    public string AvailableDestinationsPolicy { get; set; } = HealthCheckConstants.AvailableDestinations.HealthyOrPanic;

    /// <summary>Path probed on every replica by the active health check (the services' readiness endpoint).</summary>
    public string HealthCheckPath { get; set; } = "/health";

    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Failed probes in a row before a replica is taken out of rotation (one success puts it back).</summary>
    public int ConsecutiveFailuresThreshold { get; set; } = 2;

    /// <summary>
    /// How long a replica marked unhealthy by failing real requests stays out: at once after one refused connect
    /// (<see cref="ConnectFailover"/>), or when too many of its requests fail (reset, timed out).
    /// </summary>
    public TimeSpan PassiveReactivationPeriod { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// A more specific route to one of the services, under <c>Gateway:Routes:&lt;routeId&gt;</c>, so a policy (today: a
/// rate limit via <c>Gateway:RateLimits:&lt;routeId&gt;</c>) can be attached to part of a service's API. It takes
/// precedence over the service's catch-all route.
/// </summary>
public sealed class ExtraRouteSettings
{
    /// <summary>One of <see cref="ProxyConfiguration.ServiceNames"/>.</summary>
    public string? Service { get; set; }

    /// <summary>ASP.NET Core route template, e.g. <c>/api/enrollment/{**catch-all}</c>; must sit under <c>/api/&lt;service&gt;</c>.</summary>
    public string? Path { get; set; }

    /// <summary>HTTP methods matched; empty means all.</summary>
    public string[] Methods { get; set; } = [];

    /// <summary>Lower wins; the per-service catch-all routes have order 0.</summary>
    public int Order { get; set; } = -1;
}

/// <summary>One replica of a service, as found in configuration (<c>services:&lt;name&gt;:http:&lt;i&gt;</c>).</summary>
public sealed record ServiceDestination(string Id, string Address);

/// <summary>
/// Builds YARP's routes and clusters in code from Aspire-style service discovery configuration: for each service one
/// route <c>/api/&lt;name&gt;/{**catch-all}</c> (path passed through unchanged) to a cluster holding every configured
/// replica, load balanced, with active (<c>/health</c>) and passive health checks so a dead replica stops getting
/// traffic.
/// </summary>
public static class ProxyConfiguration
{
    public static readonly IReadOnlyList<string> ServiceNames = ["directory", "catalog", "enrollment", "credits", "mentoring"];

    /// <summary>The web portal (<c>services:portal:http:&lt;i&gt;</c>): everything outside <c>/api/</c> goes to it.</summary>
    public const string PortalName = "portal";

    /// <summary>Last of all: every API route, and the 404 for unknown API paths, win over the portal's catch-all.</summary>
    public const int PortalRouteOrder = 1000;

    private const int UnknownApiOrder = 500;

    public const string ExtraRoutesSection = "Gateway:Routes";

    /// <summary>
    /// The gateway authenticates every request (so rate limits can be per user) but leaves authorization to the
    /// services, on purpose: some endpoints behind it are anonymous by design (Directory's sign-in, public
    /// certificate verification), and every service enforces its own policies (its fallback policy requires an
    /// authenticated user, its endpoints their roles and scopes). A second, coarser copy of those rules here would
    /// only drift from the real ones. "Anonymous" also keeps ServiceDefaults' fallback policy (authenticated user
    /// required) from blocking the proxy routes.
    /// </summary>
    public const string RouteAuthorizationPolicy = "Anonymous";

    public static TBuilder AddPlatformReverseProxy<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ProxySettings>().BindConfiguration(ProxySettings.SectionName);
        builder.Services.AddReverseProxy();
        builder.Services.AddSingleton<IProxyConfigProvider, ServiceDiscoveryProxyConfigProvider>();

        // A failed proxy attempt leaves with an empty 502/504; ServiceDefaults' status code pages turn it into problem
        // details, and this says what went wrong in words (PostConfigure: after ServiceDefaults set its customizer).
        builder.Services.PostConfigure<ProblemDetailsOptions>(options =>
        {
            var platform = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                platform?.Invoke(context);
                if (context.HttpContext.GetForwarderErrorFeature() is not null)
                {
                    context.ProblemDetails.Detail ??= context.ProblemDetails.Status == StatusCodes.Status504GatewayTimeout
                        ? "后端服务响应超时，请稍后再试。(The service behind the gateway did not answer in time.)"
                        : "后端服务暂时不可用，请稍后再试。(The service behind the gateway could not be reached.)";
                }
            };
        });
        return builder;
    }

    /// <summary>
    /// The proxy routes, and a 404 problem for any path no service serves: an <c>/api/</c> path of no service (before
    /// the portal's catch-all can take it), and anything at all when no portal is configured. Without those an
    /// anonymous caller would get ServiceDefaults' 401 there (the fallback authorization policy also covers unmatched
    /// paths), which would wrongly suggest that signing in could help.
    /// </summary>
    public static WebApplication MapPlatformReverseProxy(this WebApplication app)
    {
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<ConnectFailover>();   // ConnectFailover.cs: a refused connect goes to another replica
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        app.Map("/api/{**path}", NoSuchRoute).WithOrder(UnknownApiOrder).WithDisplayName("Gateway: no such API").AllowAnonymous();
        app.MapFallback("{**path}", NoSuchRoute).WithDisplayName("Gateway: no such route").AllowAnonymous();
        return app;
    }

    private static IResult NoSuchRoute() => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        detail: "未找到：网关后面没有服务提供此路径。(No service behind the gateway serves this path.)");

    /// <summary>Every <c>services:&lt;service&gt;:http:&lt;i&gt;</c> present, in index order, named <c>&lt;service&gt;-&lt;i&gt;</c>.</summary>
    public static IReadOnlyList<ServiceDestination> ReadDestinations(IConfiguration configuration, string service) =>
        configuration.GetSection($"services:{service}:http").GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .Select(c => (Index: int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue, c.Key, Address: c.Value!))
            .OrderBy(d => d.Index).ThenBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new ServiceDestination($"{service}-{d.Key}", d.Address))
            .ToList();

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(IConfiguration configuration, ProxySettings settings)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();

        foreach (var service in ServiceNames)
        {
            var destinations = ReadDestinations(configuration, service);
            if (destinations.Count == 0)
            {
                continue;
            }

            clusters.Add(Cluster(service, destinations, settings));
            routes.Add(Route(configuration, routeId: service, service, $"/api/{service}/{{**catch-all}}", methods: null, order: 0));
        }

        // The web portal answers every path that is not an API: its pages, its static files, its Blazor connection.
        var portal = ReadDestinations(configuration, PortalName);
        if (portal.Count > 0)
        {
            clusters.Add(Cluster(PortalName, portal, settings));
            routes.Add(Route(configuration, routeId: PortalName, PortalName, "/{**catch-all}", methods: null, order: PortalRouteOrder));
        }

        var configured = clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection(ExtraRoutesSection).GetChildren())
        {
            var extra = section.Get<ExtraRouteSettings>() ?? new ExtraRouteSettings();
            if (extra.Service is null || !ServiceNames.Contains(extra.Service) || string.IsNullOrWhiteSpace(extra.Path)
                || !extra.Path.StartsWith($"/api/{extra.Service}/", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"{ExtraRoutesSection}:{section.Key} needs a Service (one of {string.Join(", ", ServiceNames)}) and a Path under /api/<service>.");
            }

            if (configured.Contains(extra.Service))
            {
                routes.Add(Route(configuration, section.Key, extra.Service, extra.Path, extra.Methods, extra.Order));
            }
        }

        return (routes, clusters);
    }

    private static ClusterConfig Cluster(string service, IReadOnlyList<ServiceDestination> destinations, ProxySettings settings) => new()
    {
        ClusterId = service,
        LoadBalancingPolicy = settings.LoadBalancingPolicy,
        Destinations = destinations.ToDictionary(d => d.Id, d => new DestinationConfig { Address = d.Address }),
        HealthCheck = new HealthCheckConfig
        {
            AvailableDestinationsPolicy = settings.AvailableDestinationsPolicy,
            Active = new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = settings.HealthCheckInterval,
                Timeout = settings.HealthCheckTimeout,
                Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                Path = settings.HealthCheckPath,
            },
            Passive = new PassiveHealthCheckConfig
            {
                Enabled = true,
                Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                ReactivationPeriod = settings.PassiveReactivationPeriod,
            },
        },
        Metadata = new Dictionary<string, string>
        {
            [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] =
                settings.ConsecutiveFailuresThreshold.ToString(CultureInfo.InvariantCulture),
        },
    };

    private static RouteConfig Route(IConfiguration configuration, string routeId, string cluster, string path, string[]? methods, int order) => new()
    {
        RouteId = routeId,
        ClusterId = cluster,
        Order = order,
        Match = new RouteMatch { Path = path, Methods = methods is { Length: > 0 } ? methods : null },
        AuthorizationPolicy = RouteAuthorizationPolicy,
        RateLimiterPolicy = RateLimiting.PolicyForRoute(configuration, routeId),
    };
}

/// <summary>
/// Serves the routes and clusters built by <see cref="ProxyConfiguration.Build"/> from the final configuration, and
/// rebuilds them when the configuration reloads (appsettings.json edited), so YARP picks up changes live.
/// </summary>
internal sealed partial class ServiceDiscoveryProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IOptionsMonitor<ProxySettings> _settings;
    private readonly ILogger<ServiceDiscoveryProxyConfigProvider> _logger;
    private readonly IDisposable _reloadSubscription;
    private volatile Snapshot _current;

    public ServiceDiscoveryProxyConfigProvider(
        IConfiguration configuration, IOptionsMonitor<ProxySettings> settings, ILogger<ServiceDiscoveryProxyConfigProvider> logger)
    {
        _configuration = configuration;
        _settings = settings;
        _logger = logger;
        _current = Load();
        LogLoaded(_logger, _current.Routes.Count, string.Join(", ", _current.Clusters.Select(c => $"{c.ClusterId}×{c.Destinations?.Count}")));
        _reloadSubscription = ChangeToken.OnChange(_configuration.GetReloadToken, Reload);
    }

    public IProxyConfig GetConfig() => _current;

    public void Dispose()
    {
        _reloadSubscription.Dispose();
        _current.Dispose();
    }

    private Snapshot Load()
    {
        var (routes, clusters) = ProxyConfiguration.Build(_configuration, _settings.CurrentValue);
        return new Snapshot(routes, clusters);
    }

    private void Reload()
    {
        Snapshot next;
        try
        {
            next = Load();
        }
        catch (InvalidOperationException e)
        {
            LogReloadFailed(_logger, e);
            return;
        }

        var previous = _current;
        _current = next;
        previous.SignalChange();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway proxy configuration: {RouteCount} routes; clusters {Clusters}")]
    private static partial void LogLoaded(ILogger logger, int routeCount, string clusters);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloaded gateway configuration is invalid; keeping the previous routes")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig, IDisposable
    {
        private readonly CancellationTokenSource _changed = new();

        public string RevisionId { get; } = Guid.NewGuid().ToString("N");

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

        public void SignalChange() => _changed.Cancel();

        public void Dispose() => _changed.Dispose();
    }
}
