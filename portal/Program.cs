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
app.MapDefaultEndpoints();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapAccountEndpoints();                                                         // sign-out, printable certificate
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();
