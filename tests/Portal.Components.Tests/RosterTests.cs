using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Portal.Components.Pages.School;
using TrainingPlatform.Portal.Gateway;
using Xunit;

namespace TrainingPlatform.Portal.Components.Tests;

/// <summary>
/// The roster shows ID numbers masked as Directory serves them, and asks for a full number only when the admin clicks
/// for that one teacher (Directory audits each such read).
/// </summary>
public sealed class RosterTests : BunitContext
{
    private static readonly Guid WangLi = Guid.NewGuid(), LiQiang = Guid.NewGuid();
    private readonly ConcurrentQueue<string> _asked = new();

    public RosterTests()
    {
        var answers = new Dictionary<string, object>
        {
            ["/api/directory/teachers"] = new[]
            {
                new TeacherSummary(WangLi, "3716**********0028", "王丽", "371602001", "一中", "senior", "语文", false, true),
                new TeacherSummary(LiQiang, "3716**********0034", "李强", "371602001", "一中", "junior", "数学", false, true),
            },
            [$"/api/directory/teachers/{WangLi}/national-id"] = new TeacherNationalId(WangLi, "371602198503120028"),
        };
        Services.AddSingleton<IHttpClientFactory>(new Gateway(answers, _asked));
        Services.AddScoped<GatewayClient>();
        Services.AddScoped<ProgramYears>();
        Services.AddSingleton(new ReferenceData(new Gateway(answers, _asked), TimeProvider.System));
        var auth = AddAuthorization();
        auth.SetAuthorized("学校管理员");
        auth.SetRoles(Roles.SchoolAdmin);
        auth.SetClaims(new Claim(PlatformClaims.Role, Roles.SchoolAdmin), new Claim(PlatformClaims.OrganisationPath, "37/3716/371602/371602001"));
    }

    [Fact]
    public void Numbers_show_masked_and_one_click_reads_that_teachers_full_number_only()
    {
        var page = Render<Roster>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("table.roster tbody tr").Count));
        Assert.Equal(["3716**********0028", "3716**********0034"], page.FindAll("[data-national-id]").Select(td => td.TextContent.Trim()));
        Assert.DoesNotContain(_asked, path => path.EndsWith("/national-id", StringComparison.Ordinal));

        page.Find($"tr[data-teacher='{WangLi}'] button").Click();

        page.WaitForAssertion(() => Assert.Equal("371602198503120028", page.Find($"tr[data-teacher='{WangLi}'] [data-national-id]").TextContent.Trim()));
        Assert.Equal("3716**********0034", page.Find($"tr[data-teacher='{LiQiang}'] [data-national-id]").TextContent.Trim());
        Assert.Equal([$"/api/directory/teachers/{WangLi}/national-id"], _asked.Where(path => path.EndsWith("/national-id", StringComparison.Ordinal)));
    }

    private sealed class Gateway(Dictionary<string, object> answers, ConcurrentQueue<string> asked) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new Handler(answers, asked)) { BaseAddress = new Uri("http://gateway") };
    }

    private sealed class Handler(Dictionary<string, object> answers, ConcurrentQueue<string> asked) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            asked.Enqueue(request.RequestUri!.AbsolutePath);
            return Task.FromResult(answers.TryGetValue(request.RequestUri!.AbsolutePath, out var answer)
                ? new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent(JsonSerializer.Serialize(answer, answer.GetType(), new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                        Encoding.UTF8, "application/json"),
                }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }
}
