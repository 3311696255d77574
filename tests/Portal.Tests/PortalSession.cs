using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>
/// One person at one browser: signs in through the portal's own pages, moves between pages, and saves a screenshot
/// of every step under tests/Portal.Tests/screenshots/&lt;test&gt;/ (git-ignored).
/// </summary>
public sealed partial class PortalSession(IBrowserContext context, IPage page, string testName) : IAsyncDisposable
{
    public static string ScreenshotRoot { get; } = Path.Combine(TrainingPlatform.TestSupport.Repository.Root, "tests", "Portal.Tests", "screenshots");

    private static readonly Regex SignInPage = new("/account/sign-in", RegexOptions.Compiled);

    private int _step;

    public IPage Page { get; } = page;

    public ILocator Main => Page.Locator("main");

    /// <summary>Opens a page and waits until it answers clicks (interactive pages) or has loaded (plain forms).</summary>
    public async Task GoAsync(string path, bool interactive = true)
    {
        await Page.GotoAsync(path);
        await WaitUntilReadyAsync(interactive);
    }

    public async Task WaitUntilReadyAsync(bool interactive = true)
    {
        if (interactive)
        {
            await Expect(Page.Locator("main[data-interactive=true]")).ToBeVisibleAsync();
            await Expect(Page.Locator(".loading")).ToHaveCountAsync(0);
        }
        else
        {
            await Page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        }
    }

    /// <summary>Through the sign-in page, as a person would; ends on the page the portal sends them to.</summary>
    public async Task SignInAsync(string login, string password)
    {
        await GoAsync("/account/sign-in", interactive: false);
        await Page.FillAsync("#login", login);
        await Page.FillAsync("#password", password);
        await ShotAsync($"sign-in-{login}");
        await Page.ClickAsync("button[type=submit]");
        // Either the portal moves on, or it says why not (then the test fails with those words).
        await await Task.WhenAny(
            // The address polled, not WaitForURL: when the redirect has already happened, WaitForURL waits for the
            // page's load event instead, which a streaming page may not fire for a long time. The page's own readiness
            // is waited for by the caller.
            Expect(Page).Not.ToHaveURLAsync(SignInPage),
            Page.Locator(".alert.error").WaitForAsync());
        if (Page.Url.Contains("/account/sign-in", StringComparison.Ordinal))
        {
            await ShotAsync($"sign-in-refused-{login}");
            throw new InvalidOperationException($"sign-in as {login} refused: {await Page.Locator(".alert.error").InnerTextAsync()}");
        }
        await Page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }

    public async Task SignOutAsync()
    {
        await Page.ClickAsync("header form button[type=submit]");
        await Page.WaitForURLAsync(url => url.Contains("/account/sign-in", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
    }

    /// <summary>Saves the page as it looks now: NN-name.png, numbered in the order of the test's steps.</summary>
    public async Task ShotAsync(string name)
    {
        var folder = Path.Combine(ScreenshotRoot, testName);
        if (_step == 0 && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        _step++;
        await Page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(folder, $"{_step.ToString("00", CultureInfo.InvariantCulture)}-{Unsafe().Replace(name, "-")}.png"),
            FullPage = true,
        });
    }

    public async ValueTask DisposeAsync() => await context.DisposeAsync();

    [GeneratedRegex(@"[^\w\-]+")]
    private static partial Regex Unsafe();
}
