using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>The audit page: an operator's privileged change is found there by its action, the chain verifies, and the trail exports.</summary>
[Collection(PortalCollection.Name)]
public sealed class AuditPageTests(PortalPlatform platform)
{
    [Fact]
    public async Task An_operator_finds_their_policy_activation_in_the_audit_trail_verifies_the_chain_and_exports_it()
    {
        await using var session = await platform.OpenAsync(nameof(An_operator_finds_their_policy_activation_in_the_audit_trail_verifies_the_chain_and_exports_it));
        await session.SignInAsync("operator", platform.DemoPassword);

        // An audited change: another preset and back to the province's own, so the other tests find it in force.
        await session.GoAsync("/operator/policies");
        var other = session.Main.Locator("section[data-policy='seed-002']");
        await other.Locator("button.primary").ClickAsync();
        await Expect(other.Locator("[data-active]")).ToHaveTextAsync("当前启用");
        var shandong = session.Main.Locator("section[data-policy='seed-004']");
        await shandong.Locator("button.primary").ClickAsync();
        await Expect(shandong.Locator("[data-active]")).ToHaveTextAsync("当前启用");

        await Expect(session.Page.Locator("nav a[href='/operations/audit']")).ToHaveTextAsync("审计记录");
        await session.GoAsync("/operations/audit");
        await session.Page.SelectOptionAsync("#service", "credits");
        await session.Page.FillAsync("#action", "credit-policy-activated");
        await session.Page.FillAsync("#target", "seed-004");
        await session.Main.Locator("button[data-search]").ClickAsync();
        var rows = session.Main.Locator("table[data-audit-records] tbody tr");
        await Expect(rows.First).ToContainTextAsync("seed-004");
        await Expect(rows.First).ToContainTextAsync("省级平台运营");
        await Expect(rows.First).ToContainTextAsync("启用学分政策 seed-004");
        await Expect(rows.Filter(new() { HasNotText = "credit-policy-activated" })).ToHaveCountAsync(0);
        await session.ShotAsync("found");

        await session.Main.Locator("button[data-verify]").ClickAsync();
        await Expect(session.Main.Locator("[data-verification]")).ToHaveAttributeAsync("data-verification", "intact");
        await Expect(session.Main.Locator("[data-verification]")).ToContainTextAsync("审计记录链完好");
        await session.ShotAsync("verified");

        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Main.Locator("button[data-download]").ClickAsync());
        Assert.StartsWith("audit-credits-", download.SuggestedFilename);
        await Expect(session.Main.Locator(".download [role=status]")).ToContainTextAsync("已下载");

        // The export is itself in the trail.
        await session.Page.FillAsync("#action", "audit-trail-exported");
        await session.Page.FillAsync("#target", "");
        await session.Main.Locator("button[data-search]").ClickAsync();
        await Expect(rows.First).ToContainTextAsync("导出审计记录");
        await session.ShotAsync("export-recorded");

        // The auditor reads the same trail and nothing else: the audit page is their home and their only menu entry.
        await using var auditor = await platform.OpenAsync(nameof(An_operator_finds_their_policy_activation_in_the_audit_trail_verifies_the_chain_and_exports_it) + "-auditor");
        await auditor.SignInAsync("auditor", platform.DemoPassword);
        await Expect(auditor.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/operations/audit"));
        await Expect(auditor.Page.Locator("nav.side-nav a")).ToHaveCountAsync(1);
        await Expect(auditor.Page.Locator("nav a[href='/operations/audit']")).ToHaveTextAsync("审计记录");
        await auditor.Page.SelectOptionAsync("#service", "credits");
        await auditor.Page.FillAsync("#action", "credit-policy-activated");
        await auditor.Page.FillAsync("#target", "seed-004");
        await auditor.Main.Locator("button[data-search]").ClickAsync();
        await Expect(auditor.Main.Locator("table[data-audit-records] tbody tr").First).ToContainTextAsync("启用学分政策 seed-004");
        await auditor.ShotAsync("auditor");
    }
}
