using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Contracts.Credits;
using TrainingPlatform.Portal.Components.Layout;
using TrainingPlatform.Portal.Components.Pages.Review;
using TrainingPlatform.Portal.Components.Shared;
using TrainingPlatform.Portal.Gateway;
using TrainingPlatform.Portal.Notifications;
using Xunit;

namespace TrainingPlatform.Portal.Components.Tests;

/// <summary>
/// Adding a fifth approval step touches Credits only: served a chain with five steps, the portal's chain, history,
/// menu, review page and notifications show the fifth as they show the others.
/// </summary>
public sealed class FifthStepTests : BunitContext
{
    public FifthStepTests()
    {
        Services.AddSingleton(FiveStepChain.ServedReferenceData());
        // What the review page asks the gateway for besides the chain: the applications waiting (none).
        Services.AddSingleton<IHttpClientFactory>(new FiveStepChain.Gateway());
        Services.AddScoped<GatewayClient>();
        Services.AddScoped<ProgramYears>();
    }

    private static ApplicationView Application(string status, params ApplicationStep[] history) => new(
        new CreditApplication(Guid.NewGuid(), Guid.NewGuid(), "王丽", "37/3716/371602/371602001", "骨干教师培训", "", 24m, "subject", "concentrated",
            "city", "", new DateOnly(2026, 4, 1), "结业证书", status, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow),
        status, null, history);

    private static ApplicationStep Step(string step, string decision) => new(step, decision, decision == "rejected" ? "证明不清" : null, "某人", "school_admin",
        DateTimeOffset.UtcNow);

    [Fact]
    public void The_chain_shows_all_five_steps_in_order_and_where_the_application_stands()
    {
        var steps = Render<ApprovalSteps>(p => p.Add(c => c.View, Application("rechecked", Step("apply", "submitted"), Step("review", "approved"),
            Step("certify", "approved"), Step("recheck", "approved"))));

        var items = steps.FindAll("ol.chain li");
        Assert.Equal(FiveStepChain.Names, items.Select(li => li.TextContent.Trim()));
        Assert.Equal(["done", "done", "done", "done", "current"], items.Select(li => li.ClassName));
        Assert.Contains("区县复核 · 通过", steps.Find("ul.history").TextContent);
    }

    [Fact]
    public void A_rejection_at_the_fifth_step_marks_it_and_leaves_the_rest_to_do()
    {
        var steps = Render<ApprovalSteps>(p => p.Add(c => c.View, Application("rejected", Step("apply", "submitted"), Step("review", "approved"),
            Step("certify", "approved"), Step("recheck", "rejected"))));

        Assert.Equal(["done", "done", "done", "rejected", "todo"], steps.FindAll("ol.chain li").Select(li => li.ClassName));
        Assert.Contains("区县复核 · 退回", steps.Find("ul.history").TextContent);
    }

    [Fact]
    public void Registered_means_every_one_of_the_five_steps_is_done()
    {
        var steps = Render<ApprovalSteps>(p => p.Add(c => c.View, Application("registered")));
        Assert.Equal(5, steps.FindAll("ol.chain li.done").Count);
    }

    [Fact]
    public void The_new_steps_role_gets_its_menu_entry_and_review_page()
    {
        var auth = AddAuthorization();
        auth.SetAuthorized("区县管理员");
        auth.SetRoles(Roles.DistrictAdmin);
        auth.SetClaims(new Claim(PlatformClaims.Role, Roles.DistrictAdmin));

        var menu = Render<NavMenu>();
        Assert.Contains(menu.FindAll("a[href='/review']"), a => a.TextContent.Trim() == "学时复核");

        var review = Render<Review>();
        review.WaitForAssertion(() => Assert.Equal("学时申请：区县复核", review.Find("h1").TextContent.Trim()));
        Assert.Contains(string.Join(" → ", FiveStepChain.Names), review.Find("p.hint").TextContent);
    }

    [Fact]
    public void Teachers_are_told_of_the_fifth_step_in_its_own_words()
    {
        var chain = FiveStepChain.Chain;
        var id = Guid.NewGuid();
        CreditApplicationDecided Decided(string step, string decision, string status) =>
            new(id, Guid.NewGuid(), "骨干教师培训", step, decision, decision == "rejected" ? "证明不清" : null, status, DateTimeOffset.UtcNow);

        Assert.Equal(("学时申请已通过一步", "“骨干教师培训”已通过教研室认定，进入区县复核环节。"),
            CreditApplicationDecidedConsumer.Words(chain, Decided("certify", "approved", "certified")));
        Assert.Equal(("学时申请已通过一步", "“骨干教师培训”已通过区县复核，进入培训机构登记环节。"),
            CreditApplicationDecidedConsumer.Words(chain, Decided("recheck", "approved", "rechecked")));
        Assert.Equal(("学时申请被退回", "“骨干教师培训”在区县复核环节被退回：证明不清。请修改后重新提交。"),
            CreditApplicationDecidedConsumer.Words(chain, Decided("recheck", "rejected", "rejected")));
        Assert.Equal("学时已登记", CreditApplicationDecidedConsumer.Words(chain, Decided("register", "approved", "registered")).Title);
    }
}
