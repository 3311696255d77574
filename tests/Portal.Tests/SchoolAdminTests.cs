using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>A school admin's year: the school's topics inside the window, school-based hours for many teachers, an opt-out.</summary>
[Collection(PortalCollection.Name)]
public sealed class SchoolAdminTests(PortalPlatform platform)
{
    [Fact]
    public async Task A_school_admin_chooses_the_school_topics_inside_the_window_and_the_district_sees_it()
    {
        await using var session = await platform.OpenAsync(nameof(A_school_admin_chooses_the_school_topics_inside_the_window_and_the_district_sees_it));
        await session.SignInAsync("school-371602004", platform.DemoPassword); // 滨城区第二中学
        await session.GoAsync("/school/topics");
        await Expect(session.Main.Locator("section[data-status=pending]")).ToContainTextAsync("尚未选择");
        await Expect(session.Main).ToContainTextAsync("学习开始，专题随即冻结");
        await session.ShotAsync("before");

        // Nothing chosen: the service's rule shows beside the list.
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".field-error[data-field=topicIds]")).ToContainTextAsync("至少选择一个专题");
        await session.ShotAsync("nothing-chosen");

        await session.Main.Locator("input[data-topic=学生心理健康教育]").CheckAsync();
        await session.Main.Locator("input[data-topic=微课程的设计与应用]").CheckAsync();
        await Expect(session.Main.Locator("[data-selected-count]")).ToHaveTextAsync("2");
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("本校选择了 2 个专题");
        await Expect(session.Main.Locator("section[data-status=chosen]")).ToContainTextAsync("已选 2 个专题");
        await session.ShotAsync("chosen");
        await session.SignOutAsync();

        // The county sees the school among those that have chosen.
        await session.SignInAsync("county-371602", platform.DemoPassword);
        await session.GoAsync("/district/topic-choices");
        await Expect(session.Main.Locator("tr[data-school='371602004']")).ToHaveCountAsync(0); // pending only, by default
        await session.Main.Locator("#status").SelectOptionAsync("chosen");
        await Expect(session.Main.Locator("tr[data-school='371602004']")).ToContainTextAsync("已选");
        await session.ShotAsync("district-sees-it");
    }

    [Fact]
    public async Task A_school_admin_registers_school_based_hours_for_several_teachers_and_records_an_opt_out()
    {
        await using var session = await platform.OpenAsync(nameof(A_school_admin_registers_school_based_hours_for_several_teachers_and_records_an_opt_out));
        await session.SignInAsync("school-371602008", platform.DemoPassword); // 滨城区高级中学
        await session.GoAsync("/school/school-based");
        await session.Page.FillAsync("#title", "青年教师说课比赛");
        await session.Page.FillAsync("#hours", "3");
        var teachers = session.Main.Locator("input[data-teacher]");
        for (var i = 0; i < 3; i++)
        {
            await teachers.Nth(i).CheckAsync();
        }
        await Expect(session.Main.Locator("[data-selected-count]")).ToHaveTextAsync("3");
        await session.ShotAsync("three-teachers");
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("已为 3 名教师登记“青年教师说课比赛”3 学时");
        await session.ShotAsync("registered");

        await session.GoAsync("/school/opt-outs");
        // Without a statement number the service says what is missing, beside that field.
        await session.Page.SelectOptionAsync("#teacher", new Microsoft.Playwright.SelectOptionValue { Index = 5 });
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".field-error[data-field=statementReference]")).ToContainTextAsync("保证书编号必填");
        await session.Page.FillAsync("#statement", "BZS-2026-008");
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("BZS-2026-008");
        await Expect(session.Main.Locator("table")).ToContainTextAsync("BZS-2026-008");
        await session.ShotAsync("opt-out-recorded");
    }
}
