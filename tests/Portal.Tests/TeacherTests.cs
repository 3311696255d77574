using System.Globalization;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>A teacher's year on a phone: electives inside the school's topics until the minimum is met, and their standing.</summary>
[Collection(PortalCollection.Name)]
public sealed class TeacherTests(PortalPlatform platform)
{
    private const string School = "371602002"; // 滨城区实验小学

    [Fact]
    public async Task A_teacher_chooses_electives_inside_the_school_topics_until_the_minimum_is_met()
    {
        // The school has chosen two topics (the school admin's own flow is tested on its own).
        var schoolAdmin = await platform.TokenAsync($"school-{School}");
        var year = (await platform.CallAsync(HttpMethod.Get, "/api/catalog/years", schoolAdmin))[0].GetProperty("code").GetString()!;
        var topics = (await platform.CallAsync(HttpMethod.Get, $"/api/catalog/years/{year}/topics", schoolAdmin)).EnumerateArray()
            .Where(t => t.GetProperty("code").GetString() is "T01" or "T05").Select(t => t.GetProperty("id").GetGuid()).ToList();
        await platform.CallAsync(HttpMethod.Put, $"/api/catalog/years/{year}/schools/{School}/topics", schoolAdmin, new { topicIds = topics });
        var teacher = (await platform.CallAsync(HttpMethod.Get, $"/api/directory/teachers?schoolCode={School}&pageSize=5", schoolAdmin))[0];

        await using var session = await platform.OpenAsync(nameof(A_teacher_chooses_electives_inside_the_school_topics_until_the_minimum_is_met), phone: true);
        // The list masks ID numbers; the school reads this teacher's in full (an audited read) to sign in as her.
        var login = (await platform.CallAsync(HttpMethod.Get, $"/api/directory/teachers/{teacher.GetProperty("id").GetGuid()}/national-id", schoolAdmin))
            .GetProperty("nationalId").GetString()!;
        await session.SignInAsync(login, platform.DemoPassword);
        await session.WaitUntilReadyAsync();
        await Expect(session.Main.Locator("h1")).ToContainTextAsync(teacher.GetProperty("name").GetString()!);
        await session.ShotAsync("home");

        await session.GoAsync("/electives");
        var counter = session.Main.Locator(".counter");
        await Expect(counter).ToContainTextAsync("还差 14 学时");
        await Expect(counter.Locator("[data-selection=open]")).ToBeVisibleAsync();
        await Expect(session.Main.Locator("section.topic")).ToHaveCountAsync(2);
        await Expect(session.Main.Locator("section.topic h2").First).ToContainTextAsync("班级管理");
        await session.ShotAsync("electives-before");

        // Choose 4-hour courses one by one, watching the counter, until it says the minimum is met.
        var chosen = 0;
        while (await counter.GetAttributeAsync("data-short-by") != "0")
        {
            var course = session.Main.Locator("li.course[data-chosen=false]").First;
            var title = await course.GetAttributeAsync("data-course");
            await ChooseAsync(session, title!);
            chosen++;
            await Expect(session.Main.Locator("li.course[data-chosen=true]")).ToHaveCountAsync(chosen);
            await Expect(counter.Locator(".progress-text")).ToHaveTextAsync($"{(chosen * 4).ToString(CultureInfo.InvariantCulture)} / 14 学时");
            await session.ShotAsync($"chose-{chosen}");
            Assert.True(chosen <= 4, "four 4-hour courses meet a 14-hour minimum");
        }
        Assert.Equal(4, chosen);
        await Expect(counter.Locator("p.ok")).ToContainTextAsync("已达到本年度最低选修要求");

        // My year lists them, with the hours against the minimum.
        await session.GoAsync("/my-year");
        await Expect(session.Main).ToContainTextAsync("选修课程（16 学时）");
        await Expect(session.Main).ToContainTextAsync("16 / 14 学时");
        await session.ShotAsync("my-year");
    }

    /// <summary>
    /// Clicks "选择". The school's choice reaches Enrollment as an event a moment after it was made: until then the
    /// service refuses, in words shown under the course, and the click is tried again.
    /// </summary>
    private static async Task ChooseAsync(PortalSession session, string title)
    {
        var row = session.Main.Locator($"li.course[data-course=\"{title}\"]");
        for (var attempt = 0; ; attempt++)
        {
            await row.Locator("button.primary").ClickAsync();
            var outcome = await Task.WhenAny(
                row.Locator("button.secondary").WaitForAsync(),
                row.Locator(".alert.error").WaitForAsync());
            await outcome;
            if (await row.GetAttributeAsync("data-chosen") == "true")
            {
                return;
            }
            var refusal = await row.Locator(".alert.error").InnerTextAsync();
            Assert.True(attempt < 30 && refusal.Contains("尚未选择本年度选修专题", StringComparison.Ordinal), $"choosing {title} was refused: {refusal}");
            await Task.Delay(1000);
        }
    }

    [Fact]
    public async Task A_teacher_sees_every_rule_of_the_cycle_and_anyone_can_check_a_certificate_number()
    {
        await using var session = await platform.OpenAsync(nameof(A_teacher_sees_every_rule_of_the_cycle_and_anyone_can_check_a_certificate_number));
        await session.SignInAsync("371602199007180034", platform.DemoPassword); // 李强
        await session.GoAsync("/transcript");
        await Expect(session.Main.Locator("li.rule[data-rule=cycle-total] .progress-text")).ToHaveTextAsync("0 / 360 学时");
        await Expect(session.Main.Locator("li.rule").First).ToContainTextAsync("还需");
        await session.ShotAsync("transcript");

        await session.GoAsync("/certificates");
        await Expect(session.Main).ToContainTextAsync("还没有合格证");
        await session.ShotAsync("no-certificate-yet");

        // Public verification needs no sign-in; an unknown number is told in words.
        await session.SignOutAsync();
        await session.GoAsync("/verify?number=JXJY-2026-99999999", interactive: false);
        await Expect(session.Main.Locator(".alert.error")).ToContainTextAsync("证书编号 JXJY-2026-99999999 不存在");
        await session.ShotAsync("verify-unknown");
    }
}
