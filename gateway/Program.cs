using TrainingPlatform.Gateway;
using TrainingPlatform.ServiceDefaults;

// The platform's single public entry point: a YARP reverse proxy in front of the five services. It authenticates
// callers (to rate-limit them per user) and leaves authorization to the services; see ProxyConfiguration.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();        // telemetry, health checks, problem details, JWT bearer authentication
builder.AddPlatformReverseProxy();   // ProxyConfiguration.cs: routes and clusters from services:<name>:http:<i>
builder.AddDownstreamHealth();       // DownstreamHealth.cs: /health reports every service's replicas
builder.AddPlatformRateLimiting();   // RateLimiting.cs: per-user, course-selection, global safety net
builder.AddApiReference();           // ApiReference.cs: the five services' OpenAPI documents merged, and a page to read them
builder.AddTrustedProxies();         // SecurityHeaders.cs: whose X-Forwarded-For/Proto to believe (none unless configured)
builder.AddBodyLimits();             // BodyLimits.cs: 1 MB for JSON, more only for the routes that take uploads or batches

var app = builder.Build();

app.UseSecurityHeaders();            // SecurityHeaders.cs: forwarded headers, then nosniff, CSP, Referrer-Policy, HSTS on every answer
app.MapDefaultEndpoints();           // exception handler, status code pages, /alive (and a /health overridden below)
app.UseBodyLimits();                 // BodyLimits.cs: 413 for an oversized body, before anything reads it
app.UseAuthentication();
app.UseRateLimiter();                // after authentication, so per-user limits can see the token's sub
app.UseAuthorization();

app.MapDownstreamHealth();           // /health
app.MapApiReference();               // /openapi/platform.json and /api-reference, anonymous
app.MapPlatformReverseProxy();       // /api/<service>/** -> that service's replicas; 404 for anything else

app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
