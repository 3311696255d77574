using Microsoft.AspNetCore.HttpOverrides;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Portal;
using TrainingPlatform.Portal.Account;
using TrainingPlatform.Portal.Components;
using TrainingPlatform.Portal.Gateway;
using TrainingPlatform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();                                                      // telemetry, health, problem details, resilience, service discovery
builder.AddServiceDatabase(PortalApp.DatabaseName, typeof(PortalApp).Assembly);    // portaldb: notifications, cookie keys
builder.AddServiceMessaging(PortalApp.ServiceName, typeof(PortalApp).Assembly);    // Notifications/: the events that fill the inboxes
builder.AddPortalSignIn();                                                         // Account/: cookie holding Directory's token
builder.AddGatewayClient();                                                        // Gateway/: every API call, with the user's token
builder.Services.AddScoped<TrainingPlatform.Portal.Notifications.Inbox>();         // Notifications/: the unread count a page shows
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
// Browsers reach the portal through the gateway: its X-Forwarded-* headers say which host and scheme they used, so
// redirects (to the sign-in page, after sign-in) point there. Trusted from loopback only (the defaults).
builder.Services.Configure<ForwardedHeadersOptions>(options =>
    options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);

var app = builder.Build();

app.UseForwardedHeaders();
app.UsePortalSecurityHeaders();                                                    // SecurityHeaders.cs: CSP fitting Blazor Server, nosniff, no framing, HSTS over HTTPS
app.MapDefaultEndpoints();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapAccountEndpoints();                                                         // sign-out, printable certificate
// Blazor would send a CSP of its own (frame-ancestors 'self', against compression attacks from a framing page); the
// portal's policy (SecurityHeaders.cs) forbids all framing on every document, and one policy per page is enough.
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(options => options.ContentSecurityFrameAncestorsPolicy = null);

await app.RunAsync();
