using System.Net;
using System.Text;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using TrainingPlatform.BuildingBlocks.Security;
using TrainingPlatform.Portal.Components.Shared;
using TrainingPlatform.Portal.Gateway;
using Xunit;

namespace TrainingPlatform.Portal.Components.Tests;

/// <summary>
/// A district admin asks for the whole unit's sheet as a background export: the card starts it, shows how far it got
/// as Enrollment reports it, and offers the download once it has succeeded.
/// </summary>
public sealed class ProgressExportJobTests : BunitContext
{
    private const string Jobs = "/api/enrollment/years/2026/teachers/exports";
    private static readonly Guid Id = Guid.NewGuid();
    private readonly Handler _handler = new();

    public ProgressExportJobTests()
    {
        Services.AddSingleton<IHttpClientFactory>(new Gateway(_handler));
        Services.AddScoped<GatewayClient>();
        var auth = AddAuthorization();
        auth.SetAuthorized("区县管理员");
        auth.SetRoles(Roles.DistrictAdmin);
    }

    [Fact]
    public void The_export_is_started_followed_and_offered_for_download_when_finished()
    {
        var card = Render<ProgressExportJob>(p => p.Add(c => c.YearCode, "2026").Add(c => c.Under, "371602"));
        card.Find("button").Click();

        card.WaitForAssertion(() => Assert.Equal("succeeded", card.Find("[data-export-status]").GetAttribute("data-export-status")),
            TimeSpan.FromSeconds(30));
        Assert.Equal("已生成：7,523 名教师。", card.Find("[data-export-status]").TextContent.Trim());
        Assert.Equal("下载 Excel", card.Find("button[data-download]").TextContent.Trim());
        Assert.Equal("{\"under\":\"371602\"}", _handler.Started);
        Assert.True(_handler.Polls >= 2, "followed until finished");
    }

    private static ProgressExportJobView Job(string status, long done) =>
        new(Id, "2026", "371602", status, 7523, done, null, new ProgressExportJobLinks($"{Jobs}/{Id}", $"{Jobs}/{Id}/file"));

    private sealed class Gateway(Handler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false) { BaseAddress = new Uri("http://gateway") };
    }

    /// <summary>Enrollment as the card sees it: queued on the request, running on the first poll, finished on the second.</summary>
    private sealed class Handler : HttpMessageHandler
    {
        public string? Started { get; private set; }
        public int Polls { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Post && path == Jobs)
            {
                Started = await request.Content!.ReadAsStringAsync(cancellationToken);
                return Answer(HttpStatusCode.Accepted, Job("queued", 0));
            }
            if (request.Method == HttpMethod.Get && path == $"{Jobs}/{Id}")
            {
                Polls++;
                return Answer(HttpStatusCode.OK, Polls == 1 ? Job("running", 5000) : Job("succeeded", 7523));
            }
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }

        private static HttpResponseMessage Answer(HttpStatusCode status, object body) => new(status)
        {
            Content = new StringContent(JsonSerializer.Serialize(body, new JsonSerializerOptions(JsonSerializerDefaults.Web)), Encoding.UTF8, "application/json"),
        };
    }
}
