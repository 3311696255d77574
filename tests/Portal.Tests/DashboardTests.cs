using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>The operator's other screen on a local run: Aspire's dashboard, entered through its sign-in link.</summary>
[Collection(PortalCollection.Name)]
public sealed class DashboardTests(PortalPlatform platform)
{
    [Fact]
    public async Task The_dashboard_lists_every_resource_of_the_platform_as_running()
    {
        if (platform.Platform is null)
        {
            return; // pointed at a platform already running (PORTAL_TESTS_GATEWAY): its dashboard is not ours to open
        }

        var (signIn, telemetry) = await platform.Platform.DashboardAsync();
        telemetry.Dispose();
        await using var session = await platform.OpenAsync(nameof(The_dashboard_lists_every_resource_of_the_platform_as_running));
        await session.Page.GotoAsync(signIn.ToString());

        // Each resource is a row named "<type>: <name> <state> …", e.g. "Executable: postgres Running …".
        foreach (var resource in new[]
                 {
                     "postgres", "messaging", "messaging-epmd", "directorydb", "catalogdb", "enrollmentdb", "creditsdb", "mentoringdb", "portaldb",
                     "directory", "catalog", "enrollment", "credits", "mentoring", "portal", "gateway",
                 })
        {
            var row = session.Page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex($"\\w+: {Regex.Escape(resource)} Running ") });
            await Expect(row).ToHaveCountAsync(1);
        }
        await session.ShotAsync("resources");
    }
}
