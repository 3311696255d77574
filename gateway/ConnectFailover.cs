using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace TrainingPlatform.Gateway;

/// <summary>
/// Resends a request whose connection to its replica could not be established (refused, unreachable) to another
/// replica of the same service, once per replica at most, and takes the dead replica out of rotation at once. Without
/// it a killed replica got about half of its service's requests, each answered 502, until its health checks failed.
/// First in the proxy pipeline, so each resend goes through load balancing and passive health checks again.
/// </summary>
/// <remarks>
/// Only a failed connect is resent, for every method: nothing of the request left the gateway, and the request body
/// is still unread (SocketsHttpHandler sends content only on an established connection), so nothing needs buffering.
/// A request that reached a replica (reset mid-way, timed out after sending) may have been carried out, and is never
/// resent here.
/// </remarks>
internal sealed partial class ConnectFailover(
    RequestDelegate next, IDestinationHealthUpdater health, IOptionsMonitor<ProxySettings> settings, ILogger<ConnectFailover> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var candidates = proxy.AvailableDestinations;
        await next(context);

        List<DestinationState>? tried = null;
        while (NeverReachedDestination(context.GetForwarderErrorFeature())
               && proxy.ProxiedDestination is { } dead
               && !context.Response.HasStarted
               && !context.RequestAborted.IsCancellationRequested)
        {
            var reactivation = settings.CurrentValue.PassiveReactivationPeriod;
            if (dead.Health.Passive != DestinationHealth.Unhealthy)
            {
                LogUnreachable(logger, dead.DestinationId, reactivation);
            }

            // The built-in TransportFailureRate policy waits for a share of failures over many requests; a refused
            // connect says enough on its own.
            health.SetPassive(context.GetRouteModel().Cluster!, dead, DestinationHealth.Unhealthy, reactivation);

            (tried ??= []).Add(dead);
            var rest = candidates.Where(d => !tried.Contains(d)).ToList();
            if (rest.Count == 0)
            {
                return;
            }

            // The forwarder only set the 502 and its error; it refuses to forward a response already set.
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
            proxy.AvailableDestinations = rest;
            proxy.ProxiedDestination = null;
            await next(context);
        }
    }

    private static bool NeverReachedDestination(IForwarderErrorFeature? error) =>
        error is { Error: ForwarderError.Request, Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } };

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Could not connect to {Destination}; it gets no traffic for {ReactivationPeriod}, its requests go to other replicas")]
    private static partial void LogUnreachable(ILogger logger, string destination, TimeSpan reactivationPeriod);
}
