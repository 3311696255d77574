using System.Net.Http.Json;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>Signing in and out, the forced first password change, and the role-aware home, in a real browser.</summary>
[Collection(PortalCollection.Name)]
public sealed class SignInTests(PortalPlatform platform, ITestOutputHelper output)
{
    [Fact]
    public async Task A_wrong_password_is_told_in_words_and_a_school_admin_signs_in_to_their_home_and_out()
    {
        output.WriteLine($"platform and browser ready in {platform.StartupSeconds:0.0} s");
        await using var session = await platform.OpenAsync(nameof(A_wrong_password_is_told_in_words_and_a_school_admin_signs_in_to_their_home_and_out));

        // A page behind sign-in sends the visitor to the sign-in page, and back afterwards.
        await session.GoAsync("/school/topics", interactive: false);
        Assert.Contains("/account/sign-in?returnUrl=%2Fschool%2Ftopics", session.Page.Url, StringComparison.Ordinal);

        await session.Page.FillAsync("#login", "school-371602006");
        await session.Page.FillAsync("#password", "not-the-password-1");
        await session.Page.ClickAsync("button[type=submit]");
        await Expect(session.Page.Locator(".alert.error")).ToContainTextAsync("账号或密码错误");
        await Expect(session.Page.Locator(".alert.error")).Not.ToContainTextAsync("401");
        await session.ShotAsync("wrong-password");

        await session.Page.FillAsync("#login", "school-371602006");
        await session.Page.FillAsync("#password", platform.DemoPassword);
        await session.Page.ClickAsync("button[type=submit]");
        await session.Page.WaitForURLAsync(url => url.EndsWith("/school/topics", StringComparison.Ordinal));
        await session.WaitUntilReadyAsync();
        await Expect(session.Main.Locator("h1")).ToHaveTextAsync("本校选修专题");
        await session.ShotAsync("back-where-they-wanted");

        await session.GoAsync("/");
        await Expect(session.Main.Locator("h1")).ToContainTextAsync("滨城区第三小学教导处");
        await Expect(session.Main.Locator(".tiles")).ToContainTextAsync("校本研修登记");
        // A teacher's page is not theirs.
        await Expect(session.Page.Locator("nav")).Not.ToContainTextAsync("选修选课");
        await session.ShotAsync("school-admin-home");

        await session.SignOutAsync();
        await session.GoAsync("/", interactive: false);
        Assert.Contains("/account/sign-in", session.Page.Url, StringComparison.Ordinal);
        await session.ShotAsync("signed-out");
    }

    [Fact]
    public async Task A_new_account_must_change_its_initial_password_before_anything_else()
    {
        await using var session = await platform.OpenAsync(nameof(A_new_account_must_change_its_initial_password_before_anything_else), phone: true);
        // The operator creates a school admin; Directory hands out a one-time initial password.
        var login = $"jw{Guid.NewGuid():N}"[..14];
        var created = await platform.CallAsync(HttpMethod.Post, "/api/directory/accounts", await platform.TokenAsync("operator"),
            new { login, displayName = "新任教导主任", role = "school_admin", organisationCode = "371602005" });
        var initial = created.GetProperty("initialPassword").GetString()!;

        await session.SignInAsync(login, initial);
        Assert.EndsWith("/account/change-password", session.Page.Url, StringComparison.Ordinal);
        await Expect(session.Page.Locator(".alert.warning")).ToContainTextAsync("请先设置自己的新密码");
        await session.ShotAsync("must-change");

        // Nothing else opens until the password is changed.
        await session.GoAsync("/school/topics", interactive: false);
        Assert.EndsWith("/account/change-password", session.Page.Url, StringComparison.Ordinal);

        // The service's rules come back beside the field they concern.
        await session.Page.FillAsync("#current", initial);
        await session.Page.FillAsync("#new", "short");
        await session.Page.FillAsync("#confirm", "short");
        await session.Main.Locator("button[type=submit]").ClickAsync();
        await Expect(session.Page.Locator(".field-error[data-field=newPassword]").First).ToContainTextAsync("至少 8 个字符");
        await session.ShotAsync("rules-beside-the-field");

        await session.Page.FillAsync("#current", initial);
        await session.Page.FillAsync("#new", "Spring-2026-ok");
        await session.Page.FillAsync("#confirm", "Spring-2026-ok");
        await session.Main.Locator("button[type=submit]").ClickAsync();
        await session.Page.WaitForURLAsync(url => url.Contains("password-changed=1", StringComparison.Ordinal));
        await session.WaitUntilReadyAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("密码已修改");
        await Expect(session.Main.Locator(".tiles")).ToContainTextAsync("选修专题");
        await session.ShotAsync("home-after-change");

        // And the new password is the one that works now.
        using var signIn = await platform.Api.PostAsJsonAsync("/api/directory/sign-in", new { login, password = "Spring-2026-ok" });
        var token = await signIn.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(token.GetProperty("mustChangePassword").GetBoolean());
    }
}
