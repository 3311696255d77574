using System.Text.Json;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>One person, one sign-in: a teacher appointed as a guide reads their own records and guides their groups from the same session.</summary>
[Collection(PortalCollection.Name)]
public sealed class GuideTeacherTests(PortalPlatform platform)
{
    private const string County = "371621"; // 惠民县, which no other test arranges

    [Fact]
    public async Task A_teacher_who_is_also_a_guide_works_both_roles_from_one_sign_in()
    {
        // The bureau's side by API (its pages are DistrictAdminTests'): the county's cross-school groups, the county's
        // guide appointed for one of them that she is not a member of, and the assignment run.
        var bureau = await platform.TokenAsync($"county-{County}");
        var year = await platform.CurrentYearAsync(bureau);
        var groups = (await platform.CallAsync(HttpMethod.Post, $"/api/mentoring/years/{year}/organisations/{County}/study-groups", bureau))
            .GetProperty("groups").EnumerateArray().ToList();
        // The demo's guide login is an alias of the teacher behind it: the token is the teacher's.
        var person = await platform.CallAsync(HttpMethod.Get, "/api/directory/account", await platform.TokenAsync($"guide-{County}"));
        var (teacherId, nationalId) = (person.GetProperty("teacherId").GetGuid(), person.GetProperty("login").GetString()!);
        var group = groups.First(g => g.GetProperty("members").EnumerateArray().All(m => m.GetProperty("teacherId").GetGuid() != teacherId));
        var appointed = await platform.CallAsync(HttpMethod.Post, $"/api/mentoring/organisations/{County}/guides", bureau, new
        {
            teacherId, stage = group.GetProperty("stage").GetString(), subject = group.GetProperty("subject").GetString(),
            reason = "本县该学科学段缺少骨干教师，由其跨学科指导", // used only if it is not her own stage and subject
        });
        var run = await platform.CallAsync(HttpMethod.Post, $"/api/mentoring/years/{year}/organisations/{County}/guide-assignments", bureau);
        var guided = run.GetProperty("assignments").EnumerateArray()
            .Where(a => a.GetProperty("guideId").GetGuid() == appointed.GetProperty("id").GetGuid()).Select(a => a.GetProperty("group").GetString()!).ToList();
        Assert.NotEmpty(guided);
        var sizes = groups.ToDictionary(g => g.GetProperty("name").GetString()!, g => g.GetProperty("members").GetArrayLength());

        // She signs in once, with her ID number: the teacher's menus and the guide's, both named at the top.
        await using var session = await platform.OpenAsync(nameof(A_teacher_who_is_also_a_guide_works_both_roles_from_one_sign_in));
        await session.SignInAsync(nationalId, platform.DemoPassword);
        await Expect(session.Page.Locator("header .who small")).ToContainTextAsync("指导教师");
        await Expect(session.Page.Locator("nav.side-nav a[href='/guide/groups']")).ToBeVisibleAsync();
        await Expect(session.Page.Locator("nav.side-nav a[href='/transcript']")).ToBeVisibleAsync();
        await session.ShotAsync("menus-of-both-roles");

        // As a guide: her group with each member's study this year.
        await session.GoAsync("/guide/groups");
        await Expect(session.Main.Locator("section.group")).ToHaveCountAsync(guided.Count);
        foreach (var name in guided)
        {
            await Expect(session.Main.Locator("section.group", new() { HasText = name })).ToContainTextAsync(person.GetProperty("displayName").GetString()!);
            await Expect(session.Main.Locator($"table.group-progress[data-group='{name}'] tbody tr")).ToHaveCountAsync(sizes[name]);
        }
        await session.ShotAsync("guided-groups");

        // As a teacher, in the same session: her own transcript, not a 403.
        await session.GoAsync("/transcript");
        await Expect(session.Main.Locator("h1")).ToHaveTextAsync("学时档案");
        await Expect(session.Main.Locator("li.rule[data-rule=cycle-total]")).ToBeVisibleAsync();
        await session.ShotAsync("own-transcript");
    }
}
