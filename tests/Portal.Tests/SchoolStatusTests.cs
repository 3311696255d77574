using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>A school admin's overview of its teachers (filtered, exported) and its study groups, formed and submitted.</summary>
[Collection(PortalCollection.Name)]
public sealed class SchoolStatusTests(PortalPlatform platform)
{
    [Fact]
    public async Task A_school_admin_filters_the_teachers_status_list_and_exports_it()
    {
        await using var session = await platform.OpenAsync(nameof(A_school_admin_filters_the_teachers_status_list_and_exports_it));
        await session.SignInAsync("school-371602009", platform.DemoPassword); // 滨城区第三中学, which no other test touches

        // One teacher opts out, so that the filters have something to tell apart.
        await session.GoAsync("/school/opt-outs");
        await session.Page.SelectOptionAsync("#teacher", new SelectOptionValue { Index = 3 });
        var optedOut = (await session.Page.Locator("#teacher option:checked").InnerTextAsync()).Split('（')[0];
        await session.Page.FillAsync("#statement", "BZS-2026-009");
        await session.Main.Locator("button.primary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync(optedOut);

        await session.GoAsync("/school/teachers");
        await Expect(session.Main.Locator("p[data-total]")).ToHaveAttributeAsync("data-total", "40");
        await Expect(session.Main.Locator("[data-count=opted_out]")).ToHaveTextAsync("1");
        await session.ShotAsync("all-teachers");

        await session.Page.SelectOptionAsync("#filter", "opted_out");
        var rows = session.Main.Locator("table.teacher-status tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync(optedOut);
        await Expect(rows.First).ToContainTextAsync("不参训");
        await session.ShotAsync("opted-out");

        // Study has not begun: everyone else has not started, and no one is behind yet.
        await session.Page.SelectOptionAsync("#filter", "not_started");
        await Expect(session.Main.Locator("p[data-total]")).ToHaveAttributeAsync("data-total", "39");
        await Expect(rows.Filter(new() { HasText = optedOut })).ToHaveCountAsync(0);
        await Expect(rows.Filter(new() { HasNotText = "未开始" })).ToHaveCountAsync(0);
        await session.ShotAsync("not-started");
        await session.Page.SelectOptionAsync("#filter", "behind");
        await Expect(session.Main).ToContainTextAsync("没有符合条件的教师");
        await session.ShotAsync("behind");

        await session.Page.SelectOptionAsync("#filter", "not_started");
        await Expect(session.Main.Locator("p[data-total]")).ToHaveAttributeAsync("data-total", "39");
        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Main.Locator("button[data-download]").ClickAsync());
        Assert.Equal("teachers-2026-371602009-not_started.xlsx", download.SuggestedFilename);
        await using (var file = await download.CreateReadStreamAsync())
        {
            var head = new byte[2];
            Assert.Equal(2, await file.ReadAsync(head));
            Assert.Equal("PK"u8.ToArray(), head); // an XLSX is a zip
        }
        await session.ShotAsync("exported");
    }

    [Fact]
    public async Task A_school_admin_forms_the_study_groups_names_a_leader_and_submits_the_list()
    {
        await using var session = await platform.OpenAsync(nameof(A_school_admin_forms_the_study_groups_names_a_leader_and_submits_the_list));
        // A kindergarten: its teachers share one subject, enough for groups of its own (its one head, like a school's other
        // small subjects, goes to the county's cross-school groups).
        await session.SignInAsync("school-371602007", platform.DemoPassword); // 滨城区第二幼儿园
        await session.GoAsync("/school/study-groups");
        await session.Main.Locator("button.primary", new() { HasText = "自动编组" }).ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("已编成");
        var group = session.Main.Locator("section.group[data-kind=school]").First;
        await Expect(group).ToBeVisibleAsync();
        await session.ShotAsync("formed");

        // The suggested leader (longest in service) is preselected; another member is named instead.
        var leader = group.Locator("select");
        var other = await leader.Locator("option").Nth(2).InnerTextAsync();
        await leader.SelectOptionAsync(new SelectOptionValue { Index = 2 });
        await group.Locator("button.secondary").ClickAsync();
        await Expect(group.Locator("[data-leader]")).ToHaveTextAsync(other.Split('（')[0]);
        await session.ShotAsync("leader-named");

        await session.Main.Locator("button.primary", new() { HasText = "提交研修组名单" }).ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("已提交");
        await session.ShotAsync("submitted");

        // Once submitted the list is closed: no more changes offered; tried from a fresh page, the service's reason shows
        // beside the group.
        await Expect(group.Locator("button.secondary")).ToHaveCountAsync(0);
        await session.GoAsync("/school/study-groups");
        await group.Locator("button.secondary").ClickAsync();
        await Expect(group.Locator(".alert.error")).ToContainTextAsync("已提交");
        await session.ShotAsync("closed-after-submission");
    }
}
