using System.Net;
using System.Text;
using System.Text.Json;
using TrainingPlatform.Portal.Gateway;

namespace TrainingPlatform.Portal.Components.Tests;

/// <summary>
/// A chain as Credits would serve it after a fifth step was added there: a county re-check (区县复核, by the district
/// admin) between the research office and the training institution. Nothing of it exists in the portal's code.
/// </summary>
public static class FiveStepChain
{
    public static readonly ApprovalChain Chain = new(
        [
            new(1, "apply", "教师申请", "teacher", "教师", null, "submitted", "提交申请", "学时申请", "等待教师申请"),
            new(2, "review", "学校审核", "school_admin", "学校管理员", "submitted", "school_reviewed", "审核通过", "学时审核", "等待学校审核"),
            new(3, "certify", "教研室认定", "research_office", "教研室", "school_reviewed", "certified", "认定通过", "学时认定", "等待教研室认定"),
            new(4, "recheck", "区县复核", "district_admin", "市/县区管理员", "certified", "rechecked", "复核通过", "学时复核", "等待区县复核"),
            new(5, "register", "培训机构登记", "training_institution", "教师培训机构", "rechecked", "registered", "登记学时", "学时登记", "等待培训机构登记"),
        ],
        [
            new("submitted", "待学校审核"), new("school_reviewed", "待教研室认定"), new("certified", "待区县复核"), new("rechecked", "待培训机构登记"),
            new("registered", "已登记"), new("rejected", "已退回"),
        ],
        "rejected",
        "registered",
        [
            new("apply", "教师申请"), new("review", "学校审核"), new("certify", "教研室认定"), new("recheck", "区县复核"), new("register", "培训机构登记"),
            new("amend", "修改申请"),
        ],
        [new("submitted", "已提交"), new("resubmitted", "重新提交"), new("amended", "已修改"), new("approved", "通过"), new("rejected", "退回")],
        "rejected");

    public static readonly string[] Names = ["教师申请", "学校审核", "教研室认定", "区县复核", "培训机构登记"];

    /// <summary>The gateway as the portal sees it: the chain at its path (as JSON, the way Credits sends it), and no applications waiting.</summary>
    public static ReferenceData ServedReferenceData() => new(new Gateway(), TimeProvider.System);

    public sealed class Gateway : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(new Handler()) { BaseAddress = new Uri("http://gateway") };
    }

    private sealed class Handler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.RequestUri!.AbsolutePath switch
            {
                ReferenceData.ApprovalChainPath => JsonSerializer.Serialize(Chain, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                "/api/credits/applications" => "[]",
                _ => null,
            };
            return Task.FromResult(body is null
                ? new HttpResponseMessage(HttpStatusCode.NotFound)
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
