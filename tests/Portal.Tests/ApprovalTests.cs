using Xunit;
using static Microsoft.Playwright.Assertions;

namespace TrainingPlatform.Portal.Tests;

/// <summary>
/// An offline credit through its four steps, each by its own person at their own browser: the teacher applies, the
/// school reviews, the teaching-research office certifies, the training institution registers; the teacher follows it
/// and is told in the inbox.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class ApprovalTests(PortalPlatform platform)
{
    private const string Teacher = "371602198503120028"; // 王丽, 滨城区第一中学
    private const string Title = "滨州市高中语文骨干教师培训";

    [Fact]
    public async Task An_offline_credit_goes_from_the_teacher_through_school_research_office_and_training_institution()
    {
        var test = nameof(An_offline_credit_goes_from_the_teacher_through_school_research_office_and_training_institution);
        await using (var teacher = await platform.OpenAsync($"{test}-1-teacher", phone: true))
        {
            await teacher.SignInAsync(Teacher, platform.DemoPassword);
            await teacher.GoAsync("/applications");
            // An empty form: every rule comes back beside its field, in Chinese.
            await teacher.Main.Locator("form button[type=submit]").ClickAsync();
            await Expect(teacher.Main.Locator(".field-error[data-field=title]")).ToContainTextAsync("培训名称必填");
            await Expect(teacher.Main.Locator(".field-error[data-field=attachmentRef]")).ToContainTextAsync("证明材料");
            await teacher.ShotAsync("empty-form");

            await teacher.Page.FillAsync("#title", Title);
            await teacher.Page.FillAsync("#hours", "24");
            await teacher.Page.FillAsync("#occurredOn", $"{DateTime.Today.Year}-{DateTime.Today.Month:00}-01");
            await teacher.Page.SelectOptionAsync("#category", "subject");
            await teacher.Page.SelectOptionAsync("#mode", "concentrated");
            await teacher.Page.SelectOptionAsync("#level", "city");
            await teacher.Page.FillAsync("#attachmentRef", "结业证书 BZ-2026-0417");
            await teacher.Main.Locator("form button[type=submit]").ClickAsync();
            await Expect(teacher.Main.Locator(".alert.ok")).ToContainTextAsync("等待学校审核");
            await Expect(Application(teacher)).ToHaveAttributeAsync("data-status", "submitted");
            await teacher.ShotAsync("submitted");
        }

        await DecideAsync($"{test}-2-school", "school-371602001", "审核通过");
        await DecideAsync($"{test}-3-research", "research-371602", "认定通过");
        await DecideAsync($"{test}-4-training", "training-371602", "登记学时");

        await using var follow = await platform.OpenAsync($"{test}-5-teacher", phone: true);
        await follow.SignInAsync(Teacher, platform.DemoPassword);
        await follow.GoAsync("/applications");
        await Expect(Application(follow)).ToHaveAttributeAsync("data-status", "registered");
        await Expect(Application(follow).Locator(".chain li.done")).ToHaveCountAsync(4);
        await Expect(Application(follow).Locator("[data-status-name]")).ToHaveTextAsync("已登记");
        await follow.ShotAsync("registered");

        await follow.GoAsync("/transcript");
        await Expect(follow.Main.Locator("table")).ToContainTextAsync(Title);
        await follow.ShotAsync("in-the-transcript");

        // Each decision reached the teacher's inbox through the broker; the last one says it is registered.
        await Expect(follow.Page.Locator("header .unread")).Not.ToHaveAttributeAsync("data-unread", "0",
            new() { Timeout = 60_000 });
        await follow.GoAsync("/notifications");
        await Expect(follow.Main.Locator(".notification.unread", new() { HasText = "学时已登记" })).ToHaveCountAsync(1);
        await Expect(follow.Main.Locator(".notification.unread", new() { HasText = "学时申请已通过一步" })).ToHaveCountAsync(2);
        await follow.ShotAsync("inbox");
        await follow.Main.Locator("button.secondary").ClickAsync();
        await Expect(follow.Main.Locator(".notification.unread")).ToHaveCountAsync(0);
        await Expect(follow.Page.Locator("header .unread")).ToHaveAttributeAsync("data-unread", "0");
    }

    private static Microsoft.Playwright.ILocator Application(PortalSession session) =>
        session.Main.Locator($"article.application[data-application=\"{Title}\"]");

    /// <summary>One approver opens their queue, finds the application and approves it.</summary>
    private async Task DecideAsync(string step, string login, string approve)
    {
        await using var approver = await platform.OpenAsync(step);
        await approver.SignInAsync(login, platform.DemoPassword);
        await approver.GoAsync("/review");
        var application = approver.Main.Locator($"section.application[data-application=\"{Title}\"]");
        await Expect(application).ToContainTextAsync("王丽");
        await approver.ShotAsync("queue");
        await application.Locator("button.primary", new() { HasText = approve }).ClickAsync();
        await Expect(approver.Main.Locator(".alert.ok")).ToContainTextAsync($"已{approve}");
        await Expect(application).ToHaveCountAsync(0);
        await approver.ShotAsync("decided");
    }
}
