using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.LocalServers;

namespace TrainingPlatform.AppHost.Platform;

/// <summary>What a local run adds to Aspire: the dashboard on loopback, and the banner a newcomer needs.</summary>
public static class LocalRun
{
    /// <summary>
    /// Aspire's own settings for a local run, as configuration (command-line form, so nothing leaks into the
    /// environment the services inherit): the dashboard and its OTLP receiver on 127.0.0.1 over plain HTTP (a local run
    /// needs no certificate). A value the operator set in the environment wins.
    /// </summary>
    public static string[] AspireArguments(AppHostOptions options)
    {
        StayInside();
        var dashboardPort = FreePort.IsAvailable(options.DashboardPort) ? options.DashboardPort : FreePort.Next();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{dashboardPort.ToString(CultureInfo.InvariantCulture)}",
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            // Ctrl+C returns once every process has stopped, not while DCP is still stopping them in the background.
            ["DcpPublisher:WaitForResourceCleanup"] = "true",
        };
        return [.. settings
            .Where(setting => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(setting.Key.Replace(":", "__", StringComparison.Ordinal))))
            .Select(setting => $"--{setting.Key}={setting.Value}")];
    }

    /// <summary>
    /// No calls out of the machine that the operator did not ask for: the app host's check for a newer Aspire (it
    /// searches NuGet every few days), the dashboard's usage telemetry, and the .NET CLI's, which DCP and every process
    /// it starts inherit from this environment.
    /// </summary>
    private static void StayInside()
    {
        foreach (var optOut in new[] { "ASPIRE_VERSION_CHECK_DISABLED", "ASPIRE_DASHBOARD_TELEMETRY_OPTOUT", "DOTNET_CLI_TELEMETRY_OPTOUT" })
        {
            Environment.SetEnvironmentVariable(optOut, "true");
        }
    }

    /// <summary>
    /// Once the gateway and everything behind it are healthy, prints where to go: the portal, the dashboard with its
    /// sign-in link, and the first operator's sign-in.
    /// </summary>
    public static void AnnounceWhenReady(this IDistributedApplicationBuilder builder,
        IResourceBuilder<ProjectResource> gateway, string demoPasswordFile)
    {
        // Not awaited inside the event: the gateway counts as healthy only once its ready handlers have returned.
        gateway.OnResourceReady((resource, e, cancellationToken) =>
        {
            _ = Task.Run(async () =>
            {
                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                var model = e.Services.GetRequiredService<DistributedApplicationModel>();
                foreach (var project in model.Resources.OfType<ProjectResource>())
                {
                    await notifications.WaitForResourceHealthyAsync(project.Name, cancellationToken);
                }

                var portal = resource.GetEndpoint("http").Url;
                var dashboard = builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0];
                var token = builder.Configuration["AppHost:BrowserToken"];
                Console.WriteLine($"""

                    TrainingPlatform is ready（平台已就绪）
                      portal and API (gateway): {portal}/        health: {portal}/health
                      Aspire dashboard:         {(string.IsNullOrEmpty(dashboard) ? "(off)" : $"{dashboard}/login?t={token}")}
                      sign in as:               operator, password in {demoPasswordFile}
                    Ctrl+C stops everything.

                    """);
            }, cancellationToken);
            return Task.CompletedTask;
        });
    }
}
