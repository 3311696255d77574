using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>
/// A county bureau's desk: its schools compared in a chart, the at-risk list narrowed to one school and exported; and its
/// cross-school study groups given a guide teacher by the assignment engine, each assignment with its reason.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class DistrictAdminTests(PortalPlatform platform)
{
    [Fact]
    public async Task A_district_admin_compares_its_schools_in_a_chart_and_reads_the_at_risk_list()
    {
        await using var session = await platform.OpenAsync(nameof(A_district_admin_compares_its_schools_in_a_chart_and_reads_the_at_risk_list));
        await session.SignInAsync("county-371602", platform.DemoPassword); // 滨城区: ten schools
        await session.GoAsync("/");
        await session.Main.Locator("a.tile[href='/district/progress']").ClickAsync();
        await session.WaitUntilReadyAsync();

        // This year's study: one bar per school, its shares in words beside it.
        var year = session.Main.Locator("[data-chart=year]");
        await Expect(year.Locator(".bar-row")).ToHaveCountAsync(10);
        await Expect(year.Locator(".bar-row[data-unit='371602001']")).ToContainTextAsync("滨城区第一中学");
        await Expect(year.Locator(".bar-row[data-unit='371602001'] .bar-value")).ToContainTextAsync("40 人");
        await Expect(session.Main.Locator("[data-count=teachers]")).ToHaveTextAsync("400");
        // The five-year cycle's standing, from Credits: the same schools, by name.
        await Expect(session.Main.Locator("[data-chart=cycle] .bar-row")).ToHaveCountAsync(10);
        await Expect(session.Main.Locator("[data-chart=cycle]")).ToContainTextAsync("滨城区实验小学");
        await session.ShotAsync("schools-compared");

        await session.Main.Locator("a[href='/district/at-risk']").ClickAsync();
        await session.WaitUntilReadyAsync();
        var rows = session.Main.Locator("table.at-risk tbody tr");
        await Expect(rows.First).ToBeVisibleAsync();
        await Expect(rows.First).ToContainTextAsync("还需");
        await session.ShotAsync("at-risk-county");

        // One school: every line is that school's.
        await session.Page.SelectOptionAsync("#school", new SelectOptionValue { Label = "滨城区实验小学" });
        await Expect(session.Main.Locator("p[data-total]")).ToHaveAttributeAsync("data-total", "40");
        await Expect(rows).ToHaveCountAsync(40);
        await Expect(rows.Filter(new() { HasNotText = "滨城区实验小学" })).ToHaveCountAsync(0);
        await session.ShotAsync("at-risk-one-school");

        var download = await session.Page.RunAndWaitForDownloadAsync(() => session.Main.Locator("button[data-download]").ClickAsync());
        Assert.EndsWith(".xlsx", download.SuggestedFilename, StringComparison.Ordinal);
        await Expect(session.Main.Locator(".download [role=status]")).ToContainTextAsync("已下载");
        await session.ShotAsync("exported");
    }

    [Fact]
    public async Task A_district_admin_forms_cross_school_groups_appoints_a_guide_and_reads_why_each_group_got_its_guide()
    {
        await using var session = await platform.OpenAsync(nameof(A_district_admin_forms_cross_school_groups_appoints_a_guide_and_reads_why_each_group_got_its_guide));
        await session.SignInAsync("county-371603", platform.DemoPassword); // 沾化区, which no other test arranges
        await session.GoAsync("/district/groups");
        await Expect(session.Main.Locator("[data-section=guides]")).ToContainTextAsync("尚未聘任指导教师");

        // Subjects too small for a group of their own in any one school go into the county's cross-school groups.
        await session.Main.Locator("[data-section=cross-school] button.primary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("个跨校研修组");
        var groups = session.Main.Locator("section.group[data-kind=cross_school]");
        await Expect(groups).Not.ToHaveCountAsync(0);
        await session.ShotAsync("cross-school-groups");

        // A guide of some group's stage and subject who is not one of its members (no one guides their own group),
        // from whichever school has one (the list itself is folded, but its members are on the page).
        var wanted = new List<(string StageSubject, string[] Members)>();
        for (var i = 0; i < await groups.CountAsync(); i++)
        {
            var group = groups.Nth(i);
            wanted.Add(((await group.Locator("h3 .tag").First.TextContentAsync())!.Trim(),
                await group.Locator("select option").EvaluateAllAsync<string[]>("options => options.map(o => o.value).filter(v => v)")));
        }
        var schools = await session.Main.Locator("#guide-school option").EvaluateAllAsync<string[]>("options => options.map(o => o.value).filter(v => v)");
        string? stageSubject = null;
        foreach (var school in schools)
        {
            await session.Page.SelectOptionAsync("#guide-school", school);
            await Expect(session.Main.Locator($"#guide-teacher[data-school='{school}']")).ToBeAttachedAsync();
            var teachers = await session.Main.Locator("#guide-teacher option").EvaluateAllAsync<string[][]>(
                "options => options.filter(o => o.value).map(o => [o.value, o.textContent])");
            var pick = wanted.SelectMany(g => teachers
                    .Where(t => t[1].EndsWith($"（{g.StageSubject}）") && !g.Members.Contains(t[0]))
                    .Select(t => (Teacher: t[0], g.StageSubject)))
                .FirstOrDefault();
            if (pick.Teacher is null)
            {
                continue;
            }
            await session.Page.SelectOptionAsync("#guide-teacher", pick.Teacher);
            stageSubject = pick.StageSubject;
            break;
        }
        Assert.True(stageSubject is not null, "no teacher in 沾化区 of a cross-school group's stage and subject outside that group");
        await session.Main.Locator("[data-section=guides] button.secondary").ClickAsync();
        await Expect(session.Main.Locator(".alert.ok")).ToContainTextAsync("为指导教师");
        await Expect(session.Main.Locator("table.guides tbody tr")).ToHaveCountAsync(1);
        await session.ShotAsync("guide-appointed");

        await session.Main.Locator("button[data-run]").ClickAsync();
        var explanation = session.Main.Locator("table.run-assignments [data-explanation]");
        await Expect(explanation.First).ToContainTextAsync("学科学段一致");
        await session.ShotAsync("assignment-run");

        // The group now shows its guide, with the same reason.
        await session.Main.Locator("[data-section=cross-school-list] > summary").ClickAsync();
        var guided = groups.Filter(new() { Has = session.Page.Locator("[data-explanation]") });
        await Expect(guided).ToHaveCountAsync(1);
        await Expect(guided.Locator("[data-explanation]")).ToContainTextAsync("学科学段一致");
        await Expect(guided.Locator("h3 .tag").First).ToHaveTextAsync(stageSubject!);
        await session.ShotAsync("group-with-guide");

        // The runs page lists every group of the county with its guide and reason (a county's own is picked for it).
        await session.GoAsync("/operator/assignment-runs");
        await Expect(session.Main.Locator("table.assignments [data-explanation]", new() { HasText = "学科学段一致" })).ToHaveCountAsync(1);
        await Expect(session.Main.Locator("table.assignments [data-explanation]", new() { HasText = "尚未分配" })).Not.ToHaveCountAsync(0);
        await session.ShotAsync("assignments-of-the-county");
    }

    [Fact]
    public async Task A_county_sees_which_schools_have_submitted_their_group_lists_when_and_by_whom()
    {
        const string County = "370402"; // 市中区, which no other test arranges
        var bureau = await platform.TokenAsync($"county-{County}");
        var year = await platform.CurrentYearAsync(bureau);
        var schools = (await platform.CallAsync(HttpMethod.Get, $"/api/mentoring/years/{year}/group-lists?status=all", bureau))
            .GetProperty("schools").EnumerateArray().Select(s => s.GetProperty("code").GetString()!).ToList();

        // The first school with enough teachers of a subject for a group of its own forms and submits its list.
        string? submitted = null;
        foreach (var school in schools)
        {
            var admin = await platform.TokenAsync($"school-{school}");
            var formed = await platform.CallAsync(HttpMethod.Post, $"/api/mentoring/years/{year}/organisations/{school}/study-groups", admin);
            if (formed.GetProperty("groups").GetArrayLength() > 0)
            {
                await platform.CallAsync(HttpMethod.Post, $"/api/mentoring/years/{year}/organisations/{school}/study-groups/submit", admin);
                submitted = school;
                break;
            }
        }
        Assert.NotNull(submitted);

        await using var session = await platform.OpenAsync(nameof(A_county_sees_which_schools_have_submitted_their_group_lists_when_and_by_whom));
        await session.SignInAsync($"county-{County}", platform.DemoPassword);
        await session.GoAsync("/district/group-lists");
        // Unsubmitted ones first: every school but the one that submitted.
        await Expect(session.Main.Locator("table.group-lists tbody tr")).ToHaveCountAsync(schools.Count - 1);
        await Expect(session.Main.Locator($"tr[data-school='{submitted}']")).ToHaveCountAsync(0);
        await Expect(session.Main.Locator("[data-section=summary]")).ToContainTextAsync("已提交 1 所");
        await session.ShotAsync("unsubmitted-schools");

        await session.Page.SelectOptionAsync("#status", "all");
        var row = session.Main.Locator($"tr[data-school='{submitted}']");
        await Expect(row).ToContainTextAsync("已提交");
        await Expect(row).ToContainTextAsync("教导处");
        await Expect(session.Main.Locator("table.group-lists tbody tr")).ToHaveCountAsync(schools.Count);
        await session.ShotAsync("all-schools");
    }
}
