using System.Net;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Portal.Components.Pages.District;
using TrainingPlatform.Portal.Components.Shared;
using TrainingPlatform.Portal.Gateway;
using Xunit;

namespace TrainingPlatform.Portal.Components.Tests;

/// <summary>
/// The five-year cycle's standings are Credits': served a list where one is renamed and one is new, the portal's chart,
/// legend, figures and the at-risk page's lists show them as served, in the served order.
/// </summary>
public sealed class StandingsTests : BunitContext
{
    private const string School = "37/3716/371602/371602001";

    /// <summary>As Credits might serve it after renaming "at risk" and adding an exemption: nothing of it is in the portal's code.</summary>
    private static readonly ComplianceStatusList Served = new(
        [
            new("met", "已达标", 1, "各项要求均已完成"),
            new("on_track", "进度正常", 2, "尚未完成，按目前进度可以按期完成"),
            new("at_risk", "预警", 3, "按目前进度到期难以完成"),
            new("not_met", "未达标", 4, "期限已过仍未完成"),
            new("exempt", "免于考核", 5, "本周期免于学时考核"),
        ],
        [
            new("exempt", "免于考核", 6, "本周期免于学时考核"),
            new("at_risk", "预警", 1, "按目前进度到期难以完成"),
            new("not_met", "未达标", 2, "期限已过仍未完成"),
            new("not_started", "零学时", 3, "本周期尚无学时"),
        ]);

    private static readonly Dictionary<string, object> Answers = new()
    {
        [ReferenceData.ComplianceStatusesPath] = Served,
        [ReferenceData.ProgressStatusesPath] = new[] { new ProgressStatusInfo("completed", "已完成", 1), new ProgressStatusInfo("behind", "进度落后", 2) },
        ["/api/enrollment/years/2026/report"] = new ProgressReport("2026", new ReportUnit("371602", "滨城区", "county", "37/3716/371602"),
            new DateOnly(2026, 9, 1), 30m, Unit(null), [Unit(School)]),
        ["/api/directory/organisations"] = new[] { new Organisation(Guid.NewGuid(), "371602001", "滨城区第一中学", "school", School, ["junior"]) },
        ["/api/credits/reports/compliance"] = new StandingRollup(2026, "37/3716/371602",
            [new StandingUnit(School, 40, 10, 20, 7, 3, 2, 5, 12m)]),
        ["/api/credits/reports/teachers"] = new StandingList(2026,
            [new StandingLine(Guid.NewGuid(), "王丽", School, "junior", "数学", 12m, "at_risk", "周期总学时：还需 348 学时", null)]),
    };

    private static ProgressUnit Unit(string? path) =>
        new(path, path is null ? null : "371602001", path is null ? null : "滨城区第一中学", path is null ? null : "school", 40, 10, 20, 5, 3, 2, 12m, 25m);

    public StandingsTests()
    {
        var gateway = new Gateway();
        Services.AddSingleton<IHttpClientFactory>(gateway);
        Services.AddSingleton(new ReferenceData(gateway, TimeProvider.System));
        Services.AddScoped<GatewayClient>();
        Services.AddScoped<ProgramYears>();
        var auth = AddAuthorization();
        auth.SetAuthorized("区县管理员");
        auth.SetRoles(Roles.DistrictAdmin);
    }

    [Fact]
    public void The_cycle_chart_names_and_orders_the_standings_as_served()
    {
        var overview = Render<ProgressOverview>(p => p.Add(c => c.YearCode, "2026"));
        overview.WaitForAssertion(() => Assert.NotEmpty(overview.FindAll("[data-chart=cycle] .bar-row")));

        var cycle = overview.Find("[data-chart=cycle]");
        Assert.Equal(["已达标", "进度正常", "预警", "未达标", "免于考核"], cycle.QuerySelectorAll(".chart-legend li").Select(li => li.TextContent.Trim()));
        Assert.Equal(["good", "fair", "bad", "off", "idle"], cycle.QuerySelectorAll(".chart-legend .swatch").Select(s => s.ClassList.Last()));
        var bar = cycle.QuerySelector($".bar-row[data-unit='371602001'] .bar")!.GetAttribute("aria-label");
        Assert.Equal("滨城区第一中学：已达标 10，进度正常 20，预警 7，未达标 3，免于考核 0", bar);
        Assert.Contains("预警 7 / 40 人", cycle.QuerySelector(".bar-value")!.TextContent);
        Assert.Equal("周期学时预警", overview.Find("[data-count=at_risk]").ParentElement!.QuerySelector("span")!.TextContent);
    }

    [Fact]
    public void The_at_risk_page_offers_the_served_lists_in_order_and_words_the_one_shown_as_served()
    {
        var page = Render<AtRisk>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("table.at-risk tbody tr")));

        Assert.Equal(["at_risk", "not_met", "not_started", "exempt"], page.FindAll("#status option").Select(o => o.GetAttribute("value")));
        Assert.Equal(["预警", "未达标", "零学时", "免于考核"], page.FindAll("#status option").Select(o => o.TextContent.Trim()));
        Assert.Contains("“预警”是按目前进度到期难以完成的教师", page.Find("p.hint[data-meaning]").TextContent);
        Assert.Contains("2026–2030 周期，预警：共 1 人", page.Find("p[data-total]").TextContent);
    }

    private sealed class Gateway : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new Handler()) { BaseAddress = new Uri("http://gateway") };
    }

    private sealed class Handler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Answers.TryGetValue(request.RequestUri!.AbsolutePath, out var answer)
                ? new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent(JsonSerializer.Serialize(answer, answer.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                        Encoding.UTF8, "application/json"),
                }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
    }
}
