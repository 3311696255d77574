using Microsoft.AspNetCore.HttpOverrides;
using Yarp.ReverseProxy.Model;

namespace TrainingPlatform.Gateway;

/// <summary>
/// Settings under <c>Gateway:ForwardedHeaders</c>: the TLS-terminating proxies (or load balancers) in front of the
/// gateway whose <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c> are believed. Empty (the default): the gateway is the
/// edge and believes no one, so a client cannot pick its own address (rate limits are per client IP) or scheme.
/// </summary>
public sealed class TrustedProxySettings
{
    public const string SectionName = "Gateway:ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of the proxies in CIDR notation, e.g. <c>10.0.0.0/24</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];
}

/// <summary>
/// The headers every gateway response carries. API answers are JSON that no browser should render, frame or
/// sniff into something else: <c>default-src 'none'; frame-ancestors 'none'</c>, <c>nosniff</c>, no referrer, and HSTS
/// over HTTPS. A response that already names a header keeps its own: the API reference page sets its CSP
/// (ApiReference.cs), and the portal's pages come through with the portal's policy, which fits Blazor; the gateway
/// never puts a second, conflicting CSP on them (browsers would enforce both).
/// </summary>
public static class SecurityHeaders
{
    public const string ApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

    public const string ReferrerPolicy = "no-referrer";

    /// <summary>A year, the usual value; no includeSubDomains: other hosts of the domain are not the gateway's to speak for.</summary>
    public const string StrictTransportSecurity = "max-age=31536000";

    private sealed record TrustedProxiesConfigured(bool Any);

    public static TBuilder AddTrustedProxies<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var trusted = builder.Configuration.GetSection(TrustedProxySettings.SectionName).Get<TrustedProxySettings>() ?? new TrustedProxySettings();
        // With no proxy named the middleware is left out altogether: with empty lists it would believe anyone.
        builder.Services.AddSingleton(new TrustedProxiesConfigured(trusted.KnownProxies.Length + trusted.KnownNetworks.Length > 0));
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; the gateway believes exactly the proxies it is told about.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.KnownProxies)
            {
                options.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return builder;
    }

    /// <summary>
    /// First in the pipeline: the client's address and scheme as a trusted proxy saw them (so HSTS, rate limits and
    /// the <c>X-Forwarded-*</c> YARP sends on to the services describe the real client), then the headers, registered
    /// before anything can answer (a 429, a 413, an exception's 500 carry them too).
    /// </summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TrustedProxiesConfigured>().Any)
        {
            app.UseForwardedHeaders();
        }

        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state => Apply((HttpContext)state), context);
            return next(context);
        });
        return app;
    }

    private static Task Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.TryAdd("X-Content-Type-Options", "nosniff");
        headers.TryAdd("Referrer-Policy", ReferrerPolicy);
        if (context.Request.IsHttps)
        {
            headers.TryAdd("Strict-Transport-Security", StrictTransportSecurity);
        }

        if (!FromPortal(context))
        {
            headers.TryAdd("Content-Security-Policy", ApiContentSecurityPolicy);
        }

        return Task.CompletedTask;
    }

    // The portal sends its own policy with every page; a portal answer without one (a 502 while it is down) is still
    // left alone rather than given a policy meant for JSON.
    private static bool FromPortal(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId == ProxyConfiguration.PortalName;
}
