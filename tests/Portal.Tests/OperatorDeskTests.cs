using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>The operator's province-wide pages: the dashboard's charts, the credit policy presets, the catalogue and required packages, the parked messages.</summary>
[Collection(PortalCollection.Name)]
public sealed class OperatorDeskTests(PortalPlatform platform)
{
    [Fact]
    public async Task An_operator_reads_the_province_dashboard_and_activates_a_credit_policy_preset()
    {
        await using var session = await platform.OpenAsync(nameof(An_operator_reads_the_province_dashboard_and_activates_a_credit_policy_preset));
        await session.SignInAsync("operator", platform.DemoPassword);
        await session.GoAsync("/operator/dashboard");
        await Expect(session.Main.Locator("[data-count=teachers]")).ToHaveTextAsync("2000");
        await Expect(session.Main.Locator("[data-chart=year] .bar-row")).ToHaveCountAsync(5);          // five counties
        await Expect(session.Main.Locator("[data-chart=cycle] .bar-row")).ToHaveCountAsync(2);         // two cities
        await Expect(session.Main.Locator("[data-chart=cycle]")).ToContainTextAsync("滨州市");
        await session.ShotAsync("dashboard");

        // The presets as the province would read them; Shandong's is in force.
        await session.GoAsync("/operator/policies");
        var shandong = session.Main.Locator("section[data-policy='seed-004']");
        await Expect(shandong.Locator("[data-active]")).ToHaveTextAsync("当前启用");
        await Expect(shandong).ToContainTextAsync("年度网络研修：每年不少于 36 学时");
        await session.ShotAsync("presets");

        // Another preset: it becomes the only one in force, and everyone is evaluated again.
        var other = session.Main.Locator("section[data-policy='seed-002']");
        await other.Locator("button.primary").ClickAsync();
        await Expect(other.Locator(".alert.ok")).ToContainTextAsync("名教师的达标情况将在后台重新评估");
        await Expect(other.Locator("[data-active]")).ToHaveTextAsync("当前启用");
        await Expect(session.Main.Locator("section.policy.active")).ToHaveCountAsync(1);
        await session.ShotAsync("other-preset-active");

        // And back, so the other tests find the province's own policy.
        await shandong.Locator("button.primary").ClickAsync();
        await Expect(shandong.Locator(".alert.ok")).ToContainTextAsync("已启用");
        await Expect(shandong.Locator("[data-active]")).ToHaveTextAsync("当前启用");
        await session.ShotAsync("preset-active");
    }

    [Fact]
    public async Task An_operator_searches_the_catalogue_opens_a_topic_and_reads_a_required_package()
    {
        await using var session = await platform.OpenAsync(nameof(An_operator_searches_the_catalogue_opens_a_topic_and_reads_a_required_package));
        await session.SignInAsync("operator", platform.DemoPassword);
        await session.GoAsync("/operator/catalogue");
        await Expect(session.Main.Locator("table.topics tbody tr")).Not.ToHaveCountAsync(0);
        await session.ShotAsync("catalogue");

        await session.Page.FillAsync("#q", "幼儿");
        await session.Main.Locator("form button[type=submit]").ClickAsync();
        var courses = session.Main.Locator("li.course");
        await Expect(courses.First).ToContainTextAsync("幼儿");
        await Expect(courses.Filter(new() { HasNotText = "幼儿" })).ToHaveCountAsync(0);
        await session.ShotAsync("searched");

        // A topic's courses: every one of them names the topic.
        await session.Page.FillAsync("#q", "");
        await session.Main.Locator("table.topics button", new() { HasText = "班级管理" }).ClickAsync();
        await Expect(courses.First).ToContainTextAsync("专题：班级管理");
        await Expect(courses.Filter(new() { HasNotText = "班级管理" })).ToHaveCountAsync(0);
        await session.ShotAsync("topic-courses");

        await session.GoAsync("/operator/required-packages");
        await session.Page.SelectOptionAsync("#stage", "senior");
        await Expect(session.Main.Locator("section[data-package='数学']")).ToContainTextAsync("学时");
        await Expect(session.Main.Locator("section[data-package='数学'] tbody tr")).Not.ToHaveCountAsync(0);
        await session.ShotAsync("required-package");
    }

    [Fact]
    public async Task An_operator_reads_the_parked_messages_of_every_service()
    {
        await using var session = await platform.OpenAsync(nameof(An_operator_reads_the_parked_messages_of_every_service));
        await session.SignInAsync("operator", platform.DemoPassword);
        await Expect(session.Page.Locator("nav a[href='/operator/parked-messages']")).ToHaveTextAsync("滞留消息");
        await session.GoAsync("/operator/parked-messages");

        // Each service answers through the gateway for the operator; the demo province refuses no message of its own.
        foreach (var service in new[] { "directory", "catalog", "enrollment", "credits", "mentoring" })
        {
            var section = session.Main.Locator($"section[data-service='{service}']");
            await Expect(section.Locator("[data-none]")).ToContainTextAsync("均没有滞留消息");
            await Expect(section.Locator(".alert.error")).ToHaveCountAsync(0);
        }
        await session.ShotAsync("parked-messages");
    }
}
