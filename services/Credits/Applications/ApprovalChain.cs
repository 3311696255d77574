using System.ComponentModel;
using TrainingPlatform.BuildingBlocks.Http;
using TrainingPlatform.BuildingBlocks.Security;

namespace TrainingPlatform.Services.Credits.Applications;

public static class ApplicationStatuses
{
    public const string Submitted = "submitted";
    public const string SchoolReviewed = "school_reviewed";
    public const string Certified = "certified";
    public const string Registered = "registered";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        [Submitted] = "待学校审核", [SchoolReviewed] = "待教研室认定", [Certified] = "待培训机构登记", [Registered] = "已登记", [Rejected] = "已退回",
    };
}

/// <summary>A step of the chain: who decides at a status, and where approval leads.</summary>
public sealed record ChainStep(
    [property: Codes(typeof(ApplicationSteps))] string Step,
    string StepName,
    [property: Codes(typeof(Roles)), Description("处理此环节的角色")] string Role,
    string RoleName,
    [property: Codes(typeof(ApplicationStatuses)), Description("通过后申请进入的状态")] string ApprovedStatus);

/// <summary>Whether a step may be taken; when not, the HTTP status, the <see cref="Rule"/> that refused it and why.</summary>
public sealed record ChainDecision(bool Allowed, int Status, string Rule, string Reason, ChainStep? Step, string NewStatus);

/// <summary>
/// The approval chain of seed 003: teacher applies → the school reviews → the teaching-research office certifies →
/// the training institution registers. Each step belongs to one role; each can reject with a reason, which sends the
/// application back to the teacher to amend and resubmit.
/// </summary>
public static class ApprovalChain
{
    public static readonly IReadOnlyDictionary<string, ChainStep> ByStatus = new Dictionary<string, ChainStep>
    {
        [ApplicationStatuses.Submitted] = new(ApplicationSteps.Review, ApplicationSteps.Names[ApplicationSteps.Review],
            Roles.SchoolAdmin, "学校管理员", ApplicationStatuses.SchoolReviewed),
        [ApplicationStatuses.SchoolReviewed] = new(ApplicationSteps.Certify, ApplicationSteps.Names[ApplicationSteps.Certify],
            Roles.ResearchOffice, "教研室", ApplicationStatuses.Certified),
        [ApplicationStatuses.Certified] = new(ApplicationSteps.Register, ApplicationSteps.Names[ApplicationSteps.Register],
            Roles.TrainingInstitution, "教师培训机构", ApplicationStatuses.Registered),
    };

    public static ChainDecision Decide(string status, string role, bool approve, string? reason)
    {
        if (!ByStatus.TryGetValue(status, out var step))
        {
            return new(false, 409, "no-pending-step", $"申请当前状态为“{ApplicationStatuses.Names.GetValueOrDefault(status, status)}”，没有待处理的审批环节", null, status);
        }
        if (role != step.Role)
        {
            return new(false, 403, "wrong-role", $"此申请处于“{step.StepName}”环节，应由{step.RoleName}处理", step, status);
        }
        if (!approve && string.IsNullOrWhiteSpace(reason))
        {
            return new(false, 400, "reason-required", "退回必须说明原因", step, status);
        }
        return new(true, 200, "", "", step, approve ? step.ApprovedStatus : ApplicationStatuses.Rejected);
    }

    /// <summary>The teacher may amend while nobody has approved yet, and after a rejection; resubmitting is only after a rejection.</summary>
    public static bool TeacherMayAmend(string status) => status is ApplicationStatuses.Submitted or ApplicationStatuses.Rejected;
}
