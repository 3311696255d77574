using System.Collections.Concurrent;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>
/// The portal's pages tell the browser what they may do (a Content-Security-Policy fitting Blazor Server, no framing, no
/// sniffing), and the portal itself keeps to it: its pages, charts, forms, buttons and downloads work with the policy
/// enforced, and the browser reports no violation.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class SecurityHeadersTests(PortalPlatform platform)
{
    [Fact]
    public async Task Pages_carry_a_strict_policy_and_work_under_it_with_no_violation_reported()
    {
        await using var session = await platform.OpenAsync(nameof(Pages_carry_a_strict_policy_and_work_under_it_with_no_violation_reported));
        var violations = new ConcurrentQueue<string>();
        // Both what the browser logs and what it tells the page: either would show a refused script, style or connection.
        session.Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue($"{session.Page.Url}: {message.Text}");
            }
        };
        await session.Page.AddInitScriptAsync("""
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
            """);

        // Signed out: the sign-in form.
        var signIn = await session.Page.GotoAsync("/account/sign-in");
        await AssertHeadersAsync(signIn!);
        await CollectAsync(session.Page, violations);

        // Signed in: a district's charts (widths as classes), the at-risk list narrowed by a select, and an export
        // saved through the page's script: all over the page's connection, with the policy in force.
        await session.SignInAsync("county-371602", platform.DemoPassword);
        await session.WaitUntilReadyAsync();
        var home = await session.Page.GotoAsync("/district/progress");
        await AssertHeadersAsync(home!);
        await session.WaitUntilReadyAsync();
        var bars = session.Main.Locator("[data-chart=year] .bar-row");
        await Expect(bars).ToHaveCountAsync(10);
        var segment = await session.Main.Locator("[data-chart=year] .seg").First.BoundingBoxAsync();
        Assert.True(segment is { Width: > 0 }, "a chart's bars have their widths");
        await CollectAsync(session.Page, violations);
        await session.ShotAsync("charts-under-the-policy");

        await session.Main.Locator("a[href='/district/at-risk']").ClickAsync();
        await session.WaitUntilReadyAsync();
        await session.Page.SelectOptionAsync("#school", new SelectOptionValue { Label = "滨城区实验小学" });
        await Expect(session.Main.Locator("p[data-total]")).ToHaveAttributeAsync("data-total", "40");
        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Main.Locator("button[data-download]").ClickAsync());
        Assert.EndsWith(".xlsx", download.SuggestedFilename, StringComparison.Ordinal);
        await Expect(session.Main.Locator(".download [role=status]")).ToContainTextAsync("已下载");
        await CollectAsync(session.Page, violations);
        await session.ShotAsync("export-under-the-policy");

        Assert.True(violations.IsEmpty, "CSP violations:\n" + string.Join("\n", violations));
    }

    private static async Task AssertHeadersAsync(IResponse response)
    {
        var headers = await response.AllHeadersAsync();
        var policy = headers["content-security-policy"];
        Assert.DoesNotContain(",", policy, StringComparison.Ordinal);   // one policy, not the gateway's stacked on the portal's
        Assert.Matches("script-src 'self' 'nonce-[^']+'(;|$)", policy);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
        foreach (var directive in new[] { "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'", "connect-src 'self'" })
        {
            Assert.Contains(directive, policy, StringComparison.Ordinal);
        }

        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("DENY", headers["x-frame-options"]);
        Assert.Equal("strict-origin-when-cross-origin", headers["referrer-policy"]);
        Assert.Contains("camera=()", headers["permissions-policy"], StringComparison.Ordinal);
        // The tests' platform is plain HTTP: no HSTS.
        Assert.False(headers.ContainsKey("strict-transport-security"));
    }

    private static async Task CollectAsync(IPage page, ConcurrentQueue<string> violations)
    {
        foreach (var violation in await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []"))
        {
            violations.Enqueue($"{page.Url}: {violation}");
        }
    }
}
